"""The Propagate section in a real napari viewer: train, preview, live refresh, apply, cancel.

A timer ticking every 10 ms measures the longest pause of the Qt event loop while the forest
trains and propagates; it must stay under 200 ms. The compiled kernels are loaded before the
measurement (a fresh installation compiles them once, on first use).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QMessageBox

from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from steelseg_gui.qt.project_widget import ProjectWidget
from tests.conftest import small_synthetic, write_png
from tests.napari.stall import StallMonitor

MAX_STALL_S = 0.2
TREES = 30


@pytest.fixture(scope="module")
def micrographs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("micrographs")
    out = []
    for seed in (1, 2, 3):
        synth = small_synthetic(seed)
        out.append((write_png(folder / f"m{seed}.png", synth.image), synth.mask))
    image = synth.image.astype(np.float32)[..., :3] / 255
    run_job(
        train_forest(
            [ScribbledImage("warm-up", image, simulate_scribbles(synth.mask, 0.02))], ClassTable.default(), trees=2
        )
    )  # loads the compiled kernels
    return out


def open_widget(make_napari_viewer, tmp_path, micrographs) -> ProjectWidget:
    """A docked SteelSeg widget with a new project of the three micrographs.

    Not a fixture: napari's leak check runs before fixture values are released.
    """
    viewer = make_napari_viewer()
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    widget.new_project(tmp_path / "proj")
    widget.add_images([path for path, _ in micrographs])
    widget.propagate.trees.setValue(TREES)
    return widget


def paint_scribbles(layer, mask, seed=0):
    """Paint about 1 % of the pixels, both phases, with the layer's own brush, one stroke per
    event-loop turn as a person's strokes arrive (the loop is not blocked by the test itself)."""
    scribbles = simulate_scribbles(mask, coverage=0.01, seed=seed)
    layer.brush_size = 3
    rows, cols = np.nonzero(scribbles)
    for index in np.random.default_rng(seed).choice(rows.size, 60, replace=False):
        layer.paint((rows[index], cols[index]), int(scribbles[rows[index], cols[index]]))
        QApplication.processEvents()
    assert set(np.unique(layer.data)) == {0, 1, 2}


def test_train_preview_and_apply_to_all(make_napari_viewer, tmp_path, micrographs, qtbot):
    widget = open_widget(make_napari_viewer, tmp_path, micrographs)
    panel = widget.propagate
    paint_scribbles(widget.session.scribble_layer, micrographs[0][1])
    monitor = StallMonitor()
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.preview.labels.data.any() and not panel.runner.running, timeout=120_000)
    preview = np.asarray(panel.preview.labels.data)
    assert panel.forest.summary["trees"] == TREES
    assert np.mean(preview == micrographs[0][1]) > 0.85
    assert widget.viewer.layers.selection.active is widget.session.scribble_layer
    assert {"P(ferrite)", "P(pearlite)", "uncertainty"} <= {layer.name for layer in widget.viewer.layers}

    assert panel.apply_to_all()
    qtbot.waitUntil(lambda: panel.last_report is not None and not panel.runner.running, timeout=120_000)
    monitor.timer.stop()
    project = Project.open(widget.project.folder)
    assert [entry.status for entry in project.images] == ["auto", "auto", "auto"]
    for entry, (_, mask) in zip(project.images, micrographs):
        assert np.mean(project.load_mask(entry.id) == mask) > 0.8
    assert "auto" in widget.image_list.item(1).text()
    assert monitor.longest < MAX_STALL_S, f"event loop blocked for {monitor.longest * 1000:.0f} ms"


def test_live_preview_refreshes_after_a_stroke(make_napari_viewer, tmp_path, micrographs, qtbot):
    widget = open_widget(make_napari_viewer, tmp_path, micrographs)
    panel = widget.propagate
    panel.live_check.setChecked(True)
    monitor = StallMonitor()
    paint_scribbles(widget.session.scribble_layer, micrographs[0][1])
    qtbot.waitUntil(lambda: panel.preview.labels.data.any() and not panel.runner.running, timeout=120_000)
    first_forest, first = panel.forest, np.asarray(panel.preview.labels.data).copy()
    layer = widget.session.scribble_layer
    layer.brush_size = 15
    layer.paint((75, 100), 2)  # a large pearlite stroke changes the forest
    qtbot.waitUntil(
        lambda: (
            panel.forest is not first_forest
            and not panel.runner.running
            and not np.array_equal(panel.preview.labels.data, first)
        ),
        timeout=120_000,
    )
    assert panel.preview.labels.name == "preview: m1"
    monitor.timer.stop()
    assert monitor.longest < MAX_STALL_S, f"event loop blocked for {monitor.longest * 1000:.0f} ms"


def test_reviewed_masks_are_kept_unless_the_user_says_so(make_napari_viewer, tmp_path, micrographs, qtbot, monkeypatch):
    widget = open_widget(make_napari_viewer, tmp_path, micrographs)
    panel = widget.propagate
    paint_scribbles(widget.session.scribble_layer, micrographs[0][1])
    reviewed = np.ones((150, 200), np.uint8)
    widget.project.save_mask("m3", reviewed, "reviewed")
    panel.train()
    qtbot.waitUntil(lambda: panel.forest is not None and not panel.runner.running, timeout=120_000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    assert panel.apply_to_all()
    qtbot.waitUntil(lambda: panel.last_report is not None and not panel.runner.running, timeout=120_000)
    assert len(asked) == 1 and panel.last_report.skipped_reviewed == ["m3"]
    np.testing.assert_array_equal(Project.open(widget.project.folder).load_mask("m3"), reviewed)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not panel.apply_to_all()


def test_one_class_scribbles_show_an_error_and_keep_the_strokes(make_napari_viewer, tmp_path, micrographs, qtbot):
    widget = open_widget(make_napari_viewer, tmp_path, micrographs)
    panel = widget.propagate
    layer = widget.session.scribble_layer
    layer.brush_size = 5
    layer.paint((20, 20), 1)
    painted = np.asarray(layer.data).copy()
    panel.train()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert "all scribbles are 'ferrite'" in panel.last_error
    assert panel.forest is None and np.array_equal(layer.data, painted)
    assert panel.train_button.isEnabled()


def test_cancel_stops_training(make_napari_viewer, tmp_path, micrographs, qtbot):
    widget = open_widget(make_napari_viewer, tmp_path, micrographs)
    panel = widget.propagate
    paint_scribbles(widget.session.scribble_layer, micrographs[0][1])
    panel.trees.setValue(2000)
    panel.train()
    qtbot.waitUntil(lambda: "growing trees" in panel.status.text(), timeout=60_000)
    started = time.perf_counter()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert time.perf_counter() - started < 30
    assert panel.forest is None and panel.status.text() == "cancelled"
    assert panel.train_button.isEnabled() and not panel.cancel_button.isEnabled()
