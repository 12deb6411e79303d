"""A short real training on synthetic ferrite-pearlite micrographs: it learns, saves, loads,
resumes and cancels as promised."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.nets.bundle import load_net
from steelseg_gui.core.nets.checkpoint import CHECKPOINT_JSON, CHECKPOINT_TENSORS, read_checkpoint
from steelseg_gui.core.nets.device import cpu_computes_bfloat16
from steelseg_gui.core.nets.settings import TrainSettings
from steelseg_gui.core.nets.tiles import LabelledImage, TileBatches, plan_tiles
from steelseg_gui.core.nets.training import train_network
from steelseg_gui.core.project.classes import ClassTable
from tests.conftest import small_synthetic

SETTINGS = TrainSettings("unet", epochs=4, batch_size=16, tile=32, patience=10, seed=0, learning_rate=2e-3)


@pytest.fixture(scope="module")
def items():
    torch.set_num_threads(2)
    return [
        LabelledImage(f"s{seed}", to_float01(s.image), s.mask)
        for seed in range(1, 6)
        for s in [small_synthetic(seed, 160, 128)]
    ]


@pytest.fixture(scope="module")
def trained(items, tmp_path_factory):
    folder = tmp_path_factory.mktemp("net") / "unet"
    reports = []
    result = run_job(train_network(items, ClassTable.default(), SETTINGS, folder), reports.append)
    return folder, result, reports


def test_training_lowers_the_validation_loss_and_reaches_80_percent_accuracy(trained):
    folder, result, reports = trained
    losses = [row["val_loss"] for row in result.history]
    assert len(losses) == SETTINGS.epochs and result.stopped == "completed"
    assert min(losses[1:]) < losses[0]
    assert result.metrics["val_accuracy"] >= 0.80
    assert result.metrics["test_accuracy"] >= 0.80
    assert [r.done for r in reports] == sorted(r.done for r in reports)  # progress only moves forward
    for name in (
        "history.csv",
        "history.json",
        "curves.png",
        CHECKPOINT_JSON,
        CHECKPOINT_TENSORS,
        "weights.safetensors",
    ):
        assert (folder / name).is_file()
    assert {p.suffix for p in folder.iterdir()} <= {".json", ".csv", ".png", ".safetensors"}  # no pickle format


def test_the_saved_model_gives_the_outputs_of_the_best_weights(trained, items):
    folder, result, _ = trained
    model = load_net(folder)
    assert model.config["training"]["best_epoch"] == result.best_epoch
    plan = plan_tiles(items, 32, seed=0)
    x, _ = TileBatches(items, ClassTable.default(), 32, model.mean, model.std).batch(plan.parts["test"][:4])
    again = load_net(folder)
    with torch.inference_mode():
        first, second = model.network(torch.from_numpy(x)), again.network(torch.from_numpy(x))
    assert torch.equal(first, second)
    accuracy = model.config["metrics"]["test_accuracy"]
    assert accuracy == result.metrics["test_accuracy"]


def test_resume_continues_from_the_checkpoint_epoch(items, tmp_path):
    short = TrainSettings(**{**SETTINGS.__dict__, "epochs": 1})
    first = run_job(train_network(items, ClassTable.default(), short, tmp_path / "a"))
    longer = TrainSettings(**{**SETTINGS.__dict__, "epochs": 2})
    epochs_seen = []
    resumed = run_job(
        train_network(items, ClassTable.default(), longer, tmp_path / "b", resume=tmp_path / "a"),
        lambda r: epochs_seen.append(getattr(r, "epoch", 0)),
    )
    assert min(e for e in epochs_seen if e) == 2
    assert [row["epoch"] for row in resumed.history] == [1, 2]
    assert resumed.history[0] == first.history[0]


def test_a_checkpoint_pt_of_steelseg_0_1_still_resumes(items, tmp_path):
    """Old bundles hold ``checkpoint.pt`` (torch.save); it is read with weights_only and resumes."""
    short = TrainSettings(**{**SETTINGS.__dict__, "epochs": 1})
    run_job(train_network(items, ClassTable.default(), short, tmp_path / "a"))
    state = read_checkpoint(tmp_path / "a")
    torch.save(
        {
            "architecture": state.architecture,
            "epoch": state.epoch,
            "history": state.history,
            "model": state.model,
            "optimiser": _torch_optimiser_state(state.optimiser),
            "best_loss": state.best_loss,
            "best_epoch": state.best_epoch,
            "bad_validations": state.bad_validations,
            "best_model": state.best_model,
        },
        tmp_path / "checkpoint.pt",
    )
    longer = TrainSettings(**{**SETTINGS.__dict__, "epochs": 2})
    resumed = run_job(
        train_network(items, ClassTable.default(), longer, tmp_path / "b", resume=tmp_path / "checkpoint.pt")
    )
    assert [row["epoch"] for row in resumed.history] == [1, 2]


def _torch_optimiser_state(optimiser: dict) -> dict:
    """The optimiser state as ``torch.optim.Optimizer.state_dict`` gives it (what 0.1 pickled)."""
    return {
        "state": optimiser["state"],
        "param_groups": [{**g, "betas": tuple(g["betas"])} for g in optimiser["param_groups"]],
    }


def test_cancel_stops_within_one_batch_and_leaves_a_loadable_model(items, tmp_path):
    steps = []
    job = train_network(items, ClassTable.default(), SETTINGS, tmp_path / "cancelled")
    for report in job:
        steps.append(report.done)
        if report.done == 2:
            break
    job.close()
    assert steps[-1] == 2
    model = load_net(tmp_path / "cancelled")
    assert model.config["training"]["stopped"] == "cancelled before the first validation"


def test_cancel_after_a_validation_keeps_the_best_weights(items, tmp_path):
    job = train_network(items, ClassTable.default(), SETTINGS, tmp_path / "best")
    for report in job:
        if report.history and report.epoch == 2:
            break
    job.close()
    model = load_net(tmp_path / "best")
    assert model.config["training"]["stopped"] == "cancelled"
    assert model.config["training"]["best_epoch"] == 1
    assert np.isfinite(model.config["metrics"]["val_loss"])


@pytest.mark.parametrize(
    "flags, native",
    [
        ("fpu avx2 avx512f avx512bw", False),
        ("fpu avx2 avx512f avx512_bf16", True),
        ("fpu avx2 amx_bf16 amx_tile", True),
    ],
)
def test_bfloat16_only_where_the_cpu_computes_it(tmp_path, flags, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        f"processor\t: 0\nmodel name\t: test\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n"
    )
    assert cpu_computes_bfloat16(str(cpuinfo)) is native
    assert cpu_computes_bfloat16(str(tmp_path / "absent")) is False
