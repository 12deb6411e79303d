"""Net bundles: round trip, validation on load, `models info`, ONNX export that runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from steelseg_gui.core.bundle import CONFIG_FILE, describe_model
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.nets.architectures import build_network
from steelseg_gui.core.nets.bundle import WEIGHTS_FILE, load_net, net_config, save_net
from steelseg_gui.core.nets.onnx_export import TravellingNet, export_onnx
from steelseg_gui.core.project.classes import ClassTable


@pytest.fixture
def bundle(tmp_path):
    torch.manual_seed(0)
    network = build_network("deeplabv3plus-mobilenetv2", 1, 2).eval()
    config = net_config(
        "deeplabv3plus-mobilenetv2",
        ClassTable.default(),
        1,
        [0.4],
        [0.2],
        64,
        {"epochs": 1},
        {"val_mean_iou": 0.5},
        pixel_size_um=0.5,
        data_fingerprint="abc",
    )
    return save_net(network, config, tmp_path / "model"), network


def test_saved_net_loads_with_identical_outputs(bundle):
    folder, network = bundle
    model = load_net(folder)
    x = torch.rand(2, 1, 64, 64)
    with torch.inference_mode():
        assert torch.equal(model.network(x), network(x))
    assert model.classes.names == ["ferrite", "pearlite"] and model.tile == 64 and model.mean == [0.4]
    config = json.loads((folder / CONFIG_FILE).read_text())
    assert {"torch", "segmentation-models-pytorch", "steelseg"} <= set(config["versions"])


def test_models_info_describes_the_bundle(bundle):
    text = "\n".join(describe_model(bundle[0]))
    assert "deeplabv3plus-mobilenetv2" in text and "1 ferrite, 2 pearlite" in text and "val_mean_iou 0.5000" in text


def test_damaged_or_inconsistent_bundles_are_refused(bundle):
    folder, _ = bundle
    config = json.loads((folder / CONFIG_FILE).read_text())
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "architecture": "unet"}))
    with pytest.raises(ModelError, match="do not fit"):
        load_net(folder)
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "architecture": "nonsense-net"}))
    with pytest.raises(ModelError, match="unknown network"):
        load_net(folder)
    (folder / CONFIG_FILE).write_text(json.dumps(config))
    (folder / WEIGHTS_FILE).write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="safetensors"):
        load_net(folder)
    (folder / CONFIG_FILE).write_text(json.dumps({**config, "kind": "random-forest"}))
    with pytest.raises(ModelError, match="not a deep net"):
        load_net(folder)


@pytest.mark.parametrize("shape", [(64, 64), (96, 128), (37, 101)])
def test_onnx_export_runs_with_the_same_scores_at_any_size(bundle, tmp_path, shape):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = load_net(bundle[0])
    path = export_onnx(model, tmp_path / "model.onnx")
    x = np.random.default_rng(0).random((1, 1, *shape), dtype=np.float32)  # [0, 1]: normalised in the graph
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(None, {"image": x})
    with torch.inference_mode():
        expected = TravellingNet(model)(torch.from_numpy(x)).numpy()
        if shape[0] % 32 == 0 and shape[1] % 32 == 0:  # no padding needed: the plain net on the normalised image
            np.testing.assert_allclose(expected, model.network(torch.from_numpy((x - 0.4) / 0.2)).numpy(), atol=1e-4)
    assert scores.shape == (1, 2, *shape)
    np.testing.assert_allclose(scores, expected, atol=1e-4)
