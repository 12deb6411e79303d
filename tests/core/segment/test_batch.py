"""`steelseg segment` on a folder: masks, fractions with confidence, errors listed, reruns skip,
the same outputs on a local 2-worker Dask cluster."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import tifffile

from steelseg_gui.cli import main
from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.labels import read_label_image, write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


@pytest.fixture(scope="module")
def model_and_images(tmp_path_factory):
    root = tmp_path_factory.mktemp("segment")
    synth = small_synthetic(7)
    forest = run_job(
        train_forest(
            [ScribbledImage("s", to_float01(synth.image), simulate_scribbles(synth.mask, 0.02))],
            ClassTable.default(),
            trees=20,
        )
    )
    save_forest(forest, root / "forest")
    images = root / "images"
    images.mkdir()
    truths = {}
    for seed in (11, 12, 13):
        micrograph = small_synthetic(seed)
        write_png(images / f"good{seed}.png", micrograph.image)
        truths[f"good{seed}"] = micrograph.mask
    return root / "forest", images, truths


def with_bad_files(images, folder):
    folder.mkdir()
    for path in images.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    (folder / "empty.tif").write_bytes(b"")
    tifffile.imwrite(
        folder / "five_channels.tif", np.zeros((5, 40, 40), np.uint8), photometric="minisblack", planarconfig="separate"
    )
    return folder


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_segment_writes_masks_fractions_and_lists_bad_images(model_and_images, tmp_path, capsys):
    model, images, truths = model_and_images
    folder = with_bad_files(images, tmp_path / "in")
    out = tmp_path / "out"
    assert main(["segment", "--model", str(model), "--out", str(out), "--overlay", "--probabilities", str(folder)]) == 1
    for name, truth in truths.items():
        labels = read_label_image(out / f"{name}.png")
        assert np.mean(labels == truth) > 0.75
        assert (out / f"{name}_overlay.png").is_file()
        assert tifffile.imread(out / f"{name}_probabilities.tif").shape == (2, *truth.shape)
    rows = read_csv(out / "phase_fractions.csv")
    assert [r["image"] for r in rows] == sorted(truths)
    for row in rows:
        written = read_label_image(out / f"{row['image']}.png")
        assert float(row["pearlite fraction"]) == pytest.approx(np.mean(written == 2), abs=1e-6)
    errors = {r["image"].split("/")[-1]: r["reason"] for r in read_csv(out / "errors.csv")}
    assert set(errors) == {"corrupt.png", "empty.tif", "five_channels.tif"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["segmented"] == 3 and summary["failed"] == 3
    pearlite = summary["classes"]["pearlite"]
    values = [float(r["pearlite fraction"]) for r in rows]
    assert pearlite["mean"] == pytest.approx(np.mean(values), abs=1e-6)
    assert pearlite["ci95"] == pytest.approx(4.302652729911275 * np.std(values, ddof=1) / np.sqrt(3), rel=1e-4)
    assert "carbon_wt_pct_lever_rule_estimate" in summary
    assert "3 failed" in capsys.readouterr().out


def test_a_rerun_skips_images_already_done(model_and_images, tmp_path, capsys):
    model, images, _ = model_and_images
    out = tmp_path / "out"
    assert main(["segment", "--model", str(model), "--out", str(out), str(images)]) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    capsys.readouterr()
    assert main(["segment", "--model", str(model), "--out", str(out), str(images)]) == 0
    assert "(3 already done before)" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == before


def test_a_missing_model_is_a_one_line_error(tmp_path, capsys):
    assert main(["segment", "--model", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"), str(tmp_path)]) == 2
    assert "model folder not found" in capsys.readouterr().err


def test_dask_cluster_gives_the_same_outputs_as_in_process(model_and_images, tmp_path):
    distributed = pytest.importorskip("distributed")
    model, images, _ = model_and_images
    assert main(["segment", "--model", str(model), "--out", str(tmp_path / "local"), str(images)]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert (
            main(
                [
                    "segment",
                    "--model",
                    str(model),
                    "--out",
                    str(tmp_path / "dask"),
                    "--scheduler",
                    cluster.scheduler_address,
                    str(images),
                ]
            )
            == 0
        )
    for path in sorted((tmp_path / "local").glob("*.png")):
        np.testing.assert_array_equal(read_label_image(path), read_label_image(tmp_path / "dask" / path.name))
    assert (tmp_path / "local" / "phase_fractions.csv").read_text() == (
        tmp_path / "dask" / "phase_fractions.csv"
    ).read_text()
