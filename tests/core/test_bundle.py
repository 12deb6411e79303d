"""The model bundle: typed config.json, folders replaced only when they are SteelSeg's own model
folders, normal permissions, only JSON/CSV/PNG/safetensors files, and a fingerprint per model."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from steelseg_gui.core.atomic import FILE_MODE, FOLDER_MODE, OLD_SUFFIX
from steelseg_gui.core.bundle import check_writable_bundle_path, model_fingerprint, read_model_config
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.forest.bundle import load_forest, save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.resources import default_model_dir
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


@pytest.fixture(scope="module")
def forest():
    synth = small_synthetic(8, 96, 80)
    item = ScribbledImage("s", to_float01(synth.image), simulate_scribbles(synth.mask, 0.03, 8))
    return run_job(train_forest([item], ClassTable.default(), trees=3))


def test_new_model_folders_hold_only_json_csv_png_safetensors_with_normal_permissions(forest, tmp_path):
    folder = save_forest(forest, tmp_path / "forest")
    assert {p.suffix for p in folder.iterdir()} <= {".json", ".csv", ".png", ".safetensors"}
    assert folder.stat().st_mode & 0o777 == FOLDER_MODE and FOLDER_MODE & 0o055  # group and others may read
    assert all(p.stat().st_mode & 0o777 == FILE_MODE for p in folder.iterdir())


def test_a_damaged_steelseg_model_may_be_replaced_anything_else_not(forest, tmp_path):
    folder = save_forest(forest, tmp_path / "forest")
    (folder / "config.json").write_text('{"format": "steelseg-model", "format_version": "garbled"')
    assert not is_replaceable(folder)  # not even JSON: nothing says SteelSeg wrote it
    (folder / "config.json").write_text('{"format": "steelseg-model", "kind": "net", "format_version": "garbled"}')
    with pytest.raises(ModelError, match="format_version: must be a whole number"):
        read_model_config(folder)
    assert save_forest(forest, folder) == folder and load_forest(folder).trees == 3
    (folder / "thesis.docx").write_text("mine")
    with pytest.raises(ModelError, match="also holds thesis.docx, which SteelSeg did not write"):
        save_forest(forest, folder)
    assert (folder / "thesis.docx").read_text() == "mine"
    link = tmp_path / "link"
    os.symlink(folder, link)
    with pytest.raises(ModelError, match="is a link"):
        check_writable_bundle_path(link)


def is_replaceable(folder) -> bool:
    try:
        check_writable_bundle_path(folder)
    except ModelError:
        return False
    return True


def test_a_model_moved_aside_by_a_killed_writer_is_put_back_when_read(forest, tmp_path):
    folder = save_forest(forest, tmp_path / "forest")
    aside = tmp_path / f".forest.0123abcd.999999999{OLD_SUFFIX}"  # no such process
    os.replace(folder, aside)
    assert read_model_config(folder)["kind"] == "random-forest" and not aside.exists()


def test_fingerprint_names_the_model(forest, tmp_path):
    first = save_forest(forest, tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(first, copy)
    assert model_fingerprint(first) == model_fingerprint(copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "pixel_size_um": 0.5}))
    assert model_fingerprint(first) != model_fingerprint(copy)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"tile_size": 0}, "tile_size: input should be greater than 0"),
        ({"tile_size": 224.0}, "tile_size: must be a whole number"),
        ({"normalisation": {"input": "x", "mean": [0.5], "std": [0.2]}}, "normalisation.mean: has 1 values for 3"),
        (
            {"normalisation": {"input": "x", "mean": [0.5] * 3, "std": [0, 1, 1]}},
            "normalisation.std[0]: must be a finite",
        ),
        ({"class_values": [1, 7]}, "class_values[1]: label value 7 is not one of the classes"),
        ({"classes": []}, "classes: list should have at least 1 item"),
        ({"pixel_size_um": -2}, "pixel_size_um: must be a finite number > 0"),
        ({"metrics": {"val_loss": [1]}}, "metrics.val_loss: must be a number"),
        ({"versions": {"torch": 2}}, "versions.torch: must be text"),
    ],
)
def test_net_config_fields_are_checked(tmp_path, change, message):
    folder = tmp_path / "net"
    folder.mkdir()
    config = json.loads((default_model_dir() / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(ModelError) as info:
        read_model_config(folder)
    assert str(info.value).startswith(f"{folder / 'config.json'}: {message}"), str(info.value)
