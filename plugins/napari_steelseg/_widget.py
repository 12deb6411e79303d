"""Widget factories for napari's Plugins menu."""

from __future__ import annotations

import napari

from steelseg_gui.qt.project_widget import ProjectWidget


def make_project_widget(viewer: napari.viewer.Viewer) -> ProjectWidget:
    """The SteelSeg "Project" panel for ``viewer``."""
    return ProjectWidget(viewer)
