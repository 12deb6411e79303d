"""``steelseg-gui``: a napari viewer with the SteelSeg dock widget already docked."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="steelseg-gui", description="Open napari with the SteelSeg panel.")
    parser.add_argument("project", nargs="?", help="project folder to open")
    args = parser.parse_args(argv)

    import napari

    from steelseg_gui.qt.project_widget import ProjectWidget

    viewer = napari.Viewer(title="SteelSeg")
    widget = ProjectWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SteelSeg", area="right")
    if args.project:
        widget.open_project(args.project)
    napari.run()
    return 0
