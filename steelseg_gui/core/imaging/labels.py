"""Label images: ``(H, W)`` integers, 0 = unlabelled, 1..K = classes; stored as PNG (uint8, or
uint16 past 255 classes). Also the one atomic PNG writer for any 8/16-bit grey or RGB array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from steelseg_gui.core.atomic import atomic_write
from steelseg_gui.core.errors import LabelImageError
from steelseg_gui.core.imaging.micrograph import open_image

MAX_LABEL = 65535


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
    """Read a ``(H, W)`` label image as uint8 (values up to 255) or uint16.

    ``zero_based=True`` reads an external mask whose classes start at 0 and shifts it by one
    to SteelSeg's convention (1..K, 0 = unlabelled). Values are never narrowed silently: a
    negative value or one past 65535 (after the shift) is refused with the values listed, and
    the image's size is checked from its header before decoding (:func:`.micrograph.max_pixels`).
    """
    path = Path(path)
    if not path.exists():
        raise LabelImageError(f"{path}: label image not found")
    if path.is_dir():
        raise LabelImageError(f"{path}: is a folder, not a label image")
    try:
        with open_image(path, LabelImageError) as image:
            labels = np.array(image)  # a writable copy: a mask is edited in place (napari's paint)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise LabelImageError(f"{path}: not a readable label image ({exc})") from exc
    if labels.ndim == 3:
        if not np.all(labels[..., :3] == labels[..., :1]):
            raise LabelImageError(f"{path}: label image is in colour; expected one class value per pixel (grey PNG)")
        labels = labels[..., 0]
    if labels.ndim != 2:
        raise LabelImageError(f"{path}: a label image must be 2-D, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
        raise LabelImageError(f"{path}: label image holds {labels.dtype} values; expected integers")
    labels = labels.astype(np.int64 if zero_based or labels.dtype.kind == "i" else labels.dtype, copy=False)
    if zero_based:
        labels = labels + 1
    return narrow_labels(labels, path)


def narrow_labels(labels: np.ndarray, name: str | Path = "labels") -> np.ndarray:
    """Integer labels as uint8 (all ≤ 255) or uint16, refusing values outside 0..65535 with the
    offending values listed (a label is never wrapped round or clipped)."""
    if labels.size == 0:
        return labels.astype(np.uint8)
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high > MAX_LABEL:
        bad = np.unique(labels[(labels < 0) | (labels > MAX_LABEL)])
        shown = ", ".join(map(str, bad[:8].tolist())) + (f" and {bad.size - 8} more" if bad.size > 8 else "")
        raise LabelImageError(f"{name}: label values [{shown}] are outside 0..{MAX_LABEL}; a label is a class number")
    return labels.astype(np.uint8 if high <= 255 else np.uint16, copy=False)


def label_values(labels: np.ndarray) -> set[int]:
    """The label values present in a non-negative integer label image (O(pixels), no sort)."""
    return set(np.flatnonzero(np.bincount(labels.ravel())).tolist()) if labels.size else set()
