"""Exporting a saved net to ONNX, for use without SteelSeg."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from steelseg_gui.core.atomic import temporary_name
from steelseg_gui.core.nets.bundle import NetModel


def export_onnx(model: NetModel, path: str | Path, tile: int | None = None) -> Path:
    """Write the net as ONNX (opset 17) with dynamic batch, height and width; input is normalised
    ``(N, C, H, W)`` float32, output the class scores ``(N, K, H, W)``."""
    path = Path(path)
    tile = tile or model.tile
    example = torch.zeros(1, model.channels, tile, tile)
    network = model.network.to("cpu").eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_name(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", DeprecationWarning
            )  # the TorchScript exporter: dynamic sizes, no onnxscript
            torch.onnx.export(
                network,
                (example,),
                str(staging),
                input_names=["image"],
                output_names=["scores"],
                dynamic_axes={
                    "image": {0: "batch", 2: "height", 3: "width"},
                    "scores": {0: "batch", 2: "height", 3: "width"},
                },
                opset_version=17,
                dynamo=False,
            )
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)
    return path
