"""`steelseg report`: one self-contained HTML file whose tables and images an HTML parser finds."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.images, self.cells, self._table = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append(attrs.get("class"))
        if tag == "img":
            self.images.append(attrs["src"])

    def handle_data(self, data):
        if data.strip():
            self.cells.append(data.strip())


def parse(path) -> Collector:
    collector = Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@pytest.fixture
def project_with_model(tmp_path):
    project = Project.create(tmp_path / "proj")
    masks = {}
    for seed in (1, 2, 3):
        synth = small_synthetic(seed)
        masks[f"m{seed}"] = synth
        write_png(tmp_path / f"m{seed}.png", synth.image)
    project.add_images([tmp_path / f"m{s}.png" for s in (1, 2, 3)])
    for entry in project.images:
        project.save_mask(entry.id, masks[entry.id].mask, "reviewed")
    synth = masks["m1"]
    forest = run_job(
        train_forest(
            [ScribbledImage("m1", to_float01(synth.image), simulate_scribbles(synth.mask, 0.02))],
            ClassTable.default(),
            trees=10,
        )
    )
    save_forest(forest, project.folder / "models" / "forest")
    return project, masks


def test_project_report_has_fraction_and_metric_tables_and_embedded_images(project_with_model, tmp_path):
    project, masks = project_with_model
    out = tmp_path / "report.html"
    assert main(["report", str(project.folder), "--out", str(out)]) == 0
    page = parse(out)
    assert page.tables == ["fractions", "metrics"]
    assert len(page.images) == 3 + 1 and all(src.startswith("data:image/png;base64,") for src in page.images)
    expected = f"{np.mean(masks['m2'].mask == 2):.4f}"
    assert expected in page.cells
    assert "forest" in page.cells


def test_folder_report_scores_predictions_against_truth(tmp_path):
    pred, truth = tmp_path / "pred", tmp_path / "truth"
    for folder in (pred, truth):
        folder.mkdir()
    mask = small_synthetic(2).mask
    write_label_image(truth / "a.png", mask)
    write_label_image(pred / "a.png", np.where(mask == 1, 1, 1).astype(np.uint8))
    out = tmp_path / "r.html"
    assert main(["report", "--pred", str(pred), "--truth", str(truth), "--out", str(out)]) == 0
    page = parse(out)
    assert page.tables == ["fractions", "metrics"] and len(page.images) == 1  # the confusion matrix
    assert f"{np.mean(mask == 1):.4f}" in page.cells  # global accuracy of an all-ferrite prediction


def test_report_without_project_or_pred_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 2
    assert "either a PROJECT" in capsys.readouterr().err
