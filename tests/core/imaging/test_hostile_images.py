"""Hostile and unlucky image files: sizes checked from the header before decoding (every format),
pixels that are no intensities refused, label values never narrowed silently."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from steelseg_gui.core.errors import LabelImageError, MicrographError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import MAX_PIXELS_VARIABLE, read_micrograph
from tests.conftest import write_png


def huge_png(path, width=60000, height=60000):
    """A 20×20 PNG whose header claims ``width``×``height`` (a few hundred bytes on disk)."""
    write_png(path, np.zeros((20, 20), np.uint8))
    data = bytearray(path.read_bytes())
    ihdr = data[12:29]
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def huge_tiff(path, dtype=np.uint8):
    """A 20×20 TIFF whose ImageWidth/ImageLength tags claim 65535×65535."""
    tifffile.imwrite(path, np.zeros((20, 20), dtype))
    with tifffile.TiffFile(path) as tif:
        offsets = [
            (tif.pages[0].tags[name].valueoffset, tif.pages[0].tags[name].dtype)
            for name in ("ImageWidth", "ImageLength")
        ]
    data = bytearray(path.read_bytes())
    for offset, kind in offsets:
        fmt = "<H" if int(kind) == 3 else "<I"
        data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, 65535)
    path.write_bytes(bytes(data))
    return path


def huge_jpeg(path):
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path, quality=90)
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    path.write_bytes(bytes(data))
    return path


def huge_bmp(path):
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    data[18:26] = struct.pack("<ii", 60000, 60000)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make, name", [(huge_png, "h.png"), (huge_tiff, "h.tif"), (huge_jpeg, "h.jpg"), (huge_bmp, "h.bmp")]
)
def test_declared_size_is_checked_before_decoding(tmp_path, make, name):
    path = make(tmp_path / name)
    assert path.stat().st_size < 10_000
    code = (
        "import resource\nfrom steelseg_gui.core.imaging.micrograph import read_micrograph\n"
        "from steelseg_gui.core.errors import MicrographError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"try:\n    read_micrograph({str(path)!r})\nexcept MicrographError as exc:\n    print(exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    message, grown = out.strip().rsplit("\n", 1)
    assert name in message and "250,000,000" in message and MAX_PIXELS_VARIABLE in message
    assert int(grown) < 100 * 2**20  # nothing near the gigabytes the header claims


def test_pixel_cap_is_configurable_and_named(tmp_path, monkeypatch, grey_png):
    monkeypatch.setenv(MAX_PIXELS_VARIABLE, "1000")
    with pytest.raises(MicrographError, match=r"64×48 = 3,072 pixels, more than the 1,000"):
        read_micrograph(grey_png)
    with pytest.raises(LabelImageError, match="1,000"):
        read_label_image(grey_png)
    monkeypatch.setenv(MAX_PIXELS_VARIABLE, "lots")
    with pytest.raises(MicrographError, match="STEELSEG_MAX_PIXELS='lots' is not a whole number"):
        read_micrograph(grey_png)
    monkeypatch.setenv(MAX_PIXELS_VARIABLE, "4000")
    assert read_micrograph(grey_png).data.shape == (48, 64)


@pytest.mark.parametrize(
    "data, message",
    [
        (np.where(np.eye(20, dtype=bool), np.nan, 0.5).astype(np.float32), "20 pixels are not finite numbers"),
        (np.full((20, 20), np.inf, np.float64), "not finite numbers"),
        (np.full((20, 20), -0.25, np.float32), "negative pixel values"),
        (np.full((20, 20), -3, np.int16), "negative pixel values"),
        (np.full((20, 20), 1 + 2j, np.complex64), "complex-valued pixels"),
    ],
)
def test_pixels_that_are_no_intensities_are_refused(tmp_path, data, message):
    path = tmp_path / "odd.tif"
    tifffile.imwrite(path, data)
    with pytest.raises(MicrographError, match=message) as info:
        read_micrograph(path)
    assert "odd.tif" in str(info.value)


def test_label_values_are_never_wrapped_or_clipped(tmp_path):
    tifffile.imwrite(tmp_path / "neg.tif", np.array([[0, -1], [2, 3]] * 8, np.int32))
    with pytest.raises(LabelImageError, match=r"neg.tif: label values \[-1\] are outside 0..65535"):
        read_label_image(tmp_path / "neg.tif")
    big = Image.fromarray(np.array([[0, 70000], [65536, 1]] * 8, np.int32), mode="I")
    big.save(tmp_path / "big.tif")
    with pytest.raises(LabelImageError, match=r"\[65536, 70000\]"):
        read_label_image(tmp_path / "big.tif")
    write_png(tmp_path / "top.png", np.array([[0, 255]] * 16, np.uint8))
    shifted = read_label_image(tmp_path / "top.png", zero_based=True)
    assert shifted.dtype == np.uint16 and shifted.tolist()[0] == [1, 256]
    assert read_label_image(tmp_path / "top.png").flags.writeable  # masks are painted in place


def test_truncated_files_stay_errors_after_weasyprint_told_pillow_otherwise(tmp_path, monkeypatch):
    from PIL import ImageFile

    noise = np.random.default_rng(1).integers(0, 255, (200, 200), dtype=np.uint8)
    whole = write_png(tmp_path / "whole.png", noise).read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(MicrographError, match="cut.png: not a readable image"):
        read_micrograph(tmp_path / "cut.png")
    with pytest.raises(LabelImageError, match="cut.png: not a readable label image"):
        read_label_image(tmp_path / "cut.png")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
