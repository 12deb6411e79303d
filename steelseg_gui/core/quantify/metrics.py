"""Segmentation metrics as MATLAB's ``evaluateSemanticSegmentation`` reports them (DESIGN.md).

Label images are ``(H, W)`` integers: 0 = unlabelled (truth pixels of value 0 are ignored),
1..K = classes. A prediction of 0 on a labelled truth pixel counts as a miss of the true class.
:class:`SegmentationEvaluator` accumulates a data set image by image, so only the confusion
matrix and a few numbers per image are kept in memory.

BF score: a boundary pixel of class c is a pixel of c with a 4-neighbour (inside the image)
of another value. Where the truth is unlabelled, the prediction is masked to 0 too, so both
sides see the same edge there. Precision is the share of predicted boundary pixels within
θ = 0.75 % of the image diagonal (Euclidean distance ≤ θ) of a true boundary pixel, recall
the converse, BF = 2PR/(P+R). A class absent from both images is skipped, one absent from
only one scores 0; a class present in both with no boundary in either scores 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from steelseg_gui.core.errors import LabelImageError

BF_THETA_FRACTION = 0.0075


@dataclass
class ImageScores:
    """Metrics of one image; ``bf_per_class`` maps class value → BF score (skipped classes absent)."""

    name: str
    global_accuracy: float | None
    mean_iou: float | None
    bf_per_class: dict[int, float]

    @property
    def mean_bf_score(self) -> float | None:
        return float(np.mean(list(self.bf_per_class.values()))) if self.bf_per_class else None


@dataclass
class EvaluationResult:
    """Data-set metrics. Undefined values (e.g. accuracy of a class absent from the truth) are None."""

    class_values: list[int]
    class_names: list[str]
    confusion: np.ndarray  # (K, K) counts, rows = truth, columns = prediction
    missed_unlabelled: np.ndarray  # (K,) labelled truth pixels predicted as 0
    images: list[ImageScores] = field(default_factory=list)

    @property
    def labelled_pixels(self) -> int:
        return int(self.confusion.sum() + self.missed_unlabelled.sum())

    @property
    def global_accuracy(self) -> float | None:
        return _ratio(np.trace(self.confusion), self.labelled_pixels)

    def class_accuracy(self) -> list[float | None]:
        truth_counts = self.confusion.sum(axis=1) + self.missed_unlabelled
        return [_ratio(self.confusion[i, i], truth_counts[i]) for i in range(len(self.class_values))]

    def class_iou(self) -> list[float | None]:
        tp = np.diag(self.confusion)
        union = self.confusion.sum(axis=1) + self.missed_unlabelled + self.confusion.sum(axis=0) - tp
        return [_ratio(tp[i], union[i]) for i in range(len(self.class_values))]

    def class_bf(self) -> list[float | None]:
        return [_mean([s.bf_per_class[v] for s in self.images if v in s.bf_per_class]) for v in self.class_values]

    @property
    def mean_accuracy(self) -> float | None:
        return _mean([a for a in self.class_accuracy() if a is not None])

    @property
    def mean_iou(self) -> float | None:
        return _mean([iou for iou in self.class_iou() if iou is not None])

    @property
    def weighted_iou(self) -> float | None:
        truth_counts = self.confusion.sum(axis=1) + self.missed_unlabelled
        if self.labelled_pixels == 0:
            return None
        return float(sum(n / self.labelled_pixels * iou for n, iou in zip(truth_counts, self.class_iou()) if n))

    @property
    def mean_bf_score(self) -> float | None:
        return _mean([s.mean_bf_score for s in self.images if s.mean_bf_score is not None])

    def normalized_confusion(self) -> np.ndarray:
        """Row-normalised confusion matrix (each truth class sums to 1 over predicted classes)."""
        rows = (self.confusion.sum(axis=1) + self.missed_unlabelled)[:, None]
        return np.divide(self.confusion, rows, out=np.zeros(self.confusion.shape), where=rows > 0)

    def to_json(self) -> dict:
        per_class = [
            {"value": v, "name": n, "accuracy": a, "iou": i, "bf_score": b}
            for v, n, a, i, b in zip(
                self.class_values, self.class_names, self.class_accuracy(), self.class_iou(), self.class_bf()
            )
        ]
        return {
            "global_accuracy": self.global_accuracy,
            "mean_accuracy": self.mean_accuracy,
            "mean_iou": self.mean_iou,
            "weighted_iou": self.weighted_iou,
            "mean_bf_score": self.mean_bf_score,
            "labelled_pixels": self.labelled_pixels,
            "per_class": per_class,
            "confusion": {
                "classes": self.class_names,
                "counts": self.confusion.tolist(),
                "normalized": self.normalized_confusion().round(6).tolist(),
                "predicted_unlabelled": self.missed_unlabelled.tolist(),
            },
            "per_image": [
                {
                    "name": s.name,
                    "global_accuracy": s.global_accuracy,
                    "mean_iou": s.mean_iou,
                    "mean_bf_score": s.mean_bf_score,
                }
                for s in self.images
            ],
        }


class SegmentationEvaluator:
    """Accumulates metrics over images of a data set with classes ``class_values`` (1..K)."""

    def __init__(self, class_names: list[str], bf_theta_fraction: float = BF_THETA_FRACTION):
        self.class_names = list(class_names)
        self.class_values = list(range(1, len(class_names) + 1))
        self.bf_theta_fraction = bf_theta_fraction
        size = len(class_names) + 1
        self._confusion = np.zeros((size, size), np.int64)  # index 0 = unlabelled
        self._images: list[ImageScores] = []

    def add(self, prediction: np.ndarray, truth: np.ndarray, name: str = "", source: str = "") -> ImageScores:
        """Score one image; ``prediction`` and ``truth`` are ``(H, W)`` label images.

        ``source`` names the files in error messages (default: ``name``).
        """
        self._check(prediction, truth, source or name)
        confusion = confusion_counts(prediction, truth, len(self.class_names))
        self._confusion += confusion
        single = EvaluationResult(self.class_values, self.class_names, confusion[1:, 1:], confusion[1:, 0])
        scores = ImageScores(
            name,
            single.global_accuracy,
            single.mean_iou,
            bf_scores(prediction, truth, self.class_values, self.bf_theta_fraction),
        )
        self._images.append(scores)
        return scores

    def result(self) -> EvaluationResult:
        return EvaluationResult(
            self.class_values,
            self.class_names,
            self._confusion[1:, 1:].copy(),
            self._confusion[1:, 0].copy(),
            list(self._images),
        )

    def _check(self, prediction: np.ndarray, truth: np.ndarray, name: str) -> None:
        if prediction.shape != truth.shape or prediction.ndim != 2:
            raise LabelImageError(f"{name}: prediction {prediction.shape} and truth {truth.shape} differ in shape")
        for role, labels in (("prediction", prediction), ("truth", truth)):
            top = int(labels.max(initial=0))
            if top > len(self.class_names) or int(labels.min(initial=0)) < 0:
                raise LabelImageError(
                    f"{name}: {role} has label value {top} but there are only "
                    f"{len(self.class_names)} classes ({', '.join(self.class_names)})"
                )


def confusion_counts(prediction: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K+1, K+1)`` pixel counts indexed [truth, prediction], value 0 included; truth-0 row zeroed."""
    size = num_classes + 1
    labelled = truth != 0
    flat = truth[labelled].astype(np.int64) * size + prediction[labelled].astype(np.int64)
    return np.bincount(flat, minlength=size * size).reshape(size, size)


