"""``steelseg evaluate``: score predicted masks against true masks (the seed paper's Table 4)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steelseg_gui.core.quantify.metrics import EvaluationResult


PLOTS = ("confusion_matrix.png", "per_class.png")


def register(commands) -> None:
    parser = commands.add_parser("evaluate", help="score predicted masks against true masks")
    parser.add_argument("--pred", required=True, metavar="DIR", help="folder of predicted label images")
    parser.add_argument("--truth", required=True, metavar="DIR", help="folder of true label images")
    parser.add_argument(
        "--classes",
        metavar="NAMES",
        help="comma-separated class names for values 1..K (default: K from the largest value found)",
    )
    parser.add_argument(
        "--zero-based-masks",
        action="store_true",
        help="masks start at 0 (no unlabelled value): shift truth and prediction by +1",
    )
    parser.add_argument("--json", metavar="FILE", help="write all metrics as JSON")
    parser.add_argument("--csv", metavar="FILE", help="write per-image metrics as CSV")
    parser.add_argument("--plots", metavar="DIR", help="write confusion-matrix and per-class PNG plots")
    parser.set_defaults(run=run)


def run(args) -> int:
    from steelseg_gui.cli.targets import PNG_SIGNATURE, replaceable_file, replaceable_files
    from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
    from steelseg_gui.core.quantify.evaluation import evaluate_folders, pair_masks
    from steelseg_gui.core.quantify.plots import confusion_figure, per_class_figure, save_figure

    if args.json:
        replaceable_file(args.json, b'"global_accuracy"', "metrics JSON")
    if args.csv:
        replaceable_file(args.csv, b"image,global_accuracy", "per-image CSV")
    if args.plots:
        replaceable_files(args.plots, list(PLOTS), PNG_SIGNATURE, "plot")
    pairs, unmatched = pair_masks(Path(args.pred), Path(args.truth))
    for message in unmatched:
        print(f"warning: {message}", file=sys.stderr)
    names = [n.strip() for n in args.classes.split(",")] if args.classes else None
    result = evaluate_folders(pairs, names, zero_based=args.zero_based_masks)
    print(format_table(result))
    if args.json:
        atomic_write_json(args.json, result.to_json())
    if args.csv:
        atomic_write_bytes(args.csv, per_image_csv(result).encode("utf-8"))
    if args.plots:
        save_figure(confusion_figure(result), Path(args.plots) / PLOTS[0])
        save_figure(per_class_figure(result), Path(args.plots) / PLOTS[1])
    return 0


def _fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.4f}"


def format_table(result: EvaluationResult) -> str:
    """The data-set metrics and per-class scores as a plain-text table."""
    lines = [
        f"{len(result.images)} image(s), {result.labelled_pixels:,} labelled pixels",
        "",
        "GlobalAccuracy  MeanAccuracy  MeanIoU  WeightedIoU  MeanBFScore",
        f"{_fmt(result.global_accuracy):>14}  {_fmt(result.mean_accuracy):>12}  {_fmt(result.mean_iou):>7}  "
        f"{_fmt(result.weighted_iou):>11}  {_fmt(result.mean_bf_score):>11}",
        "",
        f"{'class':<28}{'Accuracy':>10}{'IoU':>10}{'MeanBFScore':>13}",
    ]
    for name, acc, iou, bf in zip(result.class_names, result.class_accuracy(), result.class_iou(), result.class_bf()):
        lines.append(f"{name:<28}{_fmt(acc):>10}{_fmt(iou):>10}{_fmt(bf):>13}")
    return "\n".join(lines)


def per_image_csv(result: EvaluationResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["image", "global_accuracy", "mean_iou", "mean_bf_score"])
    for scores in result.images:
        writer.writerow([scores.name, scores.global_accuracy, scores.mean_iou, scores.mean_bf_score])
    return buffer.getvalue()
