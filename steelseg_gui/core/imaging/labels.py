"""Label images: ``(H, W)`` integers, 0 = unlabelled, 1..K = classes; stored as PNG (uint8, or
uint16 past 255 classes). Also the one atomic PNG writer for any 8/16-bit grey or RGB array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from steelseg_gui.core.atomic import atomic_write
from steelseg_gui.core.errors import LabelImageError


def write_png(path: str | Path, pixels: np.ndarray) -> Path:
    """Atomically write ``(H, W)`` uint8/uint16 or ``(H, W, 3)`` uint8 pixels as PNG."""
    return atomic_write(path, lambda handle: Image.fromarray(pixels).save(handle, format="PNG", compress_level=3))


def write_label_image(path: str | Path, labels: np.ndarray) -> Path:
    """Atomically write a ``(H, W)`` label image as PNG: uint8, or uint16 past 255 classes."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise LabelImageError(f"{path}: a label image must be a 2-D integer array, got {labels.dtype} {labels.shape}")
    top = int(labels.max()) if labels.size else 0
    if labels.size and int(labels.min()) < 0:
        raise LabelImageError(f"{path}: label values must not be negative")
    if top > np.iinfo(np.uint16).max:
        raise LabelImageError(f"{path}: label value {top} does not fit a 16-bit PNG")
    return write_png(path, labels.astype(np.uint8 if top <= 255 else np.uint16))


def read_label_image(path: str | Path, zero_based: bool = False) -> np.ndarray:
    """Read a ``(H, W)`` label image (uint8 or uint16).

    ``zero_based=True`` reads an external mask whose classes start at 0 and shifts it by one
    to SteelSeg's convention (1..K, 0 = unlabelled).
    """
    path = Path(path)
    if not path.exists():
        raise LabelImageError(f"{path}: label image not found")
    try:
        with Image.open(path) as image:
            image.load()
            labels = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise LabelImageError(f"{path}: not a readable label image ({exc})") from exc
    if labels.ndim == 3:
        if not np.all(labels[..., :3] == labels[..., :1]):
            raise LabelImageError(f"{path}: label image is in colour; expected one class value per pixel (grey PNG)")
        labels = labels[..., 0]
    if not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
        raise LabelImageError(f"{path}: label image holds {labels.dtype} values; expected integers")
    labels = labels.astype(np.uint16 if labels.max(initial=0) > 254 else np.uint8)
    return labels + 1 if zero_based else labels


def label_values(labels: np.ndarray) -> set[int]:
    """The label values present in a non-negative integer label image (O(pixels), no sort)."""
    return set(np.flatnonzero(np.bincount(labels.ravel())).tolist()) if labels.size else set()
