"""The one model cache: a model is loaded once, and loaded again when its folder changes on disk."""

from __future__ import annotations

import numpy as np

from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


def _forest(trees: int, seed: int):
    synth = small_synthetic(seed, 96, 80)
    item = ScribbledImage("s", to_float01(synth.image), simulate_scribbles(synth.mask, 0.03, seed=seed))
    return run_job(train_forest([item], ClassTable.default(), trees=trees, seed=seed))


def test_a_model_is_loaded_once_while_its_folder_is_unchanged(tmp_path):
    save_forest(_forest(5, 0), tmp_path / "forest")
    assert load_segmenter(tmp_path / "forest") is load_segmenter(tmp_path / "forest")


def test_retraining_into_the_same_folder_gives_the_new_model(tmp_path):
    folder = tmp_path / "forest"
    save_forest(_forest(5, 0), folder)
    first = load_segmenter(folder)
    save_forest(_forest(7, 1), folder)
    second = load_segmenter(folder)
    assert second is not first
    assert second.forest.trees == 7
    image = to_float01(small_synthetic(3, 96, 80).image)
    assert not np.array_equal(run_job(first.segment(image)).probabilities, run_job(second.segment(image)).probabilities)
