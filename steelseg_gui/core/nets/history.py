"""The files a training run keeps beside its model: history (CSV, JSON), curves (PNG), checkpoint.

The checkpoint is a ``torch.save`` of tensors, numbers and strings only, read back with
``weights_only=True`` so that a tampered checkpoint cannot run code.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.quantify.plots import save_figure, training_curves_figure

if TYPE_CHECKING:
    from steelseg_gui.core.nets.training import _Run

CHECKPOINT_FILE = "checkpoint.pt"
HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "train_mean_iou", "val_loss", "val_accuracy",
                   "val_mean_iou", "seconds", "tiles_per_second")


def write_history(folder: Path, history: list[dict]) -> None:
    """``history.csv`` and ``history.json`` (one row per validation) and ``curves.png``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HISTORY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_bytes(folder / "history.csv", buffer.getvalue().encode())
    atomic_write_json(folder / "history.json", history)
    save_figure(training_curves_figure(history), folder / "curves.png")


def write_checkpoint(path: Path, run: _Run) -> None:
    """Everything needed to resume: weights, optimiser state, epoch, history, best so far."""
    state = {"architecture": run.settings.architecture, "epoch": run.epoch, "history": run.history,
             "model": run.network.state_dict(), "optimiser": run.optimiser.state_dict(),
             "best_loss": run.best_loss, "best_epoch": run.best_epoch, "bad_validations": run.bad_validations,
             "best_model": run.best_state or {}}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def read_checkpoint(path: Path) -> dict:
    """A checkpoint written by :func:`write_checkpoint`, with a clear error for anything else."""
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or damaged files
        raise ModelError(f"{path}: not a SteelSeg training checkpoint ({exc.__class__.__name__})") from exc
    needed = {"architecture", "epoch", "history", "model", "optimiser", "best_loss", "best_epoch", "bad_validations"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise ModelError(f"{path}: not a SteelSeg training checkpoint")
    return state
