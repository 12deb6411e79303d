"""Sliding-window inference: no seams, small images padded, channels matched; forests through the same entry."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from steelseg_gui.core.errors import MicrographError
from steelseg_gui.core.imaging.micrograph import matching_channels
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.nets.bundle import NetModel
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.core.segment.net_segmenter import NetSegmenter


def local_model(channels: int = 1, tile: int = 64) -> NetModel:
    """A net whose scores at a pixel depend on that pixel only (1×1 convolutions)."""
    torch.manual_seed(0)
    network = nn.Sequential(nn.Conv2d(channels, 8, 1), nn.Tanh(), nn.Conv2d(8, 3, 1)).eval()
    classes = ClassTable.from_names(["a", "b", "c"])
    return NetModel(network, "local", classes, channels, [0.5] * channels, [0.25] * channels, tile, {})


def whole_image(model: NetModel, image: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        scores = model.network(torch.from_numpy(model.normalise(image))[None])
    return torch.softmax(scores, 1)[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("shape", [(300, 257), (64, 64), (129, 65)])
def test_blended_windows_equal_one_whole_image_pass(shape):
    image = np.random.default_rng(1).random((*shape, 1), dtype=np.float32)
    model = local_model()
    result = run_job(NetSegmenter(model, batch_size=3, mixed_precision=False).segment(image))
    expected = whole_image(model, image)
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-5)
    np.testing.assert_array_equal(result.labels, np.array([1, 2, 3])[expected.argmax(2)])


def test_images_smaller_than_a_tile_are_padded():
    image = np.random.default_rng(2).random((20, 50, 1), dtype=np.float32)
    result = run_job(NetSegmenter(local_model(tile=64), mixed_precision=False).segment(image))
    assert result.labels.shape == (20, 50)
    np.testing.assert_allclose(result.probabilities, whole_image(local_model(tile=64), image), atol=1e-5)


def test_channels_are_matched_or_refused():
    rgb = np.random.default_rng(3).random((10, 10, 3), dtype=np.float32)
    assert matching_channels(rgb, 1).shape == (10, 10, 1)
    assert matching_channels(rgb[..., :1], 3).shape == (10, 10, 3)
    with pytest.raises(MicrographError, match="4 channels"):
        matching_channels(np.zeros((5, 5, 4), np.float32), 3)
    with pytest.raises(MicrographError, match="at least one pixel"):
        matching_channels(np.zeros((0, 5, 1), np.float32), 1)


def test_a_saved_forest_segments_through_the_same_entry(tmp_path):
    from steelseg_gui.core.forest.bundle import save_forest
    from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
    from steelseg_gui.core.imaging.micrograph import to_float01
    from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
    from tests.conftest import small_synthetic

    synth = small_synthetic(4)
    image = to_float01(synth.image)
    forest = run_job(
        train_forest([ScribbledImage("s", image, simulate_scribbles(synth.mask, 0.02))], ClassTable.default(), trees=10)
    )
    save_forest(forest, tmp_path / "forest")
    result = run_job(load_segmenter(tmp_path / "forest").segment(image))
    assert result.labels.shape == synth.mask.shape
    assert np.mean(result.labels == synth.mask) > 0.85
