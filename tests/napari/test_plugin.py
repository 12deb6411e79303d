"""The npe2 plugin: manifest, dock widget from the Plugins menu, reader, sample data."""

from __future__ import annotations

import numpy as np
import pytest
from npe2 import PluginManager

from napari_steelseg._reader import get_reader
from steelseg_gui.core.project.folder import Project
from steelseg_gui.qt.project_widget import ProjectWidget


def test_manifest_is_discovered():
    manager = PluginManager.instance()
    manager.discover()
    manifest = manager.get_manifest("steelseg")
    assert manifest.display_name == "SteelSeg"
    assert {w.display_name for w in manifest.contributions.widgets} == {"Project"}
    assert len(manifest.contributions.sample_data) == 7


def test_dock_widget_from_plugin(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("steelseg", "Project")
    assert isinstance(widget, ProjectWidget)


def test_reader_opens_micrograph_with_pixel_size(make_napari_viewer, tmp_path):
    import tifffile

    tifffile.imwrite(
        tmp_path / "cal.tif",
        np.zeros((30, 40), np.uint8),
        imagej=True,
        resolution=(2.0, 2.0),
        metadata={"unit": "micron"},
    )
    viewer = make_napari_viewer()
    layers = viewer.open(str(tmp_path / "cal.tif"), plugin="steelseg")
    assert layers[0].data.shape == (30, 40)
    assert tuple(layers[0].scale) == pytest.approx((0.5, 0.5))
    assert get_reader(str(tmp_path / "notes.txt")) is None


def test_reader_opens_project_in_panel(make_napari_viewer, tmp_path, grey_png):
    project = Project.create(tmp_path / "proj")
    project.add_images([grey_png])
    viewer = make_napari_viewer()
    viewer.open(str(tmp_path / "proj"), plugin="steelseg")
    widget = next(w for w in viewer.window.dock_widgets.values() if isinstance(w, ProjectWidget))
    assert widget.project.name == "proj" and widget.image_list.count() == 1


def test_sample_data(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample("steelseg", "uhcs0006")
    image, mask = viewer.layers
    assert image.data.shape == (484, 645) and set(np.unique(mask.data)) <= {1, 2, 3, 4}
    viewer.open_sample("steelseg", "sae1045_n1")
    assert viewer.layers[-1].rgb and viewer.layers[-1].data.shape == (256, 256, 3)
