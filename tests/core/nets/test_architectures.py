"""The network registry: parameter counts of the seed paper's nets, every name builds and runs,
encoder weights from a local file, clear errors for unknown names and foreign files."""

from __future__ import annotations

import pytest
import torch

from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.nets.architectures import (
    ArchitectureError,
    build_network,
    load_encoder_weights,
    parameter_count,
    read_state_dict,
)
from steelseg_gui.core.nets.settings import architecture_names


def test_paper_unet_has_the_published_parameter_count():
    assert parameter_count(build_network("unet", 3, 2)) == 7_697_410


def test_segnet_vgg16_is_within_three_percent_of_the_published_count():
    count = parameter_count(build_network("segnet-vgg16", 3, 2))
    assert abs(count - 29_444_166) / 29_444_166 < 0.03


@pytest.mark.parametrize("name", architecture_names() + ["fpn-resnet18", "unet-mobilenetv2"])
def test_every_name_builds_and_maps_a_64px_batch_to_class_scores(name):
    torch.manual_seed(0)
    network = build_network(name, 1, 3).eval()
    with torch.inference_mode():
        scores = network(torch.rand(2, 1, 64, 64))
    assert scores.shape == (2, 3, 64, 64)
    assert torch.isfinite(scores).all()


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ArchitectureError) as error:
        build_network("resnet-unet", 3, 2)
    message = str(error.value)
    for name in architecture_names():
        assert name in message


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_encoder_weights_from_a_local_file_fill_the_encoder(tmp_path, suffix):
    torch.manual_seed(1)
    source = build_network("deeplabv3plus-resnet18", 3, 2)
    path = tmp_path / f"resnet18{suffix}"
    state = {f"encoder.{k}": v for k, v in source.encoder.state_dict().items()}
    if suffix == ".pt":
        torch.save(state, path)
    else:
        from safetensors.torch import save_file

        save_file(state, str(path))
    torch.manual_seed(2)
    target = build_network("deeplabv3plus-resnet18", 3, 2)
    loaded = load_encoder_weights(target, path)
    assert loaded == len(source.encoder.state_dict())
    for key, value in source.encoder.state_dict().items():
        assert torch.equal(value, target.encoder.state_dict()[key])


def test_a_weights_file_that_is_not_a_state_dict_is_refused(tmp_path):
    not_dict = tmp_path / "list.pt"
    torch.save([torch.zeros(3)], not_dict)
    with pytest.raises(ModelError, match="not a state dict"):
        read_state_dict(not_dict)
    text = tmp_path / "notes.pt"
    text.write_text("these are not weights")
    with pytest.raises(ModelError, match="not a weights file"):
        read_state_dict(text)


def test_weights_of_another_encoder_are_refused(tmp_path):
    path = tmp_path / "mobilenet.pt"
    torch.save(build_network("deeplabv3plus-mobilenetv2", 3, 2).encoder.state_dict(), path)
    with pytest.raises(ModelError, match="none of its"):
        load_encoder_weights(build_network("deeplabv3plus-resnet18", 3, 2), path)
