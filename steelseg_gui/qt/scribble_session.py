"""Shows one project image with its scribble Labels layer, and keeps the scribbles saved.

Scribbles are written to the project when the image changes, when the layer is removed,
when the napari window closes, and every few seconds while the person paints, so that
nothing painted is lost.
"""

from __future__ import annotations

import numpy as np
from napari.utils.colormaps import DirectLabelColormap
from qtpy.QtCore import QEvent, QObject, QTimer, Signal

from steelseg_gui.core.imaging.micrograph import read_micrograph
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project

AUTOSAVE_INTERVAL_MS = 3000
TRANSPARENT = (0.0, 0.0, 0.0, 0.0)


def class_colormap(classes: ClassTable) -> DirectLabelColormap:
    """A napari colormap giving each class value its project colour; 0 is transparent."""
    colors = {None: TRANSPARENT, 0: TRANSPARENT}
    colors.update({phase.value: phase.rgba() for phase in classes})
    return DirectLabelColormap(color_dict=colors)


def class_features(classes: ClassTable) -> dict[str, list]:
    """Labels-layer features so napari's status bar names the class under the cursor."""
    return {"index": [0, *classes.values], "class": ["unlabelled", *classes.names]}


def style_labels_layer(layer, classes: ClassTable) -> None:
    """Make a Labels layer follow the class table's colours and names."""
    layer.colormap = class_colormap(classes)
    layer.features = class_features(classes)


class ScribbleSession(QObject):
    """The current image and scribble layers of a project in a napari viewer.

    ``window_closing`` is emitted when the napari window is about to close (after saving).
    """

    window_closing = Signal()

    def __init__(self, viewer, project: Project, window: QObject, parent: QObject | None = None):
        """``window`` is the top-level window whose closing must save the scribbles."""
        super().__init__(parent)
        self.window = window
        self.viewer = viewer
        self.project = project
        self.image_id: str | None = None
        self.image_layer = None
        self.scribble_layer = None
        self.dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOSAVE_INTERVAL_MS)
        self._timer.timeout.connect(self._on_autosave_timer)
        self._timer.start()
        viewer.layers.events.removing.connect(self._on_layer_removing)
        window.installEventFilter(self)

    def show_image(self, image_id: str) -> None:
        """Save the current scribbles, then show ``image_id`` with its saved scribbles."""
        self.save()
        entry = self.project.entry(image_id)
        micrograph = read_micrograph(self.project.image_path(entry))
        scribbles = self.project.load_scribbles(image_id)
        if scribbles is None:
            scribbles = np.zeros(entry.shape, dtype=np.uint8)
        self._remove_layers()
        self.image_id = image_id
        self.image_layer = self.viewer.add_image(micrograph.data, name=f"{image_id}", rgb=micrograph.channels == 3)
        self.scribble_layer = self.viewer.add_labels(scribbles, name=f"scribbles: {image_id}")
        style_labels_layer(self.scribble_layer, self.project.classes)
        self.scribble_layer.selected_label = self.project.classes.values[0] if len(self.project.classes) else 1
        self.scribble_layer.mode = "paint"
        self.scribble_layer.events.paint.connect(self._on_paint)
        self.scribble_layer.events.data.connect(self._on_paint)
        self.dirty = False
        self.viewer.reset_view()

    def restyle(self) -> None:
        """Apply a changed class table to the scribble layer."""
        if self.scribble_layer is not None:
            style_labels_layer(self.scribble_layer, self.project.classes)

    def save(self) -> bool:
        """Write unsaved scribbles to the project; True when something was written."""
        if not self.dirty or self.scribble_layer is None or self.image_id is None:
            return False
        self.project.save_scribbles(self.image_id, np.asarray(self.scribble_layer.data))
        self.dirty = False
        return True

    def close(self) -> None:
        """Save and detach from the viewer (the layers stay)."""
        self.save()
        self._timer.stop()
        self.viewer.layers.events.removing.disconnect(self._on_layer_removing)
        self.window.removeEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Close:
            self.save()
            self.window_closing.emit()
        return False

    def _remove_layers(self) -> None:
        for layer in (self.scribble_layer, self.image_layer):
            if layer is not None and layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self.image_layer = self.scribble_layer = None

    def _on_paint(self, event=None) -> None:
        self.dirty = True

    def _on_autosave_timer(self) -> None:
        self.save()

    def _on_layer_removing(self, event) -> None:
        if self.scribble_layer is not None and self.viewer.layers[event.index] is self.scribble_layer:
            self.save()
            self.scribble_layer = None
