"""The report a lab files: header fields, per-field table, scale bars and legend, fraction statistics
with the fields needed (checked by hand), one summary per specimen, models scored on what they did not
train on (or labelled), standards cited by number; HTML parsed, PDF rendered."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from steelseg_gui.cli import main
from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.report.project_report import project_report
from steelseg_gui.core.report.render import render_html
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


class Page(HTMLParser):
    """Tables (by class: rows of cell texts), images (attributes), headings and all text of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table_order: list[str] = []
        self.images: list[dict] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._table = self._row = self._cell = self._heading = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("class")
            self.table_order.append(self._table)
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag in ("h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = self._row = None
        elif tag in ("h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)
        self.text.append(data)

    def cell(self, table: str, row_label: str, column: str, occurrence: int = 0) -> str:
        """The cell of ``table`` (its ``occurrence``-th copy's rows) in the row starting ``row_label``."""
        rows = self.tables[table]
        headers = [r for r in rows if r and r[0] == rows[0][0]]
        header = headers[0]
        matching = [r for r in rows if r and r[0] == row_label]
        return matching[occurrence][header.index(column)]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def banded_mask(pearlite_rows: int, size: int = 100) -> np.ndarray:
    """A ``size × size`` mask: the first ``pearlite_rows`` rows pearlite (2), the rest ferrite (1)."""
    mask = np.ones((size, size), np.uint8)
    mask[:pearlite_rows] = 2
    return mask


@pytest.fixture
def banded_project(tmp_path):
    """Three 100×100 fields at 0.5 µm/px with pearlite fractions 0.30, 0.35, 0.40, masks reviewed."""
    project = Project.create(tmp_path / "proj")
    grey = np.tile(np.linspace(60, 200, 100).astype(np.uint8), (100, 1))
    paths = [write_png(tmp_path / f"f{k}.png", grey) for k in (1, 2, 3)]
    project.add_images(paths, pixel_size_um=0.5)
    for entry, rows in zip(project.images, (30, 35, 40)):
        project.save_mask(entry.id, banded_mask(rows), "auto", source_model="default")
    project.save_mask("f1", banded_mask(30), "reviewed", reviewer="J. Doe")
    return project


def test_html_has_header_field_table_scale_bars_legend_and_standards(banded_project, tmp_path):
    out, folder = tmp_path / "r.html", str(banded_project.folder)
    assert main(["project", "set", folder, "--operator", "A. Smith", "--etchant", "2 % nital"]) == 0
    assert main(["project", "specimen", folder, "S1", "--grade", "SAE 1020", "--heat-treatment", "annealed", "f1"]) == 0
    assert main(["report", folder, "--out", str(out)]) == 0
    page = Page(out.read_text(encoding="utf-8"))
    header = {row[i]: row[i + 1] for row in page.tables["header"] for i in range(0, len(row), 2)}
    assert header["Operator"] == "A. Smith" and header["Etchant"] == "2 % nital"
    assert header["Reviewer"] == "" and header["Microscope"] == "" and header["Magnification"] == ""  # never invented
    assert header["Pixel size"] == "0.5 µm/px"
    fields = page.tables["fields"]
    assert fields[0][:6] == [
        "image",
        "area analysed (mm²)",
        "ferrite fraction",
        "pearlite fraction",
        "G (E112)",
        "intercepts",
    ]
    assert page.cell("fields", "f2", "area analysed (mm²)") == f"{100 * 100 * 0.5**2 / 1e6:.4f}"  # 0.0025 mm²
    assert page.cell("fields", "f2", "pearlite fraction") == "0.3500"
    assert page.cell("fields", "f2", "G (E112)") not in ("", "–")
    assert page.cell("fields", "f2", "mask made by").startswith("default, 20")
    assert page.cell("fields", "f2", "reviewed") == "no (auto)"
    assert page.cell("fields", "f1", "reviewed").startswith("yes, by J. Doe, 20")
    specimen = {row[i]: row[i + 1] for row in page.tables["specimen-header"][:2] for i in range(0, len(row), 2)}
    assert specimen["Grade"] == "SAE 1020" and specimen["Heat treatment"] == "annealed" and specimen["Etchant"] == ""
    assert "Nominal for SAE 1020: 0.18–0.23 wt % (SAE J403)" in page.all_text
    # Each field: the original beside its overlay, both with a scale bar.
    originals = [i for i in page.images if i.get("class") == "original"]
    overlays = [i for i in page.images if i.get("class") == "overlay"]
    assert len(originals) == len(overlays) == 3  # f1 (specimen S1), then f2 and f3 (no specimen)
    assert {i["data-scale-bar"] for i in overlays} == {"10 µm"}  # 100 px × 0.5 µm = 50 µm wide: 20 % is 10 µm
    assert "f1: phase map; scale bar 10 µm" in page.all_text
    overlay = np.asarray(Image.open(io.BytesIO(base64.b64decode(overlays[0]["src"].split(",", 1)[1]))))
    bottom = overlay[-12:, -30:]
    assert (bottom == 255).all(axis=2).sum() >= 20  # the white bar, 20 px long for 10 µm at 0.5 µm/px
    assert "1 ferrite" in page.all_text and "2 pearlite" in page.all_text  # the colour legend
    standards = [row[0] for row in page.tables["standards"][1:]]
    assert standards == ["ASTM E562", "ISO 9042", "ASTM E112", "ASTM E1382"]
    assert "Standards and definitions" in page.headings


def test_fields_needed_matches_a_hand_computation_and_is_flagged(banded_project):
    page = Page(render_html(run_job(project_report(banded_project))))
    # Pearlite 0.30, 0.35, 0.40: x̄ = 0.35, s = 0.05, %RA = 100·t(2)·s/√3/x̄ = 100·4.303·0.05/1.732/0.35 = 35.5 %.
    # Fields for 10 % RA: n = 10 → t(9) = 2.262 → (100·2.262·0.05/(10·0.35))² = 10.44 > 10;
    #                     n = 11 → t(10) = 2.228 → 10.13 ≤ 11: 11 fields.
    # Ferrite 0.70, 0.65, 0.60: n = 4 → t(3) = 3.182 → (100·3.182·0.05/6.5)² = 5.99 > 4; n = 5 → t(4) = 2.776 → 4.56: 5.
    column = "fields needed for 10 % RA (ISO 9042)"
    assert page.cell("statistics", "pearlite", column) == "11 (too few measured)"
    assert page.cell("statistics", "ferrite", column) == "5 (too few measured)"
    assert page.cell("statistics", "pearlite", "%RA") == "35.5 %"
    assert page.cell("statistics", "pearlite", "mean") == "0.3500"
    assert "Too few fields: ferrite needs 5 fields for 10 % relative accuracy, 3 were measured" in page.all_text
    assert "pearlite needs 11 fields" in page.all_text


def test_two_specimens_give_two_summaries_never_pooled(banded_project):
    banded_project.set_specimen(["f1", "f2"], "A", banded_project.specimen_info(grade="SAE 1020"))
    banded_project.set_specimen(["f3"], "B", banded_project.specimen_info(grade="SAE 1045"))
    page = Page(render_html(run_job(project_report(banded_project))))
    assert [h for h in page.headings if h.startswith("Specimen")] == ["Specimen A", "Specimen B"]
    assert page.table_order.count("statistics") == 2
    assert page.cell("statistics", "pearlite", "mean", occurrence=0) == "0.3250"  # A: 0.30 and 0.35
    assert page.cell("statistics", "pearlite", "mean", occurrence=1) == "0.4000"  # B: 0.40 alone
    assert "One field only" in page.all_text
    assert "Nominal for SAE 1020" in page.all_text and "Nominal for SAE 1045" in page.all_text


def _forest_trained_on(project: Project, image_id: str, synth) -> None:
    forest = run_job(
        train_forest(
            [ScribbledImage(image_id, to_float01(synth.image), simulate_scribbles(synth.mask, 0.02))],
            ClassTable.default(),
            trees=10,
        )
    )
    save_forest(forest, project.folder / "models" / "forest")


@pytest.fixture
def synthetic_project(tmp_path):
    project = Project.create(tmp_path / "proj")
    synths = {f"m{seed}": small_synthetic(seed) for seed in (1, 2, 3)}
    for name, synth in synths.items():
        write_png(tmp_path / f"{name}.png", synth.image)
    project.add_images([tmp_path / f"{name}.png" for name in synths])
    _forest_trained_on(project, "m1", synths["m1"])
    return project, synths


def test_a_model_is_scored_on_images_it_did_not_train_on(synthetic_project, tmp_path):
    project, synths = synthetic_project
    for name, synth in synths.items():
        project.save_mask(name, synth.mask, "reviewed")
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    assert main(["report", str(project.folder), "--out", str(out), "--pdf", str(pdf)]) == 0
    page = Page(out.read_text(encoding="utf-8"))
    assert page.cell("metrics", "forest", "scored on") == "held out: 2 reviewed image(s) it did not train on"
    assert page.cell("provenance", "forest", "trained on") == "1 image(s)"
    assert "Appendix: model configurations" in page.headings
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
        assert len(list(tmp_path.glob("page-*.png"))) >= 2


def test_a_model_scored_on_its_training_images_is_labelled_so(synthetic_project):
    project, synths = synthetic_project
    project.save_mask("m1", synths["m1"].mask, "reviewed")
    project.save_mask("m2", synths["m2"].mask, "auto")
    page = Page(render_html(run_job(project_report(project))))
    assert page.cell("metrics", "forest", "scored on") == (
        "on its training images (1 reviewed image(s)): not a test of the model"
    )


def test_folder_report_scores_predictions_against_truth(tmp_path):
    pred, truth = tmp_path / "pred", tmp_path / "truth"
    for folder in (pred, truth):
        folder.mkdir()
    mask = small_synthetic(2).mask
    write_label_image(truth / "a.png", mask)
    write_label_image(pred / "a.png", np.ones_like(mask, dtype=np.uint8))
    out = tmp_path / "r.html"
    assert main(["report", "--pred", str(pred), "--truth", str(truth), "--out", str(out)]) == 0
    page = Page(out.read_text(encoding="utf-8"))
    assert page.cell("metrics", "pred", "global accuracy") == f"{np.mean(mask == 1):.4f}"  # an all-ferrite prediction
    assert page.cell("fields", "a", "ferrite fraction") == "1.0000"


def test_report_without_project_or_output_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 2
    assert "either a PROJECT" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "--out report.html and/or --pdf report.pdf" in capsys.readouterr().err