def boundary_mask(labels: np.ndarray, value: int) -> np.ndarray:
    """Pixels of ``value`` with a 4-neighbour inside the image of another value."""
    inside = labels == value
    edge = np.zeros_like(inside)
    edge[1:, :] |= labels[:-1, :] != value
    edge[:-1, :] |= labels[1:, :] != value
    edge[:, 1:] |= labels[:, :-1] != value
    edge[:, :-1] |= labels[:, 1:] != value
    return inside & edge


def bf_scores(
    prediction: np.ndarray, truth: np.ndarray, class_values: list[int], theta_fraction: float = BF_THETA_FRACTION
) -> dict[int, float]:
    """BF score per class of one image (classes absent from both are left out)."""
    prediction = np.where(truth == 0, 0, prediction)
    theta = theta_fraction * float(np.hypot(*truth.shape))
    scores = {}
    for value in class_values:
        in_pred, in_truth = bool(np.any(prediction == value)), bool(np.any(truth == value))
        if not (in_pred or in_truth):
            continue
        if not (in_pred and in_truth):
            scores[value] = 0.0
            continue
        scores[value] = _bf_of_boundaries(boundary_mask(prediction, value), boundary_mask(truth, value), theta)
    return scores


def _bf_of_boundaries(predicted: np.ndarray, true: np.ndarray, theta: float) -> float:
    if not predicted.any() and not true.any():
        return 1.0
    if not predicted.any() or not true.any():
        return 0.0
    precision = float(np.mean(ndimage.distance_transform_edt(~true)[predicted] <= theta))
    recall = float(np.mean(ndimage.distance_transform_edt(~predicted)[true] <= theta))
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _ratio(numerator, denominator) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None
