"""The dock's Report tab in a real napari viewer: header and specimen fields typed in, saved into the
project, and the report written as HTML and PDF in the background."""

from __future__ import annotations

import numpy as np
from qtpy.QtWidgets import QPushButton

from steelseg_gui.core.imaging.labels import write_png
from steelseg_gui.core.project.folder import Project
from steelseg_gui.qt.project_widget import ProjectWidget


def button(panel, text: str) -> QPushButton:
    return next(b for b in panel.findChildren(QPushButton) if b.text() == text)


def test_fields_typed_in_the_dock_reach_the_project_and_the_report(make_napari_viewer, qtbot, tmp_path):
    project = Project.create(tmp_path / "proj")
    grey = np.tile(np.linspace(60, 200, 120).astype(np.uint8), (90, 1))
    project.add_images([write_png(tmp_path / f"f{k}.png", grey) for k in (1, 2)], pixel_size_um=0.4)
    project.set_specimen(["f1", "f2"], "S1")
    for entry, rows in zip(project.images, (30, 40)):
        mask = np.ones((90, 120), np.uint8)
        mask[:rows] = 2
        project.save_mask(entry.id, mask, "reviewed", reviewer="J. Doe")

    viewer = make_napari_viewer()
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    widget.open_project(project.folder)
    panel = widget.report
    qtbot.keyClicks(panel.fields["operator"], "A. Smith")
    qtbot.keyClicks(panel.fields["microscope"], "Zeiss Axio Imager")
    panel.specimens.item(0, 1).setText("SAE 1020")  # grade
    button(panel, "Write report").click()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=120_000)

    assert panel.last_error is None
    reopened = Project.open(project.folder)
    assert reopened.metadata.operator == "A. Smith" and reopened.metadata.reviewer is None
    assert reopened.specimens["S1"].grade == "SAE 1020"
    html = (project.folder / "reports" / "report.html").read_text(encoding="utf-8")
    assert "<td>A. Smith</td>" in html and "<td>Zeiss Axio Imager</td>" in html and "Specimen S1" in html
    assert "Nominal for SAE 1020: 0.18–0.23 wt %" in html
    assert (project.folder / "reports" / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "Report written" in panel.status.text()
    widget.close()
