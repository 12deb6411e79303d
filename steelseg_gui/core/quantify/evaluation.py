"""Evaluating folders of predicted masks against folders of true masks, pair by pair."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.core.errors import LabelImageError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import is_micrograph_file
from steelseg_gui.core.quantify.metrics import EvaluationResult, SegmentationEvaluator


def mask_files(folder: Path) -> dict[str, Path]:
    """Label-image files of ``folder`` by stem; raises when there are none."""
    if not folder.is_dir():
        raise LabelImageError(f"{folder}: folder not found")
    files = {p.stem: p for p in sorted(folder.iterdir()) if p.is_file() and is_micrograph_file(p)}
    if not files:
        raise LabelImageError(f"{folder}: no mask images (.png, .tif, ...) in this folder")
    return files


def pair_masks(pred_dir: Path, truth_dir: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(prediction, truth) pairs matched by file stem, and messages about unmatched files."""
    predictions, truths = mask_files(pred_dir), mask_files(truth_dir)
    pairs = [(predictions[stem], truths[stem]) for stem in sorted(truths) if stem in predictions]
    unmatched = [f"no prediction for {truths[s]}" for s in sorted(set(truths) - set(predictions))]
    unmatched += [f"no true mask for {predictions[s]}" for s in sorted(set(predictions) - set(truths))]
    if not pairs:
        raise LabelImageError(f"no file name in {pred_dir} matches one in {truth_dir}")
    return pairs, unmatched


def evaluate_folders(
    pairs: list[tuple[Path, Path]], class_names: list[str] | None = None, zero_based: bool = False
) -> EvaluationResult:
    """Score each pair. Without ``class_names`` the class count is the largest value found.

    Each mask is read twice at most when the class count must be found first, and only one
    pair is in memory at a time.
    """
    if class_names is None:
        top = max(int(read_label_image(p, zero_based).max()) for pair in pairs for p in pair)
        class_names = [f"class {value}" for value in range(1, top + 1)]
    evaluator = SegmentationEvaluator(class_names)
    for pred_path, truth_path in pairs:
        prediction, truth = read_label_image(pred_path, zero_based), read_label_image(truth_path, zero_based)
        evaluator.add(prediction, truth, name=truth_path.stem, source=f"{pred_path} vs {truth_path}")
    result = evaluator.result()
    if result.labelled_pixels == 0:
        raise LabelImageError("the true masks have no labelled pixel (all 0); nothing to evaluate")
    return result
