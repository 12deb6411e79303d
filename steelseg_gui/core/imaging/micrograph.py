"""Reading micrographs and reading/writing label images.

Array conventions used everywhere in SteelSeg:

* A micrograph as read is ``(H, W)`` for grey or ``(H, W, 3)`` for colour, in its original
  dtype (uint8, uint16, float...). It is never modified.
* For computation it is converted once by :func:`to_float01` to float32 ``(H, W, C)`` in
  [0, 1], ``C`` = 1 or 3.
* A label image is ``(H, W)`` integer: 0 = unlabelled, 1..K = classes of the class table.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, ImageFile, UnidentifiedImageError

from steelseg_gui.core.errors import MicrographError
from steelseg_gui.core.imaging.pixel_size import tiff_pixel_size_um

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luminance
MICROGRAPH_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp")
MIN_SIDE_PX = 16
DEFAULT_MAX_PIXELS = 250_000_000  # 250 megapixels: a 16000×15000 montage; 0.75 GB as RGB uint8
MAX_PIXELS_VARIABLE = "STEELSEG_MAX_PIXELS"
_STRICT_DECODING = threading.Lock()
Image.MAX_IMAGE_PIXELS = 2_000_000_000  # Pillow's own guard, a backstop: SteelSeg checks max_pixels() first


class MicrographWarning(UserWarning):
    """Something about an image was adjusted on reading (alpha dropped, extra pages ignored)."""


@dataclass
class Micrograph:
    """A micrograph as stored on disk.

    ``data`` is ``(H, W)`` grey or ``(H, W, 3)`` colour in the file's dtype; ``pixel_size_um``
    is the side of one pixel in micrometres, or ``None`` when the file does not say.
    """

    path: Path
    data: np.ndarray
    pixel_size_um: float | None
    bit_depth: int
    notes: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def channels(self) -> int:
        return 1 if self.data.ndim == 2 else int(self.data.shape[2])

    def describe(self) -> str:
        """One line for people: size, dtype, channels and pixel size."""
        size = "unknown" if self.pixel_size_um is None else f"{self.pixel_size_um:.4g} µm/px"
        return (
            f"{self.path.name}: {self.width}×{self.height} px, {self.data.dtype} "
            f"({self.bit_depth}-bit), {self.channels} channel(s), pixel size {size}"
        )


def is_micrograph_file(path: Path) -> bool:
    """True when ``path`` has a suffix SteelSeg reads as a micrograph."""
    return path.suffix.lower() in MICROGRAPH_SUFFIXES


def max_pixels() -> int:
    """The most pixels (height × width) SteelSeg decodes from one image: ``STEELSEG_MAX_PIXELS``
    when set, else 250 million. Checked from the file's header before any pixel is decoded."""
    text = os.environ.get(MAX_PIXELS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(text)
    except ValueError:
        raise MicrographError(f"{MAX_PIXELS_VARIABLE}={text!r} is not a whole number of pixels") from None
    if value < 1:
        raise MicrographError(f"{MAX_PIXELS_VARIABLE}={text!r} must be at least 1")
    return value


def check_pixel_count(path: Path, width: int, height: int, error: type[Exception] = MicrographError) -> None:
    """Refuse an image whose header declares more pixels than :func:`max_pixels` (before decoding it)."""
    cap = max_pixels()
    if width * height > cap:
        raise error(
            f"{path}: the file declares {width}×{height} = {width * height:,} pixels, more than the "
            f"{cap:,} SteelSeg reads at once; set {MAX_PIXELS_VARIABLE} to raise the limit if the image is genuine"
        )


@contextlib.contextmanager
def open_image(path: Path, error: type[Exception] = MicrographError) -> Iterator[Image.Image]:
    """An image decoded by Pillow once its header's size has been checked; a truncated file is an
    error even where another library (WeasyPrint) told Pillow to fill truncated images in grey."""
    try:
        image = Image.open(path)
    except Image.DecompressionBombError:
        raise error(
            f"{path}: the file declares more than {Image.MAX_IMAGE_PIXELS:,} pixels, more than the "
            f"{max_pixels():,} SteelSeg reads at once ({MAX_PIXELS_VARIABLE} sets that limit)"
        ) from None
    with image:
        check_pixel_count(path, *image.size, error=error)
        with _STRICT_DECODING:
            lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = lenient
        yield image


def read_micrograph(path: str | Path) -> Micrograph:
    """Read a TIFF, PNG, JPEG or BMP micrograph.

    Multi-page TIFFs give their first page (with a note), an alpha channel is dropped (with a
    note), palette images become RGB. Raises :class:`MicrographError` naming the file when it
    is missing, empty, not an image, truncated, too small, larger than :func:`max_pixels` (from
    its header, before decoding), of an unsupported layout, or when its pixels are complex,
    not finite (NaN, infinity) or negative.
    """
    path = Path(path)
    _check_file(path)
    notes: list[str] = []
    if path.suffix.lower() in (".tif", ".tiff"):
        data, pixel_size = _read_tiff(path, notes)
    else:
        data, pixel_size = _read_with_pillow(path, notes), None
    data = _standard_layout(path, data, notes)
    _check_size(path, data)
    check_pixel_values(path, data)
    for note in notes:
        warnings.warn(f"{path.name}: {note}", MicrographWarning, stacklevel=2)
    return Micrograph(path, data, pixel_size, _bit_depth(data.dtype), notes)


def to_float01(data: np.ndarray) -> np.ndarray:
    """The one normalisation used for computation: float32 ``(H, W, C)`` in [0, 1].

    Integer images are divided by their dtype's maximum (255 for uint8, 65535 for uint16), so
    the same grey level always maps to the same value whatever the image content. Float images
    already within [0, 1] are kept; other float ranges are rescaled from their min..max.
    """
    if data.ndim == 2:
        data = data[..., np.newaxis]
    if data.dtype == bool:
        return data.astype(np.float32)
    if np.issubdtype(data.dtype, np.integer):
        scale = np.float32(1.0 / np.iinfo(data.dtype).max)
        return data.astype(np.float32) * scale
    out = data.astype(np.float32, copy=True)
    low, high = float(np.nanmin(out)), float(np.nanmax(out))
    if low < 0.0 or high > 1.0:
        out -= low
        out /= max(high - low, np.finfo(np.float32).tiny)
    return np.nan_to_num(out, copy=False)


def matching_channels(image: np.ndarray, channels: int, name: str = "image") -> np.ndarray:
    """``image`` ``(H, W, C)`` as the model's channel count: colour → grey by luminance, grey → 3 equal channels."""
    if image.ndim != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise MicrographError(f"{name}: an image must have a height and width of at least one pixel")
    if image.shape[2] == channels:
        return image
    if channels == 1 and image.shape[2] == 3:
        return np.tensordot(image, LUMA_WEIGHTS, axes=([2], [0])).astype(np.float32)[..., None]
    if channels == 3 and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    raise MicrographError(f"{name}: has {image.shape[2]} channels but the model takes {channels}")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise MicrographError(f"{path}: file not found")
    if path.is_dir():
        raise MicrographError(f"{path}: is a folder, not an image file")
    if not is_micrograph_file(path):
        raise MicrographError(
            f"{path}: unsupported file type '{path.suffix}'; use one of {', '.join(MICROGRAPH_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise MicrographError(f"{path}: the file is empty (0 bytes)")


def _read_tiff(path: Path, notes: list[str]) -> tuple[np.ndarray, float | None]:
    try:
        with tifffile.TiffFile(path) as tif:
            if len(tif.pages) > 1:
                notes.append(f"multi-page TIFF with {len(tif.pages)} pages; only the first page is used")
            page = tif.pages[0]
            height, width = _tiff_plane(page)
            check_pixel_count(path, width, height)
            data = page.asarray()
            if page.axes.startswith("S") and data.ndim == 3:
                data = np.moveaxis(data, 0, -1)
            return data, tiff_pixel_size_um(tif)
    except MicrographError:
        raise
    except Exception as exc:  # tifffile raises many types for damaged files
        raise MicrographError(f"{path}: not a readable TIFF image ({exc})") from exc


def _read_with_pillow(path: Path, notes: list[str]) -> np.ndarray:
    try:
        with open_image(path) as image:
            if image.mode == "P":
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            elif image.mode == "CMYK":
                image = image.convert("RGB")
                notes.append("CMYK image converted to RGB")
            elif image.mode == "I":
                return _narrow_int32(np.asarray(image))
            return np.asarray(image).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MicrographError(f"{path}: not a readable image, the file may be damaged or truncated ({exc})") from exc


def _tiff_plane(page) -> tuple[int, int]:
    """(height, width) of a TIFF page from its header (tags only, no pixel decoded)."""
    shape = tuple(int(n) for n in page.shape)
    axes = page.axes
    if "Y" in axes and "X" in axes:
        return shape[axes.index("Y")], shape[axes.index("X")]
    return (shape[0], shape[1]) if len(shape) >= 2 else (shape[0] if shape else 0, 1)


def check_pixel_values(path: Path, data: np.ndarray) -> None:
    """Refuse pixels that are no light intensity: complex numbers, NaN or infinities, negative values."""
    if np.iscomplexobj(data):
        raise MicrographError(f"{path}: holds complex-valued pixels ({data.dtype}); expected light intensities")
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        bad = int(data.size - np.count_nonzero(np.isfinite(data)))
        raise MicrographError(f"{path}: {bad:,} pixels are not finite numbers (NaN or infinity); expected intensities")
    if data.dtype.kind in "fi" and data.size and data.min() < 0:
        raise MicrographError(
            f"{path}: holds negative pixel values (down to {data.min()}); expected intensities of 0 or more"
        )
    if data.dtype.kind not in "biuf":
        raise MicrographError(f"{path}: pixels of type {data.dtype} are not intensities")


def _narrow_int32(data: np.ndarray) -> np.ndarray:
    if data.min() >= 0 and data.max() <= np.iinfo(np.uint16).max:
        return data.astype(np.uint16)
    return data


def _standard_layout(path: Path, data: np.ndarray, notes: list[str]) -> np.ndarray:
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    if data.ndim == 3 and data.shape[2] == 2:
        notes.append("grey + alpha image: alpha channel dropped")
        data = data[..., 0]
    if data.ndim == 3 and data.shape[2] == 4:
        notes.append("RGBA image: alpha channel dropped")
        data = data[..., :3]
    if data.ndim == 2 or (data.ndim == 3 and data.shape[2] == 3):
        return data
    raise MicrographError(f"{path}: unsupported image layout {data.shape}; expected grey (H, W) or RGB (H, W, 3)")


def _check_size(path: Path, data: np.ndarray) -> None:
    height, width = data.shape[:2]
    if height < MIN_SIDE_PX or width < MIN_SIDE_PX:
        raise MicrographError(
            f"{path}: image is only {width}×{height} pixels; SteelSeg needs at least {MIN_SIDE_PX}×{MIN_SIDE_PX}"
        )


def _bit_depth(dtype: np.dtype) -> int:
    return 1 if dtype == np.bool_ else int(np.dtype(dtype).itemsize * 8)
