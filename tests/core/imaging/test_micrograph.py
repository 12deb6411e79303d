"""Micrograph reading: formats, metadata, normalisation, and every kind of bad file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image

from steelseg_gui.core.errors import LabelImageError, MicrographError
from steelseg_gui.core.imaging.labels import read_label_image, write_label_image
from steelseg_gui.core.imaging.micrograph import MicrographWarning, read_micrograph, to_float01
from tests.conftest import write_png


def test_reads_grey_png(grey_png):
    micrograph = read_micrograph(grey_png)
    assert micrograph.data.shape == (48, 64) and micrograph.data.dtype == np.uint8
    assert micrograph.channels == 1 and micrograph.bit_depth == 8 and micrograph.pixel_size_um is None
    assert micrograph.data[0, 1] == 4


def test_reads_jpeg_and_bmp(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    for suffix in (".jpg", ".bmp"):
        path = tmp_path / f"a{suffix}"
        Image.fromarray(rgb).save(path)
        assert read_micrograph(path).data.shape == (40, 50, 3)


def test_rgba_accepted_alpha_dropped_with_note(tmp_path):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 17
    with pytest.warns(MicrographWarning, match="alpha"):
        micrograph = read_micrograph(write_png(tmp_path / "rgba.png", rgba))
    assert micrograph.data.shape == (32, 32, 3) and micrograph.data[0, 0, 0] == 200
    assert any("alpha" in note for note in micrograph.notes)


def test_16_bit_tiff_accepted_and_normalised_by_dtype_range(tmp_path):
    data = np.full((20, 30), 65535, np.uint16)
    data[0, 0] = 0
    tifffile.imwrite(tmp_path / "deep.tif", data)
    micrograph = read_micrograph(tmp_path / "deep.tif")
    assert micrograph.data.dtype == np.uint16 and micrograph.bit_depth == 16
    floats = to_float01(micrograph.data)
    assert floats.shape == (20, 30, 1) and floats.dtype == np.float32
    assert floats[0, 0, 0] == 0.0 and floats[1, 1, 0] == 1.0


def test_16_bit_png_accepted(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((20, 30), 40000, np.uint16)).save(path)
    assert read_micrograph(path).data.max() == 40000


def test_multipage_tiff_takes_first_page_with_warning(tmp_path):
    stack = np.stack([np.full((20, 20), i, np.uint8) for i in (7, 8, 9)])
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    with pytest.warns(MicrographWarning, match="first page"):
        micrograph = read_micrograph(tmp_path / "stack.tif")
    assert micrograph.data.shape == (20, 20) and micrograph.data[0, 0] == 7


def test_pixel_size_from_imagej_metadata(tmp_path):
    tifffile.imwrite(
        tmp_path / "ij.tif",
        np.zeros((20, 20), np.uint8),
        imagej=True,
        resolution=(1 / 0.25, 1 / 0.25),
        metadata={"unit": "micron"},
    )
    assert read_micrograph(tmp_path / "ij.tif").pixel_size_um == pytest.approx(0.25)


def test_pixel_size_from_ome_metadata(tmp_path):
    tifffile.imwrite(
        tmp_path / "ome.ome.tif",
        np.zeros((20, 20), np.uint8),
        ome=True,
        metadata={"PhysicalSizeX": 0.5, "PhysicalSizeXUnit": "µm"},
    )
    assert read_micrograph(tmp_path / "ome.ome.tif").pixel_size_um == pytest.approx(0.5)


def test_pixel_size_from_centimetre_resolution_tags(tmp_path):
    tifffile.imwrite(
        tmp_path / "cm.tif", np.zeros((20, 20), np.uint8), resolution=(20000, 20000), resolutionunit="CENTIMETER"
    )
    assert read_micrograph(tmp_path / "cm.tif").pixel_size_um == pytest.approx(0.5)


def test_screen_dpi_is_not_taken_for_a_calibration(tmp_path):
    tifffile.imwrite(tmp_path / "dpi.tif", np.zeros((20, 20), np.uint8), resolution=(72, 72), resolutionunit="INCH")
    assert read_micrograph(tmp_path / "dpi.tif").pixel_size_um is None


@pytest.mark.parametrize(
    "case, content, message",
    [
        ("truncated.png", "truncated", "damaged or truncated"),
        ("text.tif", b"this is not an image\n", "not a readable TIFF"),
        ("empty.png", b"", "empty"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, case, content, message):
    path = tmp_path / case
    if content == "truncated":
        noise = np.random.default_rng(1).integers(0, 255, (200, 200), dtype=np.uint8)
        whole = write_png(tmp_path / "whole.png", noise).read_bytes()
        content = whole[: len(whole) // 2]
    path.write_bytes(content)
    with pytest.raises(MicrographError, match=message) as info:
        read_micrograph(path)
    assert case in str(info.value)


def test_one_pixel_image_is_rejected(tmp_path):
    with pytest.raises(MicrographError, match=r"only 1×1 pixels"):
        read_micrograph(write_png(tmp_path / "dot.png", np.zeros((1, 1), np.uint8)))


def test_missing_file_and_unsupported_suffix(tmp_path):
    with pytest.raises(MicrographError, match="file not found"):
        read_micrograph(tmp_path / "nowhere.png")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(MicrographError, match="unsupported file type"):
        read_micrograph(tmp_path / "notes.txt")


def test_huge_image_read_with_few_copies(tmp_path):
    """A 12000×12000 image is accepted and reading it holds at most a few copies in memory."""
    path = tmp_path / "huge.png"
    Image.fromarray(np.zeros((12000, 12000), np.uint8)).save(path, compress_level=1)
    code = (
        "import resource, sys\nfrom steelseg_gui.core.imaging.micrograph import read_micrograph\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"m = read_micrograph({str(path)!r})\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(m.data.shape, (after - before) * 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    shape, grown = out.rsplit(" ", 1)
    assert shape == "(12000, 12000)"
    one_copy = 12000 * 12000
    assert int(grown) < 3 * one_copy


def test_to_float01_rescales_out_of_range_floats():
    floats = to_float01(np.array([[-1.0, 3.0]] * 16, np.float64))
    assert floats.min() == 0.0 and floats.max() == 1.0 and floats.dtype == np.float32


def test_label_image_round_trip_uint8_and_uint16(tmp_path):
    small = np.array([[0, 1], [2, 255]], np.int64)
    write_label_image(tmp_path / "a.png", small)
    assert read_label_image(tmp_path / "a.png").tolist() == small.tolist()
    big = np.array([[0, 300]], np.int32)
    write_label_image(tmp_path / "b.png", big)
    back = read_label_image(tmp_path / "b.png")
    assert back.dtype == np.uint16 and back.tolist() == big.tolist()


def test_zero_based_masks_are_shifted(tmp_path):
    write_png(tmp_path / "m.png", np.array([[0, 3]], np.uint8))
    assert read_label_image(tmp_path / "m.png", zero_based=True).tolist() == [[1, 4]]


def test_label_write_is_atomic_on_failure(tmp_path):
    target = write_label_image(tmp_path / "m.png", np.ones((4, 4), np.uint8))
    with pytest.raises(LabelImageError):
        write_label_image(target, np.full((4, 4), -1))
    assert read_label_image(target).tolist() == np.ones((4, 4)).tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]
