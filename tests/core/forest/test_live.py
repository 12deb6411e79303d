"""Live preview: retraining on a session's strokes and predicting a view like the whole image."""

from __future__ import annotations

import numpy as np

from steelseg_gui.core.forest.live import LivePreview
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


def test_a_view_gets_the_labels_of_the_whole_image_there():
    synth = small_synthetic(2, 400, 300)
    image = to_float01(synth.image)
    live = LivePreview(ClassTable.default(), trees=10)
    live.set_scribbles("a", image, simulate_scribbles(synth.mask, 0.03))
    forest = run_job(live.retrain())
    whole = run_job(forest.predict(image, exact=True)).labels
    view = run_job(live.predict_view("a", image, 100, 150, 120, 200, step=2))
    labels = view.prediction.labels
    assert labels.shape == (60, 100) and (view.top, view.left, view.step) == (100, 150, 2)
    assert np.mean(labels == whole[100:220:2, 150:350:2]) > 0.99


def test_strokes_change_the_forest_only_after_retrain():
    synth = small_synthetic(3, 200, 150)
    image = to_float01(synth.image)
    live = LivePreview(ClassTable.default(), trees=5)
    scribbles = simulate_scribbles(synth.mask, 0.03)
    live.set_scribbles("a", image, scribbles)
    first = run_job(live.retrain())
    scribbles[:] = 0  # the caller's array changes; the session kept its own copy
    assert live.forest is first
    second = run_job(live.retrain())
    assert second.summary["samples_per_class"] == first.summary["samples_per_class"]
