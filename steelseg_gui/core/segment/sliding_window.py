"""Full-resolution segmentation by a sliding window, for any model that scores square tiles.

Tiles overlap by a quarter of their size and are scored in batches by a ``predict`` function
(``(N, T, T, C)`` float tiles in [0, 1] → ``(N, T, T, K)`` class probabilities): torch nets
(:mod:`~steelseg_gui.core.segment.net_segmenter`) and ONNX models run in onnxruntime
(:mod:`~steelseg_gui.core.segment.onnx_segmenter`) share this tiling and blending. The
probabilities are blended with a smooth (sine) weight that falls towards each tile's border, so no
seam shows where tiles meet. Rows of tiles are streamed: only one row of tiles' worth of
accumulators is held, so memory does not grow with the image height. Images smaller than a tile
are padded by reflection. This module imports no torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.nets.tiles import grid_origins
from steelseg_gui.core.prediction import Prediction

OVERLAP = 0.25
BATCH = 8

TilePredictor = Callable[[np.ndarray], np.ndarray]


def blend_weights(tile: int) -> np.ndarray:
    """``(tile, tile)`` float32 weights: a sine bump, largest at the centre, small but positive at the edges."""
    ramp = np.sin(np.pi * (np.arange(tile) + 0.5) / tile).astype(np.float32)
    return np.outer(ramp, ramp)


def segment_by_tiles(
    image: np.ndarray,
    tile: int,
    class_values: list[int],
    predict: TilePredictor,
    name: str = "image",
    batch_size: int = BATCH,
    overlap: float = OVERLAP,
) -> Job[Prediction]:
    """Labels and probabilities of an ``(H, W, C)`` float image in [0, 1], scored tile by tile by
    ``predict`` (a job, one report per batch of tiles)."""
    height, width = image.shape[:2]
    padded = np.pad(
        image,
        ((0, max(0, tile - height)), (0, max(0, tile - width)), (0, 0)),
        mode="reflect" if height > tile // 2 and width > tile // 2 else "edge",
    )
    origins = grid_origins(*padded.shape[:2], tile, overlap_px=round(overlap * tile))
    rows = sorted({r for r, _ in origins})
    cols = sorted({c for _, c in origins})
    probabilities = np.empty((height, width, len(class_values)), np.float32)
    stream = _RowStream(padded.shape[1], tile, len(class_values), probabilities, height, width)
    weights = blend_weights(tile)
    batches = -(-len(cols) // batch_size) * len(rows)
    done = 0
    for row in rows:
        stream.advance_to(row)
        for start in range(0, len(cols), batch_size):
            chunk = cols[start : start + batch_size]
            scores = predict(np.stack([padded[row : row + tile, c : c + tile] for c in chunk]))
            for c, p in zip(chunk, scores):
                stream.add(c, p, weights)
            done += 1
            yield Progress(done, batches, f"{name}: tile batch {done}/{batches}")
    stream.finish()
    return Prediction.from_probabilities(probabilities, class_values)


class _RowStream:
    """Accumulates blended tile probabilities for one band of ``tile`` rows at a time and writes
    each finished row (no later tile reaches it) into ``out`` (``(H, W, K)``, cropped to the image)."""

    def __init__(self, width: int, tile: int, classes: int, out: np.ndarray, height: int, out_width: int):
        self.top, self.tile, self.out, self.height, self.width = 0, tile, out, height, out_width
        self.sums = np.zeros((tile, width, classes), np.float32)
        self.weights = np.zeros((tile, width), np.float32)

    def advance_to(self, row: int) -> None:
        """Rows above ``row`` are final: write them out and shift the band down."""
        shift = row - self.top
        if shift <= 0:
            return
        self._write(shift)
        self.sums[:-shift] = self.sums[shift:]
        self.sums[-shift:] = 0
        self.weights[:-shift] = self.weights[shift:]
        self.weights[-shift:] = 0
        self.top = row

    def add(self, col: int, probabilities: np.ndarray, weights: np.ndarray) -> None:
        t = self.tile
        self.sums[:, col : col + t] += probabilities * weights[..., None]
        self.weights[:, col : col + t] += weights

    def finish(self) -> None:
        self._write(self.tile)

    def _write(self, rows: int) -> None:
        stop = min(self.top + rows, self.height)
        if stop <= self.top:
            return
        n = stop - self.top
        self.out[self.top : stop] = self.sums[:n, : self.width] / self.weights[:n, : self.width, None]
