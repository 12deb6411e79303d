"""Unique outputs: one output name per input, collisions resolved and reported, "already done"
only for the same model on the same file, and no file SteelSeg did not write replaced."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import tifffile

from steelseg_gui.cli import main
from steelseg_gui.core.imaging.labels import read_label_image, write_label_image, write_png
from steelseg_gui.core.segment.output_folder import OutputFolder
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    synth = small_synthetic(21, 96, 80)
    write_png(root / "train.png", synth.image)
    write_label_image(root / "scr.png", simulate_scribbles(synth.mask, 0.05, 1))
    for seed, name in ((1, "forest_a"), (2, "forest_b")):
        args = ["rf", "train", "--image", str(root / "train.png"), "--scribbles", str(root / "scr.png")]
        assert main([*args, "--out", str(root / name), "--trees", "5", "--seed", str(seed)]) == 0
    inputs = root / "in"
    (inputs / "other").mkdir(parents=True)
    fields = [small_synthetic(seed, 96, 80).image for seed in (31, 32, 33)]
    write_png(inputs / "a1.png", fields[0])
    tifffile.imwrite(inputs / "a1.tif", fields[1])
    write_png(inputs / "other" / "a1.png", fields[2])
    return root, [inputs / "a1.png", inputs / "a1.tif", inputs / "other" / "a1.png"]


def segment(model, out, *inputs) -> int:
    return main(["segment", "--model", str(model), "--out", str(out), *map(str, inputs)])


def rows(out):
    with open(out / "phase_fractions.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_inputs_sharing_a_stem_get_their_own_outputs(setup, tmp_path, capsys):
    root, inputs = setup
    out = tmp_path / "out"
    assert segment(root / "forest_a", out, *inputs, inputs[0]) == 0
    printed = capsys.readouterr().out
    assert "3 of 3 images segmented" in printed and "named more than once" in printed
    assert f"{inputs[1]} is written as a1-2.png" in printed and f"{inputs[2]} is written as a1-3.png" in printed
    table = rows(out)
    assert [(r["image"], r["file"]) for r in table] == [
        ("a1", str(inputs[0])),
        ("a1-2", str(inputs[1])),
        ("a1-3", str(inputs[2])),
    ]
    masks = [read_label_image(out / f"{r['image']}.png") for r in table]
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    assert segment(root / "forest_a", out, inputs[2]) == 0  # an input keeps its name on later runs
    assert [r["image"] for r in rows(out)] == ["a1-3"] and "1 already done" in capsys.readouterr().out


def test_already_done_means_done_by_this_model_on_this_file(setup, tmp_path, capsys):
    root, inputs = setup
    out = tmp_path / "out"
    assert segment(root / "forest_a", out, inputs[0]) == 0
    capsys.readouterr()
    assert segment(root / "forest_a", out, inputs[0]) == 0
    assert "(1 already done before)" in capsys.readouterr().out
    assert segment(root / "forest_b", out, inputs[0]) == 0
    assert "(0 already done before)" in capsys.readouterr().out
    stamp = inputs[0].stat()
    os.utime(inputs[0], ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    assert segment(root / "forest_b", out, inputs[0]) == 0
    assert "(0 already done before)" in capsys.readouterr().out
    assert main(["segment", "--model", str(root / "forest_b"), "--out", str(out), "--overlay", str(inputs[0])]) == 0
    assert "(0 already done before)" in capsys.readouterr().out and (out / "a1_overlay.png").is_file()


def test_files_steelseg_did_not_write_are_never_replaced(setup, tmp_path, capsys):
    root, inputs = setup
    out = tmp_path / "out"
    out.mkdir()
    (out / "a1.png").write_bytes(b"someone's own a1.png")
    assert segment(root / "forest_a", out, inputs[0]) == 0
    assert (out / "a1.png").read_bytes() == b"someone's own a1.png"
    assert [r["image"] for r in rows(out)] == ["a1-2"]
    capsys.readouterr()
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.json").write_text('{"mine": true}')
    assert segment(root / "forest_a", other, inputs[0]) == 2
    assert "summary.json: exists and was not written by SteelSeg" in capsys.readouterr().err
    assert (other / "summary.json").read_text() == '{"mine": true}' and not (other / "a1.png").exists()


def test_rf_apply_uses_the_same_names(setup, tmp_path, capsys):
    root, inputs = setup
    out = tmp_path / "out"
    assert main(["rf", "apply", "--model", str(root / "forest_a"), "--out", str(out), *map(str, inputs)]) == 0
    assert "(written as a1-3.png)" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.png")) == ["a1-2.png", "a1-3.png", "a1.png"]
    assert [a.name for a in OutputFolder(out).assign(inputs)] == ["a1", "a1-2", "a1-3"]
