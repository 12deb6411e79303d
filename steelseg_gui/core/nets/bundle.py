"""Saved nets: a model folder with ``config.json`` and ``weights.safetensors``.

safetensors holds tensors only, so loading a bundle cannot run code. The network is rebuilt
from the architecture name in ``config.json`` and its weights must match it exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from steelseg_gui.core.bundle import CONFIG_FILE, NET_KIND, bundle_header, read_model_config, write_bundle
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.nets.architectures import ArchitectureError, build_network
from steelseg_gui.core.project.classes import ClassTable

WEIGHTS_FILE = "weights.safetensors"


@dataclass
class NetModel:
    """A loaded net and what it needs to segment: classes, input channels, normalisation, tile size (px)."""

    network: nn.Module
    architecture: str
    classes: ClassTable
    channels: int
    mean: list[float]
    std: list[float]
    tile: int
    config: dict

    def normalise(self, image: np.ndarray) -> np.ndarray:
        """``(H, W, C)`` float [0, 1] → ``(C, H, W)`` float32 normalised as in training."""
        x = (np.asarray(image, np.float32) - np.float32(self.mean)) / np.float32(self.std)
        return np.ascontiguousarray(x.transpose(2, 0, 1))


def net_config(
    architecture: str,
    classes: ClassTable,
    channels: int,
    mean: list[float],
    std: list[float],
    tile: int,
    training: dict,
    metrics: dict,
    pixel_size_um: float | None = None,
    data_fingerprint: str | None = None,
) -> dict:
    """The ``config.json`` document of a net."""
    import segmentation_models_pytorch as smp

    header = bundle_header(NET_KIND, {"torch": torch.__version__, "segmentation-models-pytorch": smp.__version__})
    return {
        **header,
        "architecture": architecture,
        "classes": classes.to_json(),
        "class_values": classes.values,
        "input_channels": channels,
        "tile_size": tile,
        "pixel_size_um": pixel_size_um,
        "normalisation": {
            "input": "integer images divided by their dtype maximum, then per channel (x - mean) / std",
            "mean": mean,
            "std": std,
        },
        "data_fingerprint": data_fingerprint,
        "metrics": metrics,
        "training": training,
    }


def save_net(
    weights: nn.Module | dict[str, torch.Tensor],
    config: dict,
    folder: str | Path,
    extra: Callable[[Path], Any] | None = None,
) -> Path:
    """Write the bundle atomically: ``config.json`` and ``weights.safetensors`` (of a network or a
    state dict), plus whatever ``extra(staging_folder)`` adds (a training's history and checkpoint)."""
    from safetensors.torch import save

    state = weights.state_dict() if isinstance(weights, nn.Module) else weights
    data = save(
        {k: v.detach().to("cpu").contiguous() for k, v in state.items()},
        metadata={"architecture": config["architecture"]},
    )

    def write(staging: Path) -> None:
        (staging / WEIGHTS_FILE).write_bytes(data)
        if extra is not None:
            extra(staging)

    return write_bundle(folder, config, write)


def load_net(folder: str | Path, device: str | torch.device = "cpu") -> NetModel:
    """Load a saved net in evaluation mode, refusing a folder that is not one or does not fit its config."""
    folder = Path(folder)
    config = read_model_config(folder, NET_KIND)
    try:
        classes = ClassTable.from_json(config["classes"])
        channels, tile = int(config["input_channels"]), int(config["tile_size"])
        mean = [float(v) for v in config["normalisation"]["mean"]]
        std = [float(v) for v in config["normalisation"]["std"]]
        network = build_network(config["architecture"], channels, len(classes))
    except ArchitectureError as exc:
        raise ModelError(f"{folder / CONFIG_FILE}: {exc}") from exc
    except (KeyError, TypeError, ValueError, SteelSegError) as exc:
        raise ModelError(f"{folder / CONFIG_FILE}: malformed model configuration ({exc})") from exc
    if len(mean) != channels or len(std) != channels:
        raise ModelError(f"{folder / CONFIG_FILE}: normalisation has {len(mean)} channels, the model {channels}")
    network.load_state_dict(_read_weights(folder, network))
    network.to(device).eval()
    return NetModel(network, config["architecture"], classes, channels, mean, std, tile, config)


def _read_weights(folder: Path, network: nn.Module) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise ModelError(f"{folder}: the model folder has no {WEIGHTS_FILE}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable safetensors file, the model may be damaged ({exc})") from exc
    own = network.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    wrong = [k for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        first = (missing or unexpected or wrong)[0]
        raise ModelError(
            f"{path}: the weights do not fit a '{type(network).__name__}' network as config.json "
            f"describes it ({len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} of "
            f"another shape; first: {first}); the model folder is inconsistent"
        )
    return state
