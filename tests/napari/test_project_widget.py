"""The Project dock widget in a real napari viewer (run under Xvfb)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from steelseg_gui.core.project.folder import Project
from steelseg_gui.qt.project_widget import ProjectWidget
from steelseg_gui.qt.scribble_session import AUTOSAVE_INTERVAL_MS


@pytest.fixture
def two_images(tmp_path, grey_png):
    second = tmp_path / "second.png"
    shutil.copy(grey_png, second)
    return [grey_png, second]


def docked_widget(viewer) -> ProjectWidget:
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    return widget


def test_scribbles_survive_image_switch_close_and_reopen(make_napari_viewer, tmp_path, two_images):
    viewer = make_napari_viewer()
    widget = docked_widget(viewer)
    widget.new_project(tmp_path / "proj")
    widget.add_images(two_images)
    assert widget.session.image_id == "grey"
    layer = widget.session.scribble_layer
    assert layer.name == "scribbles: grey"
    assert layer.colormap.map(1)[:3] == pytest.approx([0x56 / 255, 0xB4 / 255, 0xE9 / 255], abs=1e-6)

    layer.brush_size = 3
    layer.paint((10, 10), 1)
    layer.paint((30, 40), 2)
    painted = np.asarray(layer.data).copy()
    assert set(np.unique(painted)) == {0, 1, 2}

    widget.select_image("second")
    assert widget.session.image_id == "second"
    assert np.array_equal(Project.open(tmp_path / "proj").load_scribbles("grey"), painted)

    widget.session.scribble_layer.paint((20, 20), 2)
    viewer.close()  # saving on close is the only thing that keeps this stroke

    reopened = make_napari_viewer()
    widget2 = docked_widget(reopened)
    widget2.open_project(tmp_path / "proj")
    widget2.select_image("grey")
    assert np.array_equal(np.asarray(widget2.session.scribble_layer.data), painted)
    widget2.select_image("second")
    assert widget2.session.scribble_layer.data[20, 20] == 2
    assert "scribbled" in widget2.image_list.item(0).text()


def test_autosave_while_painting(make_napari_viewer, qtbot, tmp_path, grey_png):
    viewer = make_napari_viewer()
    widget = docked_widget(viewer)
    widget.new_project(tmp_path / "proj")
    widget.add_images([grey_png])
    widget.session.scribble_layer.paint((5, 5), 2)
    scribble_file = widget.project.scribble_path("grey")
    assert not scribble_file.exists()
    qtbot.waitUntil(scribble_file.exists, timeout=AUTOSAVE_INTERVAL_MS * 3)
    assert Project.open(tmp_path / "proj").load_scribbles("grey")[5, 5] == 2


def test_class_table_edits_recolour_the_layer_and_guard_removal(make_napari_viewer, tmp_path, grey_png):
    viewer = make_napari_viewer()
    widget = docked_widget(viewer)
    widget.new_project(tmp_path / "proj")
    widget.add_images([grey_png])
    editor = widget.class_editor
    editor.add_class("bainite")
    assert editor.table.rowCount() == 3 and editor.table.item(2, 1).text() == "bainite"
    editor.table.item(0, 1).setText("polygonal ferrite")  # as if typed in the cell
    assert widget.project.classes.get(1).name == "polygonal ferrite"
    editor.recolour_class(2, "#000000")
    layer = widget.session.scribble_layer
    assert tuple(layer.colormap.map(2)[:3]) == (0.0, 0.0, 0.0)
    assert list(layer.features["class"]) == ["unlabelled", "polygonal ferrite", "pearlite", "bainite"]

    editor.table.setCurrentCell(2, 1)
    assert layer.selected_label == 3
    layer.paint((5, 5), 3)  # not saved yet: removal must save it first and then refuse
    editor.remove_class(3)
    assert "still used" in editor.last_error and len(widget.project.classes) == 3
    assert Project.open(tmp_path / "proj").classes.names == ["polygonal ferrite", "pearlite", "bainite"]


def test_gui_errors_are_shown_and_keep_the_open_project(make_napari_viewer, tmp_path, grey_png):
    viewer = make_napari_viewer()
    widget = docked_widget(viewer)
    widget.new_project(tmp_path / "proj")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "project.json").write_text("{ nope")
    widget.open_project(broken)
    assert "not valid JSON" in widget.last_error
    assert widget.project.folder == tmp_path / "proj"
    (tmp_path / "text.tif").write_text("not an image")
    widget.add_images([tmp_path / "text.tif"])
    assert "text.tif" in widget.last_error and widget.project.images == []


def test_missing_images_are_listed_on_open(make_napari_viewer, tmp_path, two_images):
    project = Project.create(tmp_path / "proj")
    project.add_images(two_images)
    two_images[1].unlink()
    widget = docked_widget(make_napari_viewer())
    widget.open_project(tmp_path / "proj")
    assert "second.png" in widget.last_error
    assert widget.image_list.item(1).text().endswith("(missing)")


def test_docked_widget_screenshot_is_not_blank(make_napari_viewer, tmp_path, two_images):
    viewer = make_napari_viewer(show=True)
    widget = docked_widget(viewer)
    widget.new_project(tmp_path / "proj")
    widget.add_images(two_images)
    widget.session.scribble_layer.paint((10, 10), 2)
    shot = viewer.screenshot(str(tmp_path / "window.png"), canvas_only=False)
    assert (tmp_path / "window.png").stat().st_size > 10_000
    assert shot.shape[0] > 300 and shot.shape[1] > 500
    grey = shot[..., :3].mean(axis=2)
    assert grey.std() > 10 and len(np.unique(shot[..., :3].reshape(-1, 3), axis=0)) > 50
