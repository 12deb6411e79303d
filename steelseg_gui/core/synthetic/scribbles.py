"""Simulated scribbles for benchmarks (DESIGN.md, benchmark protocol for scribble propagation).

Short brush strokes of radius 2 px laid along the medial axis of each class's regions eroded
by 4 px, about 1 % of the pixels in all, spread evenly over the classes, deterministic per seed.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import disk, skeletonize

BRUSH_RADIUS_PX = 2
EROSION_PX = 4
STROKE_HALF_LENGTH_PX = 10
STROKE_AREA_PX = (2 * STROKE_HALF_LENGTH_PX + 1) * (2 * BRUSH_RADIUS_PX + 1)


def simulate_scribbles(mask: np.ndarray, coverage: float = 0.01, seed: int = 0) -> np.ndarray:
    """Scribbles ``(H, W)`` uint8 from a dense ``(H, W)`` mask (0 = unlabelled, 1..K classes).

    Each class present gets about ``coverage / K`` of the image's pixels (less when its eroded
    regions are too small to hold that much).
    """
    rng = np.random.default_rng(seed)
    classes = [int(v) for v in np.unique(mask) if v != 0]
    budget = coverage * mask.size / max(len(classes), 1)
    scribbles = np.zeros(mask.shape, np.uint8)
    for value in classes:
        scribbles[_class_strokes(mask == value, budget, rng)] = value
    return scribbles


def _class_strokes(region: np.ndarray, budget: float, rng: np.random.Generator) -> np.ndarray:
    core = ndimage.binary_erosion(region, disk(EROSION_PX))
    axis_rows, axis_cols = np.nonzero(skeletonize(core))
    strokes = np.zeros(region.shape, bool)
    if axis_rows.size == 0:
        return strokes
    centres = np.zeros(region.shape, bool)
    order = rng.permutation(axis_rows.size)
    batch = max(1, int(budget / STROKE_AREA_PX / 4))  # re-measure coverage about four times per budget
    on_axis = np.zeros(region.shape, bool)
    on_axis[axis_rows, axis_cols] = True
    for start in range(0, order.size, batch):
        for index in order[start : start + batch]:
            r, c = axis_rows[index], axis_cols[index]
            window = (
                slice(max(0, r - STROKE_HALF_LENGTH_PX), r + STROKE_HALF_LENGTH_PX + 1),
                slice(max(0, c - STROKE_HALF_LENGTH_PX), c + STROKE_HALF_LENGTH_PX + 1),
            )
            centres[window] |= on_axis[window]
        strokes = ndimage.binary_dilation(centres, disk(BRUSH_RADIUS_PX)) & region
        if strokes.sum() >= budget:
            break
    return strokes
