"""The pictures of a report: each field's original beside its overlay, with a scale bar burnt into
both when the pixel size is known, the confusion matrices and the training curves, as PNG data URIs
(so the HTML is one self-contained file and the PDF renderer needs no files).

Images are ``(H, W, 3)`` uint8 RGB. Fields are shrunk to at most ``MAX_WIDTH`` pixels wide for the
report; the scale bar is drawn after shrinking, at the shrunken pixel size.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.segment.outputs import overlay_image

MAX_WIDTH = 900
SCALE_BAR_SHARE = 0.2  # the bar is the "nice" length closest below this share of the field width


@dataclass(frozen=True)
class FieldFigure:
    """One field as the report shows it: original and overlay (data URIs) and the scale bar's length."""

    name: str
    original: str
    overlay: str
    scale_bar_um: float | None

    @property
    def scale_bar_label(self) -> str | None:
        return None if self.scale_bar_um is None else format_length_um(self.scale_bar_um)


def field_figure(name: str, raw: np.ndarray, labels: np.ndarray, classes: ClassTable, pixel_size_um: float | None):
    """The :class:`FieldFigure` of a micrograph ``raw`` (as read) and its label image ``(H, W)``."""
    original = np.round(np.broadcast_to(to_float01(raw), (*raw.shape[:2], 3)) * 255).astype(np.uint8)
    overlay = overlay_image(raw, labels, classes)
    factor = max(1, math.ceil(raw.shape[1] / MAX_WIDTH))
    original, overlay = _shrink(original, factor), _shrink(overlay, factor)
    bar_um = None
    if pixel_size_um:
        shown_pixel_um = pixel_size_um * raw.shape[1] / original.shape[1]
        bar_um = scale_bar_length_um(original.shape[1] * shown_pixel_um)
        label = format_length_um(bar_um)
        original = draw_scale_bar(original, bar_um / shown_pixel_um, label)
        overlay = draw_scale_bar(overlay, bar_um / shown_pixel_um, label)
    return FieldFigure(name, png_data_uri(original), png_data_uri(overlay), bar_um)


def scale_bar_length_um(field_width_um: float) -> float:
    """A round length (1, 2 or 5 × 10^k µm) at most ``SCALE_BAR_SHARE`` of the field width."""
    target = field_width_um * SCALE_BAR_SHARE
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def format_length_um(length_um: float) -> str:
    """``50 µm``, ``0.5 µm``, ``2 mm``."""
    if length_um >= 1000:
        return f"{length_um / 1000:g} mm"
    return f"{length_um:g} µm"


def draw_scale_bar(rgb: np.ndarray, length_px: float, label: str) -> np.ndarray:
    """A copy of ``rgb`` with a white bar of ``length_px`` pixels outlined in black in the lower right
    corner, and ``label`` above it (white, outlined)."""
    from PIL import Image, ImageDraw, ImageFont

    height, width = rgb.shape[:2]
    thickness = max(3, round(height / 80))
    margin = max(4, round(width / 40))
    length = max(1, round(length_px))
    top, left = height - margin - thickness, width - margin - length
    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((left - 1, top - 1, left + length, top + thickness), fill="white", outline="black")
    font = ImageFont.truetype(_dejavu_sans(), size=max(10, round(height / 28)))
    draw.text(
        (left + length / 2, top - 3), label, fill="white", font=font, anchor="md", stroke_width=2, stroke_fill="black"
    )
    return np.asarray(picture)


def _dejavu_sans() -> str:
    """DejaVu Sans as matplotlib ships it (it has the µ of the labels)."""
    from pathlib import Path

    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def png_data_uri(rgb: np.ndarray) -> str:
    """A PNG data URI of an ``(H, W, 3)`` or ``(H, W)`` uint8 image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=False)
    return bytes_data_uri(buffer.getvalue())


def figure_data_uri(figure) -> str:
    """A PNG data URI of a matplotlib figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return bytes_data_uri(buffer.getvalue())


def bytes_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _shrink(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Block-mean downsampling by an integer ``factor`` (edges cropped to a whole block)."""
    if factor == 1:
        return rgb
    height, width = (rgb.shape[0] // factor) * factor, (rgb.shape[1] // factor) * factor
    blocks = rgb[:height, :width].reshape(height // factor, factor, width // factor, factor, 3)
    return np.round(blocks.mean(axis=(1, 3))).astype(np.uint8)
