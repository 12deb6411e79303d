"""Tile data sets for the deep nets: labelled images, the tile grid, the split, batches.

Arrays: images ``(H, W, C)`` float32 in [0, 1]; masks ``(H, W)`` label values (0 = unlabelled,
1..K = classes); batches ``x (N, C, T, T)`` float32 normalised per channel and ``y (N, T, T)``
int64 class indices 0..K-1, with :data:`IGNORE` where the mask is unlabelled or padded.

The seed paper's protocol: tiles of 224 px on a grid (54 per 2080×1542 image), each also
rotated by 90°, 180° and 270°. By default SteelSeg's grid covers the whole image (the last
row and column of tiles touch the far edges) and training tiles are random crops around the
grid positions with random flips and quarter turns, drawn anew each epoch.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np

from steelseg_gui.core.errors import LabelImageError, SteelSegError
from steelseg_gui.core.nets.settings import DEFAULT_TILE
from steelseg_gui.core.project.classes import ClassTable

IGNORE = -100
DEFAULT_FRACTIONS = (0.7, 0.2, 0.1)
PARTS = ("train", "validation", "test")


class TileSplitWarning(UserWarning):
    """Splitting by tile lets rotated copies and neighbours of test tiles into training."""


@dataclass
class LabelledImage:
    """One image ``(H, W, C)`` float32 in [0, 1] and its mask ``(H, W)`` of label values."""

    name: str
    image: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class TileRef:
    """A tile of ``items[image]`` with top-left corner ``(row, col)`` in px, turned ``rotation`` × 90°."""

    image: int
    row: int
    col: int
    rotation: int = 0


@dataclass
class TilePlan:
    """Tiles of each part, and which image names each part holds."""

    tile: int
    parts: dict[str, list[TileRef]]
    names: dict[str, list[str]]
    split_by: str = "image"
    notes: list[str] = field(default_factory=list)


def check_labelled(items: list[LabelledImage], classes: ClassTable) -> int:
    """Check shapes and label values; return the common channel count C."""
    if not items:
        raise LabelImageError("no labelled images to train on: review or import some masks first")
    allowed = set(classes.values) | {0}
    channels = {item.image.shape[2] for item in items}
    for item in items:
        if item.mask.shape != item.image.shape[:2]:
            raise LabelImageError(
                f"{item.name}: mask {item.mask.shape[1]}×{item.mask.shape[0]} px does not match "
                f"its image {item.image.shape[1]}×{item.image.shape[0]} px"
            )
        extra = sorted(set(np.unique(item.mask).tolist()) - allowed)
        if extra:
            raise LabelImageError(
                f"{item.name}: mask has label values {extra} but the classes are "
                f"{', '.join(f'{c.value} {c.name}' for c in classes)}"
            )
    if len(channels) > 1:
        raise LabelImageError(
            f"the images mix channel counts {sorted(channels)}; convert them all to grey or "
            "all to colour before training"
        )
    present = set().union(*(np.unique(item.mask).tolist() for item in items)) - {0}
    if len(present) < 2:
        only = f"only '{classes.name_of(present.pop())}'" if present else "no labelled pixel"
        raise LabelImageError(
            f"the masks hold {only}; a net needs labelled pixels of at least two phases to tell them apart"
        )
    return channels.pop()


def pad_to_tile(item: LabelledImage, tile: int) -> LabelledImage:
    """An image smaller than a tile, padded by reflection (mask padded with 0, ignored) to ``tile``."""
    height, width = item.mask.shape
    rows, cols = max(0, tile - height), max(0, tile - width)
    if not rows and not cols:
        return item
    mode = "reflect" if height > 1 and width > 1 and rows < height and cols < width else "edge"
    image = np.pad(item.image, ((0, rows), (0, cols), (0, 0)), mode=mode)
    return LabelledImage(item.name, image, np.pad(item.mask, ((0, rows), (0, cols))))


def grid_origins(height: int, width: int, tile: int, cover: bool = True, overlap_px: int = 0) -> list[tuple[int, int]]:
    """Top-left corners (px) of the tile grid of a ``height × width`` image (at least tile × tile).

    ``cover=False`` is the seed paper's grid: ``floor(H/T) × floor(W/T)`` tiles from the corner.
    ``cover=True`` spreads tiles evenly so that they reach every pixel, neighbours overlapping by at
    least ``overlap_px``.
    """

    def starts(size: int) -> list[int]:
        if not cover:
            return [k * tile for k in range(size // tile)]
        count = 1 if size <= tile else 1 + -(-(size - tile) // (tile - overlap_px))
        return [0] if count == 1 else [round(k * (size - tile) / (count - 1)) for k in range(count)]

    return [(r, c) for r in starts(height) for c in starts(width)]


def split_by_image(names: list[str], fractions=DEFAULT_FRACTIONS, seed: int = 0) -> dict[str, list[str]]:
    """Shuffle image names (seeded) and cut them ``fractions`` of train/validation/test.

    Every part gets at least one image when there are enough: 1 image → train only; 2 → train and
    validation; 3 or more → all three parts.
    """
    order = list(names)
    np.random.default_rng(seed).shuffle(order)
    n = len(order)
    test = min(max(1 if n >= 3 else 0, round(fractions[2] * n)), max(0, n - 2))
    validation = min(max(1 if n >= 2 else 0, round(fractions[1] * n)), max(0, n - 1 - test))
    train = n - validation - test
    return {
        "train": order[:train],
        "validation": order[train : train + validation],
        "test": order[train + validation :],
    }


def plan_tiles(
    items: list[LabelledImage],
    tile: int = DEFAULT_TILE,
    split: str = "image",
    fractions=DEFAULT_FRACTIONS,
    seed: int = 0,
    paper_grid: bool = False,
    names: dict[str, list[str]] | None = None,
) -> TilePlan:
    """Tiles of every part. ``names`` fixes the split by image names (e.g. the published UHCS split).

    ``paper_grid`` uses the seed paper's grid and all four quarter turns in every part; otherwise
    the covering grid, unrotated (training adds random turns, flips and crop offsets).
    ``split="tile"`` shuffles tiles instead of images and warns about the leakage this causes.
    """
    rotations = (0, 1, 2, 3) if paper_grid else (0,)
    index = {item.name: k for k, item in enumerate(items)}

    def tiles_of(k: int) -> list[TileRef]:
        height, width = items[k].mask.shape
        return [TileRef(k, r, c, q) for r, c in grid_origins(height, width, tile, not paper_grid) for q in rotations]

    if split == "tile":
        note = (
            "split by tile: rotated copies and neighbours of test tiles are in the training set, so test "
            "scores will be optimistic; split by image to measure how the model does on new micrographs"
        )
        warnings.warn(note, TileSplitWarning, stacklevel=2)
        every = [ref for k in range(len(items)) for ref in tiles_of(k)]
        order = split_by_image([str(i) for i in range(len(every))], fractions, seed)
        parts = {part: [every[int(i)] for i in order[part]] for part in PARTS}
        return TilePlan(tile, parts, {part: [item.name for item in items] for part in PARTS}, "tile", [note])
    if split != "image":
        raise SteelSegError(f"unknown split '{split}': use 'image' or 'tile'")
    names = names or split_by_image([item.name for item in items], fractions, seed)
    unknown = sorted(set(n for part in names.values() for n in part) - set(index))
    if unknown:
        raise LabelImageError(f"the split names images that are not in the data: {', '.join(unknown[:5])}")
    parts = {part: [ref for n in names.get(part, []) for ref in tiles_of(index[n])] for part in PARTS}
    return TilePlan(tile, parts, {part: list(names.get(part, [])) for part in PARTS})


def class_lookup(classes: ClassTable) -> np.ndarray:
    """Array mapping a label value to its class index 0..K-1 (unlabelled 0 → :data:`IGNORE`)."""
    lut = np.full(max(classes.values) + 1, IGNORE, np.int64)
    lut[classes.values] = np.arange(len(classes))
    return lut


def class_weights(items: list[LabelledImage], classes: ClassTable, mode: str = "median") -> np.ndarray:
    """Weights ``(K,)`` for the weighted cross-entropy from the labelled pixels of ``items``.

    ``median``: median class frequency / class frequency; ``inverse``: pixels / (K · class pixels);
    ``none``: all ones. A class with no pixels gets weight 0.
    """
    counts = np.zeros(len(classes), np.float64)
    lut = class_lookup(classes)
    for item in items:
        index = lut[item.mask.ravel()]
        counts += np.bincount(index[index >= 0], minlength=len(classes))
    present = counts > 0
    weights = np.zeros_like(counts)
    if mode == "none":
        weights[:] = 1.0
    elif mode == "median":
        frequency = counts / counts.sum()
        weights[present] = np.median(frequency[present]) / frequency[present]
    elif mode == "inverse":
        weights[present] = counts.sum() / (present.sum() * counts[present])
    else:
        raise SteelSegError(f"unknown class weighting '{mode}': use median, inverse or none")
    return weights.astype(np.float32)


def channel_statistics(items: list[LabelledImage]) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of the pixels of ``items`` (the normalisation)."""
    total = sum(item.image.reshape(-1, item.image.shape[2]).sum(axis=0, dtype=np.float64) for item in items)
    squares = sum(
        np.square(item.image.reshape(-1, item.image.shape[2]), dtype=np.float64).sum(axis=0) for item in items
    )
    pixels = sum(item.mask.size for item in items)
    mean = total / pixels
    std = np.sqrt(np.maximum(squares / pixels - mean**2, 0.0))
    return mean.tolist(), np.maximum(std, 1e-3).tolist()


