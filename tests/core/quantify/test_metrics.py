"""Metrics against values computed by hand (DESIGN.md definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from steelseg_gui.core.errors import LabelImageError
from steelseg_gui.core.quantify.metrics import SegmentationEvaluator, bf_scores, boundary_mask


def evaluate(pred, truth, names=("ferrite", "pearlite")):
    evaluator = SegmentationEvaluator(list(names))
    evaluator.add(np.array(pred), np.array(truth), "img")
    return evaluator.result()


def test_mixed_case_with_ignored_pixel():
    truth = [[1, 1, 2, 2], [1, 0, 2, 2]]
    pred = [[1, 2, 2, 2], [1, 1, 1, 2]]
    result = evaluate(pred, truth)
    assert result.confusion.tolist() == [[2, 1], [1, 3]]
    assert result.global_accuracy == pytest.approx(5 / 7)
    assert result.class_accuracy() == pytest.approx([2 / 3, 3 / 4])
    assert result.mean_accuracy == pytest.approx(17 / 24)
    assert result.class_iou() == pytest.approx([2 / 4, 3 / 5])
    assert result.mean_iou == pytest.approx(0.55)
    assert result.weighted_iou == pytest.approx(3 / 7 * 0.5 + 4 / 7 * 0.6)
    np.testing.assert_allclose(result.normalized_confusion(), [[2 / 3, 1 / 3], [1 / 4, 3 / 4]])


def test_class_absent_from_truth():
    result = evaluate([[1, 2], [1, 1]], [[1, 1], [1, 1]])
    assert result.class_accuracy() == [0.75, None]
    assert result.mean_accuracy == pytest.approx(0.75)
    assert result.class_iou() == pytest.approx([0.75, 0.0])
    assert result.mean_iou == pytest.approx(0.375)
    assert result.weighted_iou == pytest.approx(0.75)


def test_class_absent_from_prediction():
    result = evaluate([[1, 1], [1, 1]], [[1, 2], [1, 1]])
    assert result.class_accuracy() == pytest.approx([1.0, 0.0])
    assert result.mean_accuracy == pytest.approx(0.5)
    assert result.mean_iou == pytest.approx((0.75 + 0.0) / 2)
    assert result.weighted_iou == pytest.approx(0.75 * 0.75)


def test_class_absent_from_both_is_left_out_of_means():
    result = evaluate([[1, 2], [1, 2]], [[1, 2], [1, 1]], names=("a", "b", "c"))
    assert result.class_iou()[2] is None and result.class_accuracy()[2] is None
    assert result.mean_iou == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_prediction_zero_on_labelled_pixel_is_a_miss():
    result = evaluate([[0, 1]], [[1, 1]])
    assert result.global_accuracy == 0.5 and result.class_iou()[0] == 0.5


def test_all_correct_and_all_wrong():
    truth = np.ones((20, 20), np.uint8)
    truth[:, 10:] = 2
    perfect = evaluate(truth, truth)
    for value in (
        perfect.global_accuracy,
        perfect.mean_accuracy,
        perfect.mean_iou,
        perfect.weighted_iou,
        perfect.mean_bf_score,
    ):
        assert value == 1.0
    wrong = evaluate(3 - truth, truth)
    assert wrong.global_accuracy == 0.0 and wrong.mean_iou == 0.0 and wrong.mean_bf_score == 0.0


def test_boundary_is_4_neighbour_and_ignores_image_edge():
    labels = np.ones((5, 5), np.uint8)
    labels[1:4, 1:4] = 2
    expected = np.zeros((5, 5), bool)
    expected[1:4, 1:4] = True
    expected[2, 2] = False
    assert np.array_equal(boundary_mask(labels, 2), expected)
    assert boundary_mask(labels, 1).sum() == 16 - 4  # the ring around the square, corners excluded


@pytest.mark.parametrize("shift, expected", [(0, 1.0), (3, 1.0), (5, 0.0)])
def test_bf_score_with_boundary_shift_below_and_above_theta(shift, expected):
    """400×300 image: diagonal 500 px, θ = 3.75 px."""
    truth = np.ones((300, 400), np.uint8)
    truth[:, 200:] = 2
    pred = np.ones((300, 400), np.uint8)
    pred[:, 200 + shift :] = 2
    assert bf_scores(pred, truth, [1, 2]) == {1: expected, 2: expected}


def test_bf_partial_and_mean_over_images():
    truth = np.ones((300, 400), np.uint8)
    truth[:, 200:] = 2
    pred = truth.copy()
    pred[:150, 200:205] = 1  # upper half of the boundary moved by 5 px > θ
    scores = bf_scores(pred, truth, [1, 2])
    # class 1: predicted boundary 150 px at column 204 (far) + 150 at 199 (near) + 5 px step; truth 300 at 199
    assert 0.4 < scores[1] < 0.8
    evaluator = SegmentationEvaluator(["a", "b"])
    evaluator.add(truth, truth, "perfect")
    evaluator.add(np.ones_like(truth), truth, "all ferrite")  # class 1 no boundary, class 2 missing: 0
    assert evaluator.result().mean_bf_score == pytest.approx(0.5)


def test_bf_skips_class_absent_from_both_and_scores_zero_when_absent_from_one():
    truth = np.ones((50, 50), np.uint8)
    assert bf_scores(truth, truth, [1, 2, 3]) == {1: 1.0}
    pred = truth.copy()
    pred[10:20, 10:20] = 3
    assert bf_scores(pred, truth, [1, 2, 3])[3] == 0.0


def test_accumulates_over_images_like_one_big_image():
    rng = np.random.default_rng(3)
    truths = [rng.integers(0, 3, (30, 40)) for _ in range(3)]
    preds = [rng.integers(1, 3, (30, 40)) for _ in range(3)]
    evaluator = SegmentationEvaluator(["a", "b"])
    for pred, truth in zip(preds, truths):
        evaluator.add(pred, truth)
    joined = evaluate(np.hstack(preds), np.hstack(truths))
    assert np.array_equal(evaluator.result().confusion, joined.confusion)
    assert evaluator.result().mean_iou == pytest.approx(joined.mean_iou)


def test_values_above_class_count_and_shape_mismatch_rejected():
    with pytest.raises(LabelImageError, match="label value 3 but there are only 2 classes"):
        evaluate([[3, 1]], [[1, 1]])
    with pytest.raises(LabelImageError, match="differ in shape"):
        evaluate([[1, 1]], [[1], [1]])


def test_json_has_the_documented_keys():
    document = evaluate([[1, 2]], [[1, 2]]).to_json()
    for key in (
        "global_accuracy",
        "mean_accuracy",
        "mean_iou",
        "weighted_iou",
        "mean_bf_score",
        "per_class",
        "confusion",
        "per_image",
    ):
        assert key in document
    assert set(document["per_class"][0]) >= {"name", "accuracy", "iou", "bf_score"}
