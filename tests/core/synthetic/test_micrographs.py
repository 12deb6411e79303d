"""Synthetic micrographs and simulated scribbles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import read_micrograph
from steelseg_gui.core.quantify.metallurgy import astm_grain_size_number, mean_lineal_intercept_px
from steelseg_gui.core.synthetic.micrographs import generate
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from steelseg_gui.core.synthetic.spec import SynthSpec

SMALL = dict(width=640, height=480, grain_size_um=12.0, pixel_size_um=0.5)


@pytest.mark.parametrize("fraction", [0.0, 0.12, 0.35, 0.6, 0.9])
def test_pearlite_fraction_met_from_the_mask(fraction):
    synthetic = generate(SynthSpec(pearlite_fraction=fraction, seed=5, **SMALL))
    assert abs(np.mean(synthetic.mask == 2) - fraction) <= 0.03
    assert set(np.unique(synthetic.mask)) <= {1, 2}


def test_deterministic_per_seed_and_different_across_seeds():
    first, again = generate(SynthSpec(seed=11, **SMALL)), generate(SynthSpec(seed=11, **SMALL))
    other = generate(SynthSpec(seed=12, **SMALL))
    assert np.array_equal(first.image, again.image) and np.array_equal(first.mask, again.mask)
    assert not np.array_equal(first.mask, other.mask)


def test_pearlite_is_darker_than_ferrite_as_under_nital():
    synthetic = generate(SynthSpec(pearlite_fraction=0.4, seed=3, **SMALL))
    grey = synthetic.image.mean(axis=2)
    assert grey[synthetic.mask == 2].mean() < grey[synthetic.mask == 1].mean() - 60
    assert synthetic.image.shape == (480, 640, 3) and synthetic.image.dtype == np.uint8


def test_ferrite_intercept_follows_requested_grain_size():
    coarse = generate(SynthSpec(pearlite_fraction=0.1, seed=1, **{**SMALL, "grain_size_um": 24.0}))
    fine = generate(SynthSpec(pearlite_fraction=0.1, seed=1, **{**SMALL, "grain_size_um": 8.0}))
    assert coarse.mean_intercept_um > 2 * fine.mean_intercept_um


def test_intercept_and_astm_number_by_hand():
    stripes = np.repeat(np.arange(10), 10)[None, :].repeat(100, axis=0)  # 10 px wide vertical grains
    # rows: 9 crossings per 100 px; columns: none -> 2*10000 px of line / 900 crossings
    assert mean_lineal_intercept_px(stripes) == pytest.approx(20000 / 900)
    assert astm_grain_size_number(0.0226) == pytest.approx(-6.6457 * -1.645892 - 3.298, abs=1e-4)  # 7.640
    assert astm_grain_size_number(0.0336) == pytest.approx(6.5, abs=0.01)  # E112 Table 4: G 6.5 at 0.0336 mm


def test_synth_command_writes_pairs_and_truth(tmp_path, capsys):
    assert (
        main(
            [
                "synth",
                "--out",
                str(tmp_path),
                "--count",
                "2",
                "--size",
                "320x240",
                "--pearlite",
                "0.3",
                "--grain-size-um",
                "10",
                "--pixel-size-um",
                "0.5",
                "--seed",
                "4",
            ]
        )
        == 0
    )
    truth = json.loads((tmp_path / "truth.json").read_text())
    for name in ("synth_0000", "synth_0001"):
        image = read_micrograph(tmp_path / "images" / f"{name}.png")
        mask = read_label_image(tmp_path / "masks" / f"{name}.png")
        assert image.data.shape == (240, 320, 3) and mask.shape == (240, 320)
        assert truth["images"][name]["pearlite_fraction"] == pytest.approx(np.mean(mask == 2))
        assert truth["images"][name]["spec"]["seed"] == 4 + int(name[-1])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--pearlite", "1.5"], "--pearlite: must be between 0 and 1"),
        (["--size", "big"], "WIDTHxHEIGHT"),
        (["--count", "0"], "--count: must be a whole number from 1"),
    ],
)
def test_synth_bad_arguments(tmp_path, capsys, argv, message):
    try:
        code = main(["synth", "--out", str(tmp_path), *argv])
    except SystemExit as exit_:  # values out of range are refused by the argument parser
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_simulated_scribbles_follow_protocol():
    mask = generate(SynthSpec(pearlite_fraction=0.35, seed=2, **SMALL)).mask
    scribbles = simulate_scribbles(mask, seed=7)
    labelled = scribbles > 0
    assert 0.007 <= labelled.mean() <= 0.013
    assert np.array_equal(scribbles[labelled], mask[labelled])
    per_class = [np.mean(scribbles == v) for v in (1, 2)]
    assert abs(per_class[0] - per_class[1]) < 0.3 * max(per_class)
    assert np.array_equal(scribbles, simulate_scribbles(mask, seed=7))
    assert not np.array_equal(scribbles, simulate_scribbles(mask, seed=8))


def test_scribbles_stay_away_from_class_edges():
    mask = np.ones((200, 200), np.uint8)
    mask[:, 100:] = 2
    scribbles = simulate_scribbles(mask, seed=0)
    columns = np.nonzero(scribbles)[1]
    assert np.all(np.abs(columns - 99.5) >= 4 - 0.5)


def test_synth_spec_rejects_grains_below_four_pixels():
    with pytest.raises(SteelSegError, match="under 4 pixels"):
        generate(
            SynthSpec(
                grain_size_um=1.0,
                pixel_size_um=0.5,
                **{k: v for k, v in SMALL.items() if k not in ("grain_size_um", "pixel_size_um")},
            )
        )
