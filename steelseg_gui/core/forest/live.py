"""Live preview while a person paints: retrain the forest on the latest strokes and predict the
part of the image on screen.

:class:`LivePreview` keeps the scribbled images of a session. The GUI thread hands it strokes with
:meth:`LivePreview.set_scribbles` (cheap: the arrays are copied, nothing is computed); a worker
runs :meth:`LivePreview.retrain` and :meth:`LivePreview.predict_view`, both jobs. A view is a
rectangle of image pixels, predicted every ``step`` pixels (``step`` > 1 when zoomed out), so the
work follows what the person sees, not the size of the image.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from steelseg_gui.core.forest.features import FeatureSpec
from steelseg_gui.core.forest.pixel_forest import PixelForest, ScribbledImage, train_forest
from steelseg_gui.core.forest.settings import LIVE_TREES
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.project.classes import ClassTable


@dataclass
class ViewPrediction:
    """The forest's answer for a view: ``prediction`` covers image rows ``top, top + step, ...`` and
    columns ``left, left + step, ...`` (its arrays are ``(h, w)`` / ``(h, w, K)``)."""

    image_id: str
    prediction: Prediction
    top: int
    left: int
    step: int


class LivePreview:
    """The scribbles of a painting session, the forest trained on them, and predictions of views.

    Training features of an image are cached and recomputed only when its scribbles change. Safe to
    call :meth:`set_scribbles` from the GUI thread while a job runs in a worker.
    """

    def __init__(self, classes: ClassTable, trees: int = LIVE_TREES, spec: FeatureSpec | None = None, seed: int = 0):
        self.classes = classes
        self.trees = trees
        self.spec = spec or FeatureSpec()
        self.seed = seed
        self.forest: PixelForest | None = None
        self._items: dict[str, ScribbledImage] = {}
        self._cache: dict = {}
        self._lock = threading.Lock()

    def set_scribbles(self, image_id: str, image: np.ndarray, scribbles: np.ndarray) -> None:
        """Record the strokes of one image (``image`` float32 ``(H, W, C)`` in [0, 1], ``scribbles`` ``(H, W)``)."""
        with self._lock:
            self._items[image_id] = ScribbledImage(image_id, image, np.array(scribbles, copy=True))

    def forget(self, image_id: str) -> None:
        with self._lock:
            self._items.pop(image_id, None)

    def retrain(self) -> Job[PixelForest]:
        """Train on every image with strokes (a job); the result also becomes :attr:`forest`."""
        with self._lock:
            items = [item for item in self._items.values() if np.any(item.scribbles)]
        forest = yield from train_forest(items, self.classes, self.spec, self.trees, self.seed, cache=self._cache)
        self.forest = forest
        return forest

    def predict_view(
        self, image_id: str, image: np.ndarray, top: int, left: int, height: int, width: int, step: int = 1
    ) -> Job[ViewPrediction]:
        """Predict rows ``top..top+height`` and columns ``left..left+width`` of ``image`` every ``step`` px (a job).

        The features are computed on the view plus the filter bank's halo, so the pixels of the
        view get the same values as in a prediction of the whole image.
        """
        forest = self.forest
        if forest is None:
            raise RuntimeError("retrain() before predict_view()")
        full_height, full_width = image.shape[:2]
        top, left = max(0, top), max(0, left)
        bottom, right = min(full_height, top + height), min(full_width, left + width)
        halo = self.spec.halo_px
        r0, c0 = max(0, top - halo), max(0, left - halo)
        crop = image[r0 : min(full_height, bottom + halo), c0 : min(full_width, right + halo)]
        yield Progress(0, 1, f"{image_id}: previewing {right - left}×{bottom - top} px")
        whole = yield from forest.predict(crop, image_id)
        rows = slice(top - r0, bottom - r0, step)
        cols = slice(left - c0, right - c0, step)
        prediction = Prediction(
            whole.labels[rows, cols], whole.probabilities[rows, cols], whole.class_values, whole.refined_fraction
        )
        return ViewPrediction(image_id, prediction, top, left, step)
