"""The filter bank: spec validation, shapes, strip consistency and texture discrimination."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steelseg_gui.core.forest import features as features_module
from steelseg_gui.core.forest.features import FeatureSpec, FeatureSpecError, feature_strips, features_at


def dense_features(image: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """All features ``(H, W, F)`` of a (small) image; the same values as :func:`feature_strips`."""
    height, width = image.shape[:2]
    out = np.empty((height, width, spec.count(image.shape[2])), np.float32)
    for strip in feature_strips(image, spec):
        rows, cols = np.mgrid[strip.start : strip.stop, 0:width]
        out[strip.start : strip.stop] = strip.sample(rows.ravel(), cols.ravel()).reshape(
            strip.stop - strip.start, width, -1
        )
    return out


def _noise(shape, seed=0, channels=1):
    rng = np.random.default_rng(seed)
    return rng.random((*shape, channels), dtype=np.float32)


def test_spec_round_trips_through_json():
    spec = FeatureSpec(sigmas=(1, 3), families=("intensity", "structure"), membrane_orientations=4)
    assert FeatureSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"families": ("intensity", "wavelets")}, "unknown feature families ['wavelets']"),
        ({"families": ()}, "chooses no feature family"),
        ({"sigmas": (4, 2)}, "increasing"),
        ({"sigmas": (0,)}, "within (0, 64]"),
    ],
)
def test_bad_specs_are_rejected(kwargs, words):
    with pytest.raises(
        FeatureSpecError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")
    ):
        FeatureSpec(**kwargs)


def test_malformed_json_spec_is_a_clear_error():
    with pytest.raises(FeatureSpecError, match="malformed feature specification"):
        FeatureSpec.from_json({"sigmas": [1]})


@pytest.mark.parametrize("channels, count", [(1, 49), (3, 64)])
def test_default_bank_sizes_and_dtype(channels, count):
    spec = FeatureSpec()
    image = _noise((40, 56), channels=channels)
    dense = dense_features(image, spec)
    assert spec.count(channels) == count == len(set(spec.feature_names(channels)))
    assert dense.shape == (40, 56, count) and dense.dtype == np.float32
    assert np.isfinite(dense).all()


def test_features_at_equals_dense_features():
    image = _noise((70, 90), seed=1)
    spec = FeatureSpec()
    dense = dense_features(image, spec)
    rng = np.random.default_rng(2)
    rows, cols = rng.integers(0, 70, 300), rng.integers(0, 90, 300)
    np.testing.assert_array_equal(features_at(image, spec, rows, cols), dense[rows, cols])


def test_strips_agree_with_a_single_strip(monkeypatch):
    """The halo makes strip borders invisible: 3 strips give the values of one whole-image strip."""
    image = _noise((200, 48), seed=3)
    spec = FeatureSpec(sigmas=(1, 2, 4))
    monkeypatch.setattr(features_module, "STRIP_ROWS", 64)
    in_strips = dense_features(image, spec)
    monkeypatch.setattr(features_module, "STRIP_ROWS", 1024)
    whole = dense_features(image, spec)
    np.testing.assert_allclose(in_strips, whole, atol=2e-4)


def test_structure_coherence_separates_lamellae_from_noise():
    """Coherence (an eigenvalue ratio of the structure tensor) is high on parallel lamellae."""
    rows, cols = np.mgrid[0:64, 0:128]
    lamellae = 0.5 + 0.4 * np.sin(2 * np.pi * (rows + cols) / 6.0)
    noise = _noise((64, 128), seed=4)[..., 0]
    image = np.concatenate([lamellae, noise], axis=1).astype(np.float32)[..., None]
    spec = FeatureSpec(sigmas=(1, 2))
    column = spec.feature_names(1).index("coherence_1")
    coherence = dense_features(image, spec)[..., column]
    assert coherence[16:48, 16:112].mean() > 0.8
    assert coherence[16:48, 144:240].mean() < 0.5


def test_gaussian_feature_is_a_blur_of_the_image():
    image = _noise((64, 64), seed=5)
    spec = FeatureSpec(sigmas=(1, 2), families=("intensity",))
    dense = dense_features(image, spec)
    names = spec.feature_names(1)
    np.testing.assert_array_equal(dense[..., names.index("raw")], image[..., 0])
    blurred = dense[..., names.index("gauss_2")]
    assert blurred.std() < 0.5 * image.std()
    assert abs(blurred.mean() - image.mean()) < 0.01
