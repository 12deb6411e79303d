"""PNG plots of evaluation results, drawn with matplotlib's Agg canvas (no GUI backend).

Colours are colour-blind safe: the 'cividis' map for matrices, Okabe–Ito for bars.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from steelseg_gui.core.atomic import atomic_write_bytes
from steelseg_gui.core.quantify.metrics import EvaluationResult

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Render ``figure`` to PNG and write it atomically."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())


def confusion_figure(result: EvaluationResult) -> Figure:
    """Row-normalised confusion matrix (truth rows, predicted columns), counts in each cell."""
    names, normalized, counts = result.class_names, result.normalized_confusion(), result.confusion
    size = 1.2 + 0.9 * len(names)
    figure = Figure(figsize=(size + 1.5, size))
    axes = figure.add_subplot()
    image = axes.imshow(normalized, cmap="cividis", vmin=0, vmax=1)
    for (row, col), share in np.ndenumerate(normalized):
        axes.text(
            col,
            row,
            f"{share:.1%}\n{counts[row, col]:,}",
            ha="center",
            va="center",
            fontsize=8,
            color="black" if share > 0.6 else "white",
        )
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title("Confusion matrix (row-normalised)")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    return figure


def per_class_figure(result: EvaluationResult) -> Figure:
    """Grouped bars of accuracy, IoU and BF score per class."""
    series = {"accuracy": result.class_accuracy(), "IoU": result.class_iou(), "BF score": result.class_bf()}
    positions = np.arange(len(result.class_names))
    width = 0.8 / len(series)
    figure = Figure(figsize=(2 + 1.3 * len(positions), 3.5))
    axes = figure.add_subplot()
    for i, (label, values) in enumerate(series.items()):
        heights = [np.nan if v is None else v for v in values]
        axes.bar(positions + (i - 1) * width, heights, width, label=label, color=OKABE_ITO[i])
    axes.set_xticks(positions, result.class_names, rotation=20, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("score")
    axes.set_title("Per-class scores")
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    return figure


CURVES = (("loss", "loss (weighted cross-entropy)"), ("accuracy", "pixel accuracy"), ("mean_iou", "mean IoU"))


def draw_training_curves(figure: Figure, history: list[dict]) -> dict[tuple[str, str], object]:
    """Training and validation loss, accuracy and mean IoU per epoch (the seed paper's Figures 5–9).

    ``history`` rows hold ``epoch`` and ``train_<metric>`` / ``val_<metric>`` values (None if not measured).
    Clears ``figure``, lays out its three axes and returns their lines keyed by (metric, "train"/"val"),
    which :func:`update_training_curves` refreshes without a new layout (the GUI's live canvas).
    """
    figure.clear()
    lines = {}
    for k, (key, title) in enumerate(CURVES):
        axes = figure.add_subplot(1, len(CURVES), k + 1)
        for part, colour, label in (("train", OKABE_ITO[0], "training"), ("val", OKABE_ITO[1], "validation")):
            (lines[key, part],) = axes.plot([], [], "o-", color=colour, label=label, markersize=3)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title, fontsize=9)
        axes.grid(alpha=0.3)
        if k == 0:
            axes.legend(fontsize=8)
    figure.tight_layout()
    update_training_curves(lines, history)
    return lines


def update_training_curves(lines: dict[tuple[str, str], object], history: list[dict]) -> None:
    """Put ``history`` into the lines of :func:`draw_training_curves` and rescale their axes."""
    epochs = [row["epoch"] for row in history]
    for (key, part), line in lines.items():
        line.set_data(epochs, [np.nan if row.get(f"{part}_{key}") is None else row[f"{part}_{key}"] for row in history])
    for key, _ in CURVES:
        axes = lines[key, "train"].axes
        axes.relim()
        axes.autoscale_view()
        if not epochs:
            axes.set_xlim(0, 1)
        if key != "loss" or not epochs:  # accuracy and IoU are fractions; an empty loss plot gets 0-1 too
            axes.set_ylim(0, 1.02)


def training_curves_figure(history: list[dict]) -> Figure:
    """A new figure of :func:`draw_training_curves`."""
    figure = Figure(figsize=(10, 3))
    draw_training_curves(figure, history)
    return figure
