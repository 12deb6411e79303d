"""Saved forests: round trip, and clear refusals of anything else."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io as skops_io

from steelseg_gui.core.atomic import atomic_folder
from steelseg_gui.core.bundle import CONFIG_FILE
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.forest.bundle import FOREST_FILE, LEGACY_FOREST_FILE, load_forest, save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.forest.tree_eval import LEAF
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


class NotAForest:
    """Stands for anything that is not a random forest (skops does not trust this type)."""

    def __init__(self):
        self.payload = [1, 2, 3]


@pytest.fixture(scope="module")
def image_and_forest():
    synth = small_synthetic(3, 160, 120)
    image = to_float01(synth.image)
    scribbles = simulate_scribbles(synth.mask, coverage=0.02)
    classes = ClassTable.from_names(["ferrite", "pearlite"])
    return image, run_job(train_forest([ScribbledImage("s", image, scribbles)], classes, trees=10))


@pytest.fixture
def saved(tmp_path, image_and_forest):
    return save_forest(image_and_forest[1], tmp_path / "model", pixel_size_um=0.5)


def test_round_trip_gives_identical_predictions(saved, image_and_forest):
    image, forest = image_and_forest
    loaded = load_forest(saved)
    np.testing.assert_array_equal(
        run_job(loaded.predict(image)).probabilities, run_job(forest.predict(image)).probabilities
    )
    assert loaded.spec == forest.spec and loaded.classes.names == ["ferrite", "pearlite"]
    config = json.loads((saved / CONFIG_FILE).read_text())
    assert config["kind"] == "random-forest" and config["input_channels"] == 3
    assert config["pixel_size_um"] == 0.5 and len(config["feature_names"]) == forest.spec.count(forest.channels)
    assert len(config["data_fingerprint"]) == 64 and "scikit-learn" in config["versions"]


def test_missing_folder_and_missing_config(tmp_path):
    with pytest.raises(ModelError, match="model folder not found"):
        load_forest(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a SteelSeg model folder"):
        load_forest(tmp_path / "empty")


def test_corrupt_config_is_refused(saved):
    (saved / CONFIG_FILE).write_text("{ not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_forest(saved)


def test_new_bundles_hold_only_json_and_safetensors(saved):
    assert sorted(p.name for p in saved.iterdir()) == [CONFIG_FILE, FOREST_FILE]


def test_node_links_out_of_range_are_refused(saved):
    """A forged forest whose links point outside its arrays (or backwards, which could loop) is refused."""
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(saved / FOREST_FILE))
    internal = np.flatnonzero(arrays["feature"] != LEAF)
    arrays["right"][internal[0]] = internal[0]
    save_file(arrays, str(saved / FOREST_FILE))
    with pytest.raises(ModelError, match="out of range"):
        load_forest(saved)


def test_truncated_forest_file_is_refused(saved):
    data = (saved / FOREST_FILE).read_bytes()
    (saved / FOREST_FILE).write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="damaged"):
        load_forest(saved)


@pytest.fixture
def legacy(tmp_path, image_and_forest):
    """A SteelSeg 0.1 model folder: config.json beside forest.skops."""
    from sklearn.ensemble import RandomForestClassifier

    forest = image_and_forest[1]
    folder = save_forest(forest, tmp_path / "legacy")
    (folder / FOREST_FILE).unlink()
    rng = np.random.default_rng(0)
    x = rng.random((200, forest.spec.count(forest.channels))).astype(np.float32)
    y = np.where(x[:, 0] > 0.5, 1, 2)
    skops_io.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y), folder / LEGACY_FOREST_FILE)
    return folder


def test_a_forest_skops_of_steelseg_0_1_still_loads(legacy, image_and_forest):
    loaded = load_forest(legacy)
    assert loaded.trees == 3 and loaded.class_values == [1, 2]
    assert run_job(loaded.predict(image_and_forest[0])).labels.shape == image_and_forest[0].shape[:2]


def test_missing_forest_file_is_refused(saved):
    (saved / FOREST_FILE).unlink()
    with pytest.raises(ModelError, match="has no forest.safetensors"):
        load_forest(saved)


def test_unexpected_types_are_refused_without_loading(legacy):
    skops_io.dump(NotAForest(), legacy / LEGACY_FOREST_FILE)
    with pytest.raises(ModelError, match="NotAForest.*could run code"):
        load_forest(legacy)


def test_another_kind_of_model_is_refused(saved):
    config = json.loads((saved / CONFIG_FILE).read_text())
    (saved / CONFIG_FILE).write_text(json.dumps({**config, "kind": "net"}))
    with pytest.raises(ModelError, match="is a 'net' model, not a random forest"):
        load_forest(saved)


def test_inconsistent_feature_spec_is_refused(saved):
    config = json.loads((saved / CONFIG_FILE).read_text())
    config["feature_spec"]["sigmas"] = [1, 2]
    (saved / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"uses \d+ features but its feature specification gives 28"):
        load_forest(saved)


def test_failed_save_leaves_the_previous_model(saved):
    before = {p.name: p.read_bytes() for p in saved.iterdir()}

    def fail(staging):
        (staging / CONFIG_FILE).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_folder(saved, fail)
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    assert [p.name for p in saved.parent.iterdir()] == ["model"]
