"""Resume checkpoints: safetensors + JSON validated into a typed model; SteelSeg 0.1's checkpoint.pt
read with weights_only; anything malformed refused before training starts, nothing written."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from steelseg_gui.cli import main
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.nets.checkpoint import (
    CHECKPOINT_JSON,
    CHECKPOINT_TENSORS,
    LEGACY_CHECKPOINT,
    Checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from tests.conftest import small_synthetic

GROUP = {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0001, "params": [0, 1], "amsgrad": False}


def checkpoint(**changes) -> Checkpoint:
    fields = dict(
        architecture="unet",
        epoch=2,
        history=[{"epoch": 1, "val_loss": 0.5}, {"epoch": 2, "val_loss": None}],
        model={"w": torch.ones(3), "b": torch.zeros(1)},
        optimiser={"state": {0: {"exp_avg": torch.zeros(3), "step": torch.tensor(4.0)}}, "param_groups": [GROUP]},
        best_loss=0.5,
        best_epoch=1,
    )
    return Checkpoint(**{**fields, **changes})


def test_round_trip_keeps_types(tmp_path):
    write_checkpoint(tmp_path, checkpoint())
    back = read_checkpoint(tmp_path)
    assert back.epoch == 2 and back.best_epoch == 1 and isinstance(back.history[0]["epoch"], int)
    assert back.history[1]["val_loss"] is None and torch.equal(back.model["w"], torch.ones(3))
    assert back.optimiser["state"][0]["step"].item() == 4.0 and back.optimiser["param_groups"][0]["amsgrad"] is False


@pytest.mark.parametrize(
    "change, message",
    [
        ({"epoch": -1}, "epoch: input should be greater than or equal to 0"),
        ({"epoch": "2"}, "epoch: must be a whole number"),
        ({"best_epoch": "x"}, "best_epoch: must be a number, got 'x'"),
        ({"best_epoch": 9}, "best_epoch: 9 is not an epoch run (0 to 2)"),
        ({"best_loss": "low"}, "best_loss: must be a number"),
        ({"history": [{"epoch": [1]}]}, "history[0].epoch"),
        (
            {"optimiser_param_groups": [{**GROUP, "lr": -1}]},
            "optimiser_param_groups[0].lr: must be a finite number > 0",
        ),
        ({"optimiser_param_groups": [{**GROUP, "params": [-1]}]}, "optimiser_param_groups[0].params[0]"),
        ({"optimiser_param_groups": []}, "optimiser_param_groups: list should have at least 1 item"),
        ({"architecture": ""}, "architecture: must not be empty"),
        ({"surprise": 1}, "surprise: is not a known field"),
    ],
)
def test_malformed_fields_are_one_line_naming_file_and_field(tmp_path, change, message):
    write_checkpoint(tmp_path, checkpoint())
    document = json.loads((tmp_path / CHECKPOINT_JSON).read_text())
    (tmp_path / CHECKPOINT_JSON).write_text(json.dumps({**document, **change}))
    with pytest.raises(ModelError) as info:
        read_checkpoint(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / CHECKPOINT_JSON}: {message}"), str(info.value)


def test_foreign_tensors_and_pickles_are_refused(tmp_path):
    write_checkpoint(tmp_path, checkpoint())
    from safetensors.torch import save_file

    save_file({"model/w": torch.ones(3), "stolen/x": torch.ones(1)}, str(tmp_path / CHECKPOINT_TENSORS))
    with pytest.raises(ModelError, match="tensor 'stolen/x' is not part of a SteelSeg checkpoint"):
        read_checkpoint(tmp_path)
    (tmp_path / CHECKPOINT_TENSORS).write_bytes(pickle.dumps({"model/w": [1, 2, 3]}))  # a pickle named .safetensors
    with pytest.raises(ModelError, match="cannot be read"):
        read_checkpoint(tmp_path)


class Evil:
    def __reduce__(self):
        return (exec, ("open('PWNED', 'w').write('x')",))


def test_legacy_checkpoint_pt_is_read_with_weights_only_and_validated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = checkpoint()
    legacy = {
        "architecture": "unet",
        "epoch": 2,
        "history": state.history,
        "model": state.model,
        "optimiser": {"state": state.optimiser["state"], "param_groups": [{**GROUP, "betas": (0.9, 0.999)}]},
        "best_loss": float("inf"),
        "best_epoch": None,
        "bad_validations": 0,
    }
    torch.save(legacy, tmp_path / LEGACY_CHECKPOINT)
    back = read_checkpoint(tmp_path)
    assert back.epoch == 2 and back.best_loss == float("inf") and torch.equal(back.model["w"], torch.ones(3))
    torch.save({**legacy, "bad_validations": "many"}, tmp_path / LEGACY_CHECKPOINT)
    with pytest.raises(ModelError, match="checkpoint.pt: bad_validations: must be a whole number"):
        read_checkpoint(tmp_path)
    torch.save({**legacy, "model": {"w": "not a tensor"}}, tmp_path / LEGACY_CHECKPOINT)
    with pytest.raises(ModelError, match="model is not a set of named tensors"):
        read_checkpoint(tmp_path)
    (tmp_path / LEGACY_CHECKPOINT).write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelError, match="not a SteelSeg training checkpoint"):
        read_checkpoint(tmp_path)
    assert not (tmp_path / "PWNED").exists()


def test_a_checkpoint_that_does_not_fit_stops_before_training(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for seed in (1, 2):
        synth = small_synthetic(seed, 64, 64)
        write_png(tmp_path / "images" / f"m{seed}.png", synth.image)
        write_label_image(tmp_path / "masks" / f"m{seed}.png", synth.mask)
    write_checkpoint(tmp_path / "old", checkpoint())
    args = ["train", "--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--arch", "unet"]
    code = main(
        [*args, "--out", str(tmp_path / "new"), "--epochs", "3", "--tile", "32", "--resume", str(tmp_path / "old")]
    )
    lines = capsys.readouterr().err.strip().splitlines()  # progress lines (stderr is no terminal), then the error
    assert code == 2 and lines[-1].startswith("steelseg: error:") and "does not fit this network" in lines[-1]
    assert sum(line.startswith("steelseg: error") for line in lines) == 1
    assert not (tmp_path / "new").exists()
