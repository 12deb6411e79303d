"""`steelseg rf train|apply` and `steelseg propagate` end to end, and their bad inputs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile

from steelseg_gui.cli import main
from steelseg_gui.core.imaging.labels import read_label_image, write_label_image, write_png
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


@pytest.fixture(scope="module")
def scribbled(tmp_path_factory):
    """Three small synthetic micrographs (PNG), their masks and scribbles (PNG)."""
    folder = tmp_path_factory.mktemp("rf")
    files = []
    for seed in (1, 2, 3):
        synth = small_synthetic(seed)
        image = write_png(folder / f"img{seed}.png", synth.image)
        scribbles = write_label_image(folder / f"img{seed}_scr.png", simulate_scribbles(synth.mask, 0.02, seed))
        files.append((image, scribbles, synth.mask))
    return files


@pytest.fixture(scope="module")
def model(scribbled, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "forest"
    args = ["rf", "train", "--out", str(out), "--trees", "20", "--seed", "3"]
    for image, scribbles, _ in scribbled[:2]:
        args += ["--image", str(image), "--scribbles", str(scribbles)]
    assert main(args) == 0
    return out


def test_train_then_apply_writes_label_pngs_and_probabilities(model, scribbled, tmp_path, capsys):
    image, _, mask = scribbled[2]
    out = tmp_path / "pred"
    assert main(["rf", "apply", "--model", str(model), "--out", str(out), "--probabilities", str(image)]) == 0
    labels = read_label_image(out / "img3.png")
    assert set(np.unique(labels)) <= {1, 2} and np.mean(labels == mask) > 0.85
    probabilities = tifffile.imread(out / "img3_probabilities.tif")
    assert probabilities.shape == (2, 150, 200) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, atol=1e-5)
    assert tifffile.imread(out / "img3_uncertainty.tif").shape == (150, 200)
    assert "img3.png: ferrite" in capsys.readouterr().out


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "\n".join(err)
    return err[-1]


def test_one_class_scribbles_fail_cleanly_and_overwrite_nothing(scribbled, model, tmp_path, capsys):
    image, scribbles, _ = scribbled[0]
    one_class = write_label_image(tmp_path / "one.png", np.where(read_label_image(scribbles) == 1, 1, 0))
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    code = main(["rf", "train", "--image", str(image), "--scribbles", str(one_class), "--out", str(model)])
    assert code == 2 and "all scribbles are 'ferrite'" in _error_line(capsys)
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before


def test_empty_scribbles_fail_cleanly(scribbled, tmp_path, capsys):
    empty = write_label_image(tmp_path / "empty.png", np.zeros((150, 200), np.uint8))
    code = main(
        ["rf", "train", "--image", str(scribbled[0][0]), "--scribbles", str(empty), "--out", str(tmp_path / "m")]
    )
    assert code == 2 and "scribbles are empty" in _error_line(capsys)
    assert not (tmp_path / "m").exists()


def test_scribbles_of_another_shape_fail_cleanly(scribbled, tmp_path, capsys):
    small = write_label_image(tmp_path / "small.png", np.ones((100, 100), np.uint8))
    code = main(
        ["rf", "train", "--image", str(scribbled[0][0]), "--scribbles", str(small), "--out", str(tmp_path / "m")]
    )
    assert code == 2 and "scribbles are 100×100 px but the image is 200×150 px" in _error_line(capsys)


def test_image_with_another_channel_count_fails_before_writing(model, scribbled, tmp_path, capsys):
    grey = write_png(tmp_path / "grey.png", np.full((150, 200), 128, np.uint8))
    out = tmp_path / "pred"
    code = main(["rf", "apply", "--model", str(model), "--out", str(out), str(scribbled[2][0]), str(grey)])
    assert code == 2 and "grey.png: has 1 channel(s) but the forest was trained on 3-channel images" in _error_line(
        capsys
    )
    assert not out.exists()


def test_corrupt_model_fails_cleanly(model, scribbled, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((model / "config.json").read_text())
    (broken / "forest.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    code = main(["rf", "apply", "--model", str(broken), "--out", str(tmp_path / "o"), str(scribbled[2][0])])
    assert code == 2 and "damaged" in _error_line(capsys)


def test_propagate_project_writes_auto_masks_and_leaves_reviewed(scribbled, tmp_path, capsys):
    project = Project.create(tmp_path / "proj")
    project.add_images([image for image, _, _ in scribbled])
    ids = [entry.id for entry in project.images]
    for image_id, (_, scribbles, _) in zip(ids[:2], scribbled[:2]):
        project.save_scribbles(image_id, read_label_image(scribbles))
    reviewed = np.ones((150, 200), np.uint8)
    project.save_mask(ids[2], reviewed, "reviewed")
    assert main(["propagate", str(project.folder), "--trees", "20"]) == 0
    reopened = Project.open(project.folder)
    assert [reopened.entry(i).status for i in ids] == ["auto", "auto", "reviewed"]
    np.testing.assert_array_equal(reopened.load_mask(ids[2]), reviewed)
    assert np.mean(reopened.load_mask(ids[0]) == scribbled[0][2]) > 0.85
    assert (project.folder / "models" / "forest" / "config.json").is_file()
    assert "left alone (reviewed): img3" in capsys.readouterr().out
    assert main(["propagate", str(project.folder), "--trees", "20", "--include-reviewed"]) == 0
    assert Project.open(project.folder).entry(ids[2]).status == "auto"


def test_rf_apply_never_imports_torch(model, scribbled, tmp_path):
    code = (
        "import sys\nfrom steelseg_gui.cli import main\n"
        f"code = main(['rf', 'apply', '--model', {str(model)!r}, '--out', {str(tmp_path / 'o')!r}, "
        f"{str(scribbled[2][0])!r}])\n"
        "print(code, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "0 False"
