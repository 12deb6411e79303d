"""The training history a run keeps beside its model: ``history.csv``, ``history.json`` and
``curves.png`` (loss, accuracy and mean IoU per epoch)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.quantify.plots import save_figure, training_curves_figure

HISTORY_COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "train_mean_iou",
    "val_loss",
    "val_accuracy",
    "val_mean_iou",
    "seconds",
    "tiles_per_second",
)


def write_history(folder: Path, history: list[dict]) -> None:
    """``history.csv`` and ``history.json`` (one row per validation) and ``curves.png``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HISTORY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_bytes(folder / "history.csv", buffer.getvalue().encode())
    atomic_write_json(folder / "history.json", history)
    save_figure(training_curves_figure(history), folder / "curves.png")