class TileBatches:
    """Makes batches from tile references: crop, optional augmentation, normalisation, class indices."""

    def __init__(
        self,
        items: list[LabelledImage],
        classes: ClassTable,
        tile: int,
        mean: list[float],
        std: list[float],
        colour_jitter: bool = False,
    ):
        self.items = [pad_to_tile(item, tile) for item in items]
        self.colour_jitter = colour_jitter
        self.tile = tile
        self.lut = class_lookup(classes)
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    def batch(self, refs: list[TileRef], rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``x (N, C, T, T)`` float32 and ``y (N, T, T)`` int64; ``rng`` draws random crops, flips and turns."""
        pairs = [self._tile(ref, rng) for ref in refs]
        x = np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2)
        return np.ascontiguousarray((x - self.mean[:, None, None]) / self.std[:, None, None]), np.stack(
            [p[1] for p in pairs]
        )

    def _tile(self, ref: TileRef, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
        item, t = self.items[ref.image], self.tile
        height, width = item.mask.shape
        row, col, turns, flip = ref.row, ref.col, ref.rotation, False
        if rng is not None:
            row = int(np.clip(row + rng.integers(-t // 2, t // 2 + 1), 0, height - t))
            col = int(np.clip(col + rng.integers(-t // 2, t // 2 + 1), 0, width - t))
            turns, flip = int(rng.integers(4)), bool(rng.integers(2))
        image = item.image[row : row + t, col : col + t]
        labels = self.lut[item.mask[row : row + t, col : col + t]]
        image, labels = np.rot90(image, turns), np.rot90(labels, turns)
        if flip:
            image, labels = image[:, ::-1], labels[:, ::-1]
        if rng is not None and self.colour_jitter:
            image = jitter_colour(image, rng)
        return image, labels


def jitter_colour(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random gamma, contrast, brightness and (colour images) channel gains: how etching, lamp and
    camera vary between laboratories. ``image`` ``(T, T, C)`` float in [0, 1]."""
    gamma, contrast, brightness = rng.uniform(0.7, 1.4), rng.uniform(0.75, 1.3), rng.uniform(-0.08, 0.08)
    out = np.clip(image, 0, 1) ** gamma
    out = (out - out.mean()) * contrast + out.mean() + brightness
    if image.shape[2] == 3:
        out = out * rng.uniform(0.9, 1.1, 3).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32)


def epoch_rng(seed: int, epoch: int, part: str = "train") -> np.random.Generator:
    """The random generator of one epoch: the same seed and epoch give the same crops and order."""
    return np.random.default_rng([seed, epoch, zlib.crc32(part.encode())])
