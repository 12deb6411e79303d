"""Applying a flattened forest to every pixel of an image: the exact path and the fast path.

The **exact** path computes the features of every pixel and walks each one through all trees.

The **fast** path predicts exactly on a coarse grid (every ``GRID_STEP_PX`` rows and columns,
plus the last row and column), then looks at each grid cell: where the four corners agree on
the class and each is confident (top probability at least ``CONFIDENT``), the pixels inside
take that class and bilinearly interpolated probabilities; every other cell is predicted
exactly pixel by pixel. Small islands of another phase that fall
between grid points can be missed; ``benchmarks/bench_rf.py`` measures the agreement with the
exact path (target: at least 99.5 % of pixels).
"""

from __future__ import annotations

import numpy as np

from steelseg_gui.core.forest.features import FeatureSpec, StripFeatures, feature_strips, strip_count
from steelseg_gui.core.forest.tree_eval import FlatForest
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.prediction import Prediction

GRID_STEP_PX = 4
CONFIDENT = 0.7
CHUNK_PIXELS = 1 << 18


def predict_exact(
    image: np.ndarray, spec: FeatureSpec, forest: FlatForest, class_values: np.ndarray, name: str = "image"
) -> Job[Prediction]:
    """Every pixel through every tree (a job returning a :class:`Prediction`)."""
    height, width = image.shape[:2]
    probabilities = np.empty((height, width, forest.n_classes), np.float32)
    strips = strip_count(height, spec)
    for done, strip in enumerate(feature_strips(image, spec)):
        yield Progress(done, strips, f"{name}: rows {strip.start}-{strip.stop}")
        rows, cols = np.mgrid[strip.start : strip.stop, 0:width]
        probabilities[strip.start : strip.stop] = _predict_points(strip, forest, rows.ravel(), cols.ravel()).reshape(
            strip.stop - strip.start, width, -1
        )
    yield Progress(strips, strips, f"{name}: done")
    return Prediction.from_probabilities(probabilities, class_values)


def predict_fast(
    image: np.ndarray, spec: FeatureSpec, forest: FlatForest, class_values: np.ndarray, name: str = "image"
) -> Job[Prediction]:
    """Coarse grid, then exact refinement where the grid is unsure (a job returning a :class:`Prediction`)."""
    height, width = image.shape[:2]
    grid_rows, grid_cols = _grid(height), _grid(width)
    probabilities = np.empty((height, width, forest.n_classes), np.float32)
    strips, refined = strip_count(height, spec), 0
    for done, strip in enumerate(feature_strips(image, spec)):
        yield Progress(done, strips, f"{name}: rows {strip.start}-{strip.stop}")
        refined += _fast_strip(strip, forest, grid_rows, grid_cols, probabilities)
    yield Progress(strips, strips, f"{name}: done")
    return Prediction.from_probabilities(probabilities, class_values, refined / (height * width))


def _fast_strip(
    strip: StripFeatures, forest: FlatForest, grid_rows: np.ndarray, grid_cols: np.ndarray, probabilities: np.ndarray
) -> int:
    """Fill rows ``strip.start:strip.stop`` of ``probabilities``; return how many pixels were refined."""
    first = np.searchsorted(grid_rows, strip.start, side="right") - 1
    last = min(np.searchsorted(grid_rows, strip.stop - 1, side="left"), grid_rows.size - 1)
    first = min(first, last - 1)
    rows = grid_rows[first : last + 1]
    grid_r, grid_c = np.meshgrid(rows, grid_cols, indexing="ij")
    coarse = _predict_points(strip, forest, grid_r.ravel(), grid_c.ravel()).reshape(rows.size, grid_cols.size, -1)
    refine_cells = _cells_to_refine(coarse)
    pixel_rows = np.arange(strip.start, strip.stop)
    cell_r = np.clip(np.searchsorted(rows, pixel_rows, side="right") - 1, 0, rows.size - 2)
    cell_c = np.clip(
        np.searchsorted(grid_cols, np.arange(probabilities.shape[1]), side="right") - 1, 0, grid_cols.size - 2
    )
    out = probabilities[strip.start : strip.stop]
    out[:] = _interpolate(coarse, rows, grid_cols, pixel_rows, cell_r, cell_c)
    refine = refine_cells[cell_r[:, None], cell_c[None, :]]
    local_r, local_c = np.nonzero(refine)
    if local_r.size:
        out[local_r, local_c] = _predict_points(strip, forest, local_r + strip.start, local_c)
    return int(local_r.size)


def _cells_to_refine(coarse: np.ndarray) -> np.ndarray:
    """``(rows-1, cols-1)`` bool: cells whose corners disagree on the class or are unsure."""
    top = coarse.argmax(axis=2)
    sure = coarse.max(axis=2) >= CONFIDENT
    corners = [
        (slice(None, -1), slice(None, -1)),
        (slice(None, -1), slice(1, None)),
        (slice(1, None), slice(None, -1)),
        (slice(1, None), slice(1, None)),
    ]
    same = np.ones((top.shape[0] - 1, top.shape[1] - 1), bool)
    for r, c in corners:
        same &= (top[r, c] == top[:-1, :-1]) & sure[r, c]
    return ~same


def _interpolate(
    coarse: np.ndarray,
    grid_rows: np.ndarray,
    grid_cols: np.ndarray,
    pixel_rows: np.ndarray,
    cell_r: np.ndarray,
    cell_c: np.ndarray,
) -> np.ndarray:
    """Bilinear interpolation of the grid probabilities ``(gr, gc, K)`` at every pixel of the strip."""
    width = cell_c.size
    wr = ((pixel_rows - grid_rows[cell_r]) / (grid_rows[cell_r + 1] - grid_rows[cell_r])).astype(np.float32)
    cols = np.arange(width)
    wc = ((cols - grid_cols[cell_c]) / (grid_cols[cell_c + 1] - grid_cols[cell_c])).astype(np.float32)
    along = coarse[:, cell_c] * (1 - wc)[None, :, None] + coarse[:, cell_c + 1] * wc[None, :, None]
    return along[cell_r] * (1 - wr)[:, None, None] + along[cell_r + 1] * wr[:, None, None]


def _predict_points(strip: StripFeatures, forest: FlatForest, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Exact probabilities ``(N, K)`` at the given pixels, in chunks that bound the feature memory."""
    out = np.empty((rows.size, forest.n_classes), np.float32)
    for begin in range(0, rows.size, CHUNK_PIXELS):
        end = begin + CHUNK_PIXELS
        out[begin:end] = forest.predict_proba(strip.sample(rows[begin:end], cols[begin:end]))
    return out


def _grid(size: int) -> np.ndarray:
    """Grid coordinates every ``GRID_STEP_PX`` pixels, always including the last pixel."""
    return np.unique(np.append(np.arange(0, size, GRID_STEP_PX), size - 1))
