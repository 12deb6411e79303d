"""The Train section in a real napari viewer: a tiny training in a child process, progress and
live curves, Cancel keeping a loadable model, errors shown; the event loop never stalls 200 ms."""

from __future__ import annotations

from qtpy.QtCore import Qt

from steelseg_gui.core.nets.bundle import load_net
from steelseg_gui.qt.project_widget import ProjectWidget
from tests.conftest import small_synthetic, write_png
from tests.napari.stall import StallMonitor

MAX_STALL_S = 0.2


def open_widget(make_napari_viewer, tmp_path, reviewed: bool) -> ProjectWidget:
    viewer = make_napari_viewer()
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    widget.new_project(tmp_path / "proj")
    masks = {}
    for seed in (1, 2, 3):
        synth = small_synthetic(seed, 128, 96)
        masks[f"m{seed}"] = synth.mask
        write_png(tmp_path / f"m{seed}.png", synth.image)
    widget.add_images([tmp_path / f"m{seed}.png" for seed in (1, 2, 3)])
    if reviewed:
        for entry in widget.project.images:
            widget.project.save_mask(entry.id, masks[entry.id], "reviewed")
    panel = widget.training
    for i in range(panel.networks.count()):
        item = panel.networks.item(i)
        item.setCheckState(Qt.Checked if item.text() == "unet" else Qt.Unchecked)
    panel.epochs.setValue(50)
    panel.batch_size.setValue(4)
    panel.tile.setValue(32)
    panel.device.setCurrentText("cpu")
    return widget


def test_train_shows_progress_and_curves_and_cancel_keeps_the_best_model(make_napari_viewer, qtbot, tmp_path):
    widget = open_widget(make_napari_viewer, tmp_path, reviewed=True)
    panel = widget.training
    monitor = StallMonitor()
    assert panel.start(threads=1)
    assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: len(panel.history) >= 2, timeout=180_000)
    assert panel.progress.value() > 0 and "left" in panel.status.text()
    lines = [line for axes in panel.curves.figure.axes for line in axes.get_lines()]
    assert len(panel.curves.figure.axes) == 3
    qtbot.waitUntil(
        lambda: all(len(line.get_xdata()) >= 2 for line in lines), timeout=10_000
    )  # drawn off the GUI thread
    qtbot.waitUntil(lambda: not panel.curves.rendering, timeout=10_000)
    assert not panel.curves.pixmap().isNull()
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.process.running, timeout=60_000)
    monitor.timer.stop()
    assert panel.last_error is None
    assert len(panel.finished_models) == 1 and panel.models.count() == 1
    model = load_net(panel.finished_models[0])
    assert model.config["training"]["stopped"] == "cancelled"
    assert model.config["training"]["best_epoch"] >= 1
    assert monitor.longest < MAX_STALL_S, f"event loop blocked {monitor.longest * 1000:.0f} ms"
    widget.close()


def test_training_without_reviewed_masks_shows_the_error(make_napari_viewer, qtbot, tmp_path):
    widget = open_widget(make_napari_viewer, tmp_path, reviewed=False)
    panel = widget.training
    assert panel.start(threads=1)
    qtbot.waitUntil(lambda: not panel.process.running, timeout=120_000)
    assert "no reviewed masks to train on" in panel.last_error
    assert panel.start_button.isEnabled()
    widget.close()
