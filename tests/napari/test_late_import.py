"""The plugin used as napari users use it: a plain viewer first, its OpenGL canvas alive, then the
SteelSeg dock, then a net. Each scenario runs in its own interpreter, because the failure this
guards against (triton's LLVM against Mesa's, see steelseg_gui.process_guard) is a segmentation
fault that would take pytest down with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from steelseg_gui.core.imaging.labels import write_png
from steelseg_gui.core.project.folder import Project
from tests.conftest import small_synthetic

SCENARIO = textwrap.dedent(
    """
    import sys, time
    import napari
    from qtpy.QtWidgets import QApplication, QPushButton

    viewer = napari.Viewer()
    viewer.window._qt_window.show()
    app = QApplication.instance()
    for _ in range(20):                       # the canvas draws: Mesa's libLLVM is loaded now
        app.processEvents()
        time.sleep(0.02)
    assert "torch" not in sys.modules

    _, dock = viewer.window.add_plugin_dock_widget("steelseg", "Project")
    dock.open_project(sys.argv[1])
    dock.select_image(dock.project.images[0].id)
    assert "torch" not in sys.modules, "docking imported torch"

    button = next(b for b in dock.findChildren(QPushButton) if b.text() == "Segment image")
    button.click()                            # the default net runs in a worker thread
    deadline = time.monotonic() + 240
    while dock.review.runner.running and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    assert dock.review.last_error is None, dock.review.last_error
    mask = dock.review.mask_layer
    assert mask is not None and set(map(int, mask.data.ravel()[::97])) <= {1, 2}
    print("SEGMENTED", mask.data.shape)
    viewer.close()
    """
)


def test_docking_into_a_plain_viewer_then_running_a_net(tmp_path):
    project = Project.create(tmp_path / "project")
    project.add_images([write_png(tmp_path / "field.png", small_synthetic(4, 240, 200).image)])
    run = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(project.folder)], capture_output=True, text=True, timeout=400
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    assert "SEGMENTED (200, 240)" in run.stdout
