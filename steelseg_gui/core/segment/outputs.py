"""The one writer of segmentation outputs, used by ``steelseg segment``, ``steelseg rf apply`` and
the report's overlays.

For an image named ``STEM`` it writes ``STEM.png`` (labels 1..K, uint8 or uint16), and on request
``STEM_probabilities.tif`` (float32 ``(K, H, W)``, in the order of the classes) with
``STEM_uncertainty.tif`` (float32 ``(H, W)``, 1 − top probability), and ``STEM_overlay.png``
(the micrograph in grey with the class colours blended in). Every file is written atomically.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from steelseg_gui.core.atomic import atomic_write_bytes
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.project.classes import ClassTable

OVERLAY_ALPHA = 0.4


@dataclass(frozen=True)
class OutputOptions:
    """Which files to write besides the label image."""

    probabilities: bool = False
    overlay: bool = False


def write_outputs(
    out: Path,
    stem: str,
    raw: np.ndarray,
    prediction: Prediction,
    classes: ClassTable,
    options: OutputOptions = OutputOptions(),
) -> list[Path]:
    """Write the outputs of one image into ``out``; ``raw`` is the micrograph as read. Returns the paths."""
    out = Path(out)
    written = [write_label_image(out / f"{stem}.png", prediction.labels)]
    if options.probabilities:
        written.append(_write_tiff(out / f"{stem}_probabilities.tif", prediction.probabilities.transpose(2, 0, 1)))
        written.append(_write_tiff(out / f"{stem}_uncertainty.tif", prediction.uncertainty))
    if options.overlay:
        written.append(write_png(out / f"{stem}_overlay.png", overlay_image(raw, prediction.labels, classes)))
    return written


def output_names(stem: str, options: OutputOptions = OutputOptions()) -> list[str]:
    """The file names :func:`write_outputs` writes for ``stem`` with ``options``."""
    names = [f"{stem}.png"]
    if options.probabilities:
        names += [f"{stem}_probabilities.tif", f"{stem}_uncertainty.tif"]
    if options.overlay:
        names.append(f"{stem}_overlay.png")
    return names


def overlay_image(raw: np.ndarray, labels: np.ndarray, classes: ClassTable, alpha: float = OVERLAY_ALPHA) -> np.ndarray:
    """``(H, W, 3)`` uint8: the micrograph in grey with each class's colour blended in at ``alpha``."""
    grey = to_float01(raw).mean(axis=2)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    for phase in classes:
        inside = labels == phase.value
        rgb[inside] = (1 - alpha) * rgb[inside] + alpha * np.asarray(phase.rgba()[:3], np.float32)
    return np.round(rgb * 255).astype(np.uint8)


def _write_tiff(path: Path, array: np.ndarray) -> Path:
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.ascontiguousarray(array, np.float32))
    return atomic_write_bytes(path, buffer.getvalue())
