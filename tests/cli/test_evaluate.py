"""steelseg evaluate on real masks and on bad inputs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core.imaging.labels import read_label_image, write_label_image
from tests.conftest import write_png


def test_uhcs_masks_against_themselves_score_one(shared_data, tmp_path, capsys):
    masks = shared_data / "uhcs" / "masks"
    assert (
        main(
            [
                "evaluate",
                "--pred",
                str(masks),
                "--truth",
                str(masks),
                "--zero-based-masks",
                "--json",
                str(tmp_path / "m.json"),
                "--csv",
                str(tmp_path / "m.csv"),
                "--plots",
                str(tmp_path / "plots"),
            ]
        )
        == 0
    )
    document = json.loads((tmp_path / "m.json").read_text())
    for key in ("global_accuracy", "mean_accuracy", "mean_iou", "weighted_iou", "mean_bf_score"):
        assert document[key] == 1.0
    assert len(document["per_image"]) == 24 and len(document["per_class"]) == 4
    assert (tmp_path / "plots" / "confusion_matrix.png").stat().st_size > 5000
    assert (tmp_path / "m.csv").read_text().count("\n") == 25
    assert "GlobalAccuracy" in capsys.readouterr().out


def test_merging_a_class_gives_the_expected_drop(shared_data, tmp_path):
    """0-based class 3 (Widmanstätten) merged into class 2 (spheroidite) in the predictions."""
    truth_dir = shared_data / "uhcs" / "masks"
    pred_dir = tmp_path / "merged"
    pred_dir.mkdir()
    counts = np.zeros(4, np.int64)
    for path in sorted(truth_dir.glob("*.png")):
        mask = read_label_image(path)
        counts += np.bincount(mask.ravel(), minlength=4)
        write_label_image(pred_dir / path.name, np.where(mask == 3, 2, mask))
    assert (
        main(
            [
                "evaluate",
                "--pred",
                str(pred_dir),
                "--truth",
                str(truth_dir),
                "--zero-based-masks",
                "--json",
                str(tmp_path / "m.json"),
            ]
        )
        == 0
    )
    document = json.loads((tmp_path / "m.json").read_text())
    total = counts.sum()
    merged_iou = counts[2] / (counts[2] + counts[3])
    assert document["global_accuracy"] == pytest.approx(1 - counts[3] / total)
    assert document["mean_iou"] == pytest.approx((1 + 1 + merged_iou + 0) / 4)
    assert document["mean_accuracy"] == pytest.approx(3 / 4)
    assert document["weighted_iou"] == pytest.approx((counts[0] + counts[1] + counts[2] * merged_iou) / total)
    assert document["per_class"][3]["iou"] == 0.0


@pytest.fixture
def folders(tmp_path):
    pred, truth = tmp_path / "pred", tmp_path / "truth"
    pred.mkdir()
    truth.mkdir()
    return pred, truth


def run_evaluate(pred, truth, *extra):
    return main(["evaluate", "--pred", str(pred), "--truth", str(truth), *extra])


def test_empty_folder(folders, capsys):
    pred, truth = folders
    assert run_evaluate(pred, truth) == 2
    assert f"{pred}: no mask images" in capsys.readouterr().err


def test_non_image_file_named_png(folders, capsys):
    pred, truth = folders
    write_png(truth / "a.png", np.ones((8, 8), np.uint8))
    (pred / "a.png").write_text("not an image")
    assert run_evaluate(pred, truth) == 2
    err = capsys.readouterr().err
    assert str(pred / "a.png") in err and "Traceback" not in err


def test_values_above_class_count(folders, capsys):
    pred, truth = folders
    write_png(truth / "a.png", np.ones((8, 8), np.uint8))
    write_png(pred / "a.png", np.full((8, 8), 3, np.uint8))
    assert run_evaluate(pred, truth, "--classes", "ferrite,pearlite") == 2
    err = capsys.readouterr().err
    assert str(pred / "a.png") in err and "label value 3 but there are only 2 classes" in err


def test_shape_mismatch_names_both_files(folders, capsys):
    pred, truth = folders
    write_png(truth / "a.png", np.ones((8, 8), np.uint8))
    write_png(pred / "a.png", np.ones((8, 9), np.uint8))
    assert run_evaluate(pred, truth) == 2
    err = capsys.readouterr().err
    assert str(pred / "a.png") in err and str(truth / "a.png") in err and "shape" in err


def test_missing_pairs_are_reported_and_rest_scored(folders, capsys):
    pred, truth = folders
    for name in ("a", "b"):
        write_png(truth / f"{name}.png", np.ones((8, 8), np.uint8))
    write_png(pred / "a.png", np.ones((8, 8), np.uint8))
    shutil.copy(pred / "a.png", pred / "c.png")
    assert run_evaluate(pred, truth) == 0
    captured = capsys.readouterr()
    assert "no prediction for" in captured.err and "b.png" in captured.err
    assert "no true mask for" in captured.err and "c.png" in captured.err
    assert "1 image(s)" in captured.out
