"""Training a forest on scribbles and propagating it: accuracy, fast vs exact, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest

from steelseg_gui.core.errors import LabelImageError, MicrographError
from steelseg_gui.core.forest.features import FeatureSpec
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, ScribbleError, train_forest
from steelseg_gui.core.forest.tree_eval import LEAF
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import Progress, run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic

TREES = 30


@pytest.fixture(scope="module")
def synthetic():
    """Two small synthetic ferrite-pearlite micrographs with their masks and simulated scribbles."""
    out = []
    for seed in (1, 2):
        synth = small_synthetic(seed, 240, 180)
        scribbles = simulate_scribbles(synth.mask, coverage=0.02, seed=seed)
        out.append((to_float01(synth.image), synth.mask, scribbles))
    return out


@pytest.fixture(scope="module")
def forest(synthetic):
    image, _, scribbles = synthetic[0]
    return run_job(train_forest([ScribbledImage("a", image, scribbles)], ClassTable.default(), trees=TREES))


def test_forest_propagates_scribbles_to_the_whole_image(synthetic, forest):
    image, mask, _ = synthetic[0]
    result = run_job(forest.predict(image))
    assert result.labels.shape == mask.shape and result.labels.dtype == np.uint8
    assert set(np.unique(result.labels)) <= {1, 2}
    assert np.mean(result.labels == mask) > 0.9
    np.testing.assert_allclose(result.probabilities.sum(axis=2), 1.0, atol=1e-5)
    assert result.uncertainty.min() >= 0.0 and result.uncertainty.max() <= 0.5


def test_forest_generalises_to_another_image(synthetic, forest):
    image, mask, _ = synthetic[1]
    assert np.mean(run_job(forest.predict(image)).labels == mask) > 0.85


def test_fast_path_agrees_with_exact_path(synthetic, forest):
    image = synthetic[1][0]
    fast = run_job(forest.predict(image))
    exact = run_job(forest.predict(image, exact=True))
    assert exact.refined_fraction == 1.0 and fast.refined_fraction < 0.8
    assert np.mean(fast.labels == exact.labels) >= 0.995
    refined_exactly = fast.uncertainty == exact.uncertainty
    assert refined_exactly.mean() > 0.05  # the refined pixels are bit-identical to the exact path


def test_training_is_seeded_and_reports_progress(synthetic):
    image, _, scribbles = synthetic[0]
    item = ScribbledImage("a", image, scribbles)
    reports = []
    first = run_job(train_forest([item], ClassTable.default(), trees=TREES, seed=7), reports.append)
    second = run_job(train_forest([item], ClassTable.default(), trees=TREES, seed=7))
    assert all(isinstance(r, Progress) for r in reports) and reports[-1].fraction == 1.0
    np.testing.assert_array_equal(
        run_job(first.predict(image)).probabilities, run_job(second.predict(image)).probabilities
    )
    assert first.summary["trees"] == TREES and first.summary["seed"] == 7
    assert first.summary["data_fingerprint"] == second.summary["data_fingerprint"]


def test_training_from_several_images_caps_samples_per_class(synthetic):
    items = [ScribbledImage(f"i{k}", image, scribbles) for k, (image, _, scribbles) in enumerate(synthetic)]
    forest = run_job(train_forest(items, ClassTable.default(), trees=10, samples_per_class=100))
    assert forest.summary["samples_per_class"] == {"ferrite": 200, "pearlite": 200}
    assert forest.summary["images"] == ["i0", "i1"]


def test_grey_images_use_the_grey_bank(synthetic):
    image, mask, scribbles = synthetic[0]
    grey = image.mean(axis=2, keepdims=True)
    spec = FeatureSpec(sigmas=(1, 2, 4))
    forest = run_job(train_forest([ScribbledImage("g", grey, scribbles)], ClassTable.default(), spec, trees=10))
    assert forest.channels == 1 and forest.flat.feature[forest.flat.feature != LEAF].max() < spec.count(1)
    assert np.mean(run_job(forest.predict(grey)).labels == mask) > 0.85


def _train(image, scribbles, **kwargs):
    return run_job(train_forest([ScribbledImage("img", image, scribbles)], ClassTable.default(), trees=5, **kwargs))


def test_scribbles_of_one_class_are_refused(synthetic):
    image, _, scribbles = synthetic[0]
    with pytest.raises(ScribbleError, match="all scribbles are 'pearlite'; paint at least two phases"):
        _train(image, np.where(scribbles == 2, 2, 0).astype(np.uint8))


def test_no_scribbles_are_refused(synthetic):
    image = synthetic[0][0]
    with pytest.raises(ScribbleError, match="scribbles are empty"):
        _train(image, np.zeros(image.shape[:2], np.uint8))
    with pytest.raises(ScribbleError, match="no scribbled images"):
        run_job(train_forest([], ClassTable.default()))


def test_scribbles_of_another_shape_are_refused(synthetic):
    image, _, scribbles = synthetic[0]
    with pytest.raises(ScribbleError, match=r"img: scribbles are 239×180 px but the image is 240×180 px"):
        _train(image, scribbles[:, :-1])
    assert issubclass(ScribbleError, LabelImageError)


def test_scribble_values_outside_the_class_table_are_refused(synthetic):
    image, _, scribbles = synthetic[0]
    with pytest.raises(ScribbleError, match=r"label values \[5\]"):
        _train(image, np.where(scribbles == 2, 5, scribbles).astype(np.uint8))


def test_mixed_channel_counts_are_refused(synthetic):
    (image, _, scribbles), (other, _, other_scribbles) = synthetic
    items = [ScribbledImage("rgb", image, scribbles), ScribbledImage("grey", other[..., :1], other_scribbles)]
    with pytest.raises(MicrographError, match="grey: has 1 channel"):
        run_job(train_forest(items, ClassTable.default(), trees=5))


def test_predicting_an_image_with_another_channel_count_is_refused(synthetic, forest):
    with pytest.raises(MicrographError, match="grey.png: has 1 channel.*trained on 3-channel images"):
        run_job(forest.predict(synthetic[0][0][..., :1], "grey.png"))
