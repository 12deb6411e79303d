"""Segment & review in a real napari viewer: segment, edit the prediction, see the fractions
change, accept (status reviewed), then the report of the project is parsed for its tables and images."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
from qtpy.QtGui import QShortcut

from steelseg_gui.cli import main
from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.labels import write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from steelseg_gui.qt.project_widget import ProjectWidget
from tests.conftest import small_synthetic


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_segment_edit_accept_and_report(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    widget.new_project(tmp_path / "proj")
    synths = {f"m{seed}": small_synthetic(seed) for seed in (1, 2)}
    widget.add_images([write_png(tmp_path / f"{name}.png", s.image) for name, s in synths.items()])
    first = synths["m1"]
    forest = run_job(
        train_forest(
            [ScribbledImage("m1", to_float01(first.image), simulate_scribbles(first.mask, 0.02))],
            ClassTable.default(),
            trees=10,
        )
    )
    save_forest(forest, widget.project.folder / "models" / "forest")
    panel = widget.review
    panel.refresh_models()
    panel.model_choice.setCurrentIndex(panel.model_choice.findData(str(widget.project.folder / "models" / "forest")))
    widget.select_image("m1")

    assert panel.segment_current()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert panel.last_error is None and panel.mask_layer is not None
    assert widget.project.entry("m1").status == "auto"
    before = panel.fractions.item(1, 1).text()

    layer = panel.mask_layer
    layer.brush_size = 40
    for row in range(10, 150, 20):
        for col in range(10, 200, 20):
            layer.paint((row, col), 2)
    qtbot.waitUntil(lambda: panel.fractions.item(1, 1).text() != before, timeout=5_000)
    pearlite_on_screen = float(np.mean(np.asarray(layer.data) == 2))
    assert panel.fractions.item(1, 1).text() == f"{100 * pearlite_on_screen:.1f} %"

    panel.accept()
    assert widget.project.entry("m1").status == "reviewed"
    np.testing.assert_array_equal(widget.project.load_mask("m1"), np.asarray(layer.data))
    shortcuts = {s.key().toString(): s for s in panel.findChildren(QShortcut)}
    shortcuts["Alt+Right"].activated.emit()  # the test viewer is hidden, so Qt delivers no key presses
    assert widget.session.image_id == "m2"
    shortcuts["Alt+Left"].activated.emit()
    assert widget.session.image_id == "m1"

    # Segment all: the reviewed mask stays; a mask corrected by hand is not replaced either.
    assert panel.segment_all()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert widget.project.entry("m2").status == "auto"
    np.testing.assert_array_equal(widget.project.load_mask("m1"), np.asarray(layer.data))
    widget.select_image("m2")
    panel.mask_layer.paint((75, 100), 1)
    corrected = np.asarray(panel.mask_layer.data).copy()
    widget.select_image("m1")
    assert panel.segment_all()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    np.testing.assert_array_equal(widget.project.load_mask("m2"), corrected)

    report = tmp_path / "report.html"
    assert main(["report", str(widget.project.folder), "--out", str(report)]) == 0
    parser = Tags()
    parser.feed(report.read_text(encoding="utf-8"))
    tables = [attrs.get("class") for tag, attrs in parser.tags if tag == "table"]
    images = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert {"fields", "statistics", "metrics"} <= set(tables) and len(images) >= 2
    widget.close()
