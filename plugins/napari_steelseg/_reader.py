"""napari reader: micrograph files become image layers; a project folder opens in the SteelSeg panel."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.imaging.micrograph import is_micrograph_file, read_micrograph
from steelseg_gui.core.project.folder import PROJECT_FILE


def get_reader(path):
    """Return a reader for a micrograph file or a SteelSeg project folder, else ``None``."""
    if isinstance(path, list):
        return get_reader(path[0]) if len(path) == 1 else None
    path = Path(path)
    if path.is_dir() and (path / PROJECT_FILE).exists():
        return read_project
    if path.is_file() and is_micrograph_file(path):
        return read_micrograph_layers
    return None


def read_micrograph_layers(path) -> list[tuple]:
    """One image layer, with the pixel size (µm/px) as scale when the file states it."""
    micrograph = read_micrograph(path)
    kwargs = {
        "name": micrograph.path.stem,
        "rgb": micrograph.channels == 3,
        "metadata": {"pixel_size_um": micrograph.pixel_size_um, "notes": micrograph.notes},
    }
    if micrograph.pixel_size_um:
        kwargs["scale"] = (micrograph.pixel_size_um, micrograph.pixel_size_um)
        kwargs["units"] = ("µm", "µm")
    return [(micrograph.data, kwargs, "image")]


def read_project(path) -> list[tuple]:
    """Open the project in the SteelSeg panel of the current viewer (docking it if needed)."""
    import napari

    viewer = napari.current_viewer()
    if viewer is None:
        raise SteelSegError(f"{path}: a SteelSeg project can only be opened in a napari viewer")
    _, widget = viewer.window.add_plugin_dock_widget("steelseg", "Project")
    widget.open_project(path)
    return [(None,)]
