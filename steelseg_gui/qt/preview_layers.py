"""The forest's answer on the current image as napari layers: labels, class probabilities, uncertainty."""

from __future__ import annotations

import numpy as np

from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.qt.scribble_session import class_colormap, class_features, style_labels_layer

PREVIEW_OPACITY = 0.55


class PreviewLayers:
    """A "preview" Labels layer and hidden probability / uncertainty Image layers for one image.

    The layers are created empty when an image is shown (adding a napari layer takes a few
    hundred milliseconds of the GUI thread), and results only replace their data, so showing
    a preview never stalls painting. They lie under the scribble layer and never become the
    active layer, so strokes keep going into the scribbles.
    """

    def __init__(self, viewer):
        self.viewer = viewer
        self.labels = None
        self.images: dict[str, object] = {}

    def prepare(self, image_layer, scribble_layer, classes: ClassTable, image_id: str) -> None:
        """Create empty preview layers matching ``image_layer`` (replacing any previous ones)."""
        self.clear()
        active = self.viewer.layers.selection.active
        shape, scale = image_layer.data.shape[:2], image_layer.scale[-2:]
        self.labels = self.viewer.add_labels(
            np.zeros(shape, np.uint8),
            name=f"preview: {image_id}",
            scale=scale,
            opacity=PREVIEW_OPACITY,
            colormap=class_colormap(classes),
            features=class_features(classes),
        )
        for name in [f"P({phase.name})" for phase in classes] + ["uncertainty"]:
            self.images[name] = self.viewer.add_image(
                np.zeros(shape, np.float32),
                name=name,
                scale=scale,
                colormap="magma",
                contrast_limits=(0.0, 1.0),
                visible=False,
            )
        self._keep_under(scribble_layer)
        if active is not None and active in self.viewer.layers:
            self.viewer.layers.selection.active = active

    def show(self, result: Prediction, classes: ClassTable) -> bool:
        """Put a propagation result into the prepared layers; False when they do not fit it."""
        if (
            self.labels is None
            or self.labels not in self.viewer.layers
            or self.labels.data.shape != result.labels.shape
        ):
            return False
        self.labels.data = result.labels
        for position, value in enumerate(result.class_values):
            layer = self.images.get(f"P({classes.name_of(int(value))})")
            if layer is not None:
                layer.data = result.probabilities[..., position]
        self.images["uncertainty"].data = result.uncertainty
        return True

    def restyle(self, classes: ClassTable) -> None:
        if self.labels is not None and self.labels in self.viewer.layers:
            style_labels_layer(self.labels, classes)

    def clear(self) -> None:
        for layer in [self.labels, *self.images.values()]:
            if layer is not None and layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self.labels = None
        self.images = {}

    def _keep_under(self, scribble_layer) -> None:
        if scribble_layer is None or scribble_layer not in self.viewer.layers:
            return
        for layer in [*self.images.values(), self.labels]:
            here = self.viewer.layers.index(layer)
            target = self.viewer.layers.index(scribble_layer)
            if here > target:
                self.viewer.layers.move(here, target)
