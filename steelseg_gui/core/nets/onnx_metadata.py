"""What an exported ONNX model says about itself: the ``metadata_props`` SteelSeg writes and reads.

Every value is JSON text, so the model can be used without SteelSeg (numpy and onnxruntime read
them with ``json.loads``). The graph takes ``image`` ``(N, C, H, W)`` float32 in [0, 1] (integer
micrographs divided by their dtype maximum), normalises it and pads it to a multiple of
``size_multiple`` inside the graph, and returns ``scores`` ``(N, K, H, W)``: one class score per
pixel, in the order of ``classes``. This module imports no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from steelseg_gui import __version__
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.project.classes import ClassTable

INPUT_NAME = "image"
OUTPUT_NAME = "scores"
INPUT_TEXT = (
    "image: (N, C, H, W) float32 in [0, 1], integer micrographs divided by their dtype maximum, channels "
    "in the order of input_channels (RGB or grey); any H and W: normalisation and padding happen inside the graph"
)
OUTPUT_TEXT = (
    "scores: (N, K, H, W) float32 class scores; the class of a pixel is classes[argmax over axis 1], "
    "softmax over axis 1 gives probabilities"
)
REQUIRED = ("classes", "input_channels", "tile_size")


@dataclass(frozen=True)
class OnnxModelInfo:
    """What a SteelSeg ONNX model records: classes, input channels, normalisation (applied in the
    graph), the tile size (px) it was trained on, its training pixel size (µm/px, or None) and provenance."""

    classes: ClassTable
    channels: int
    tile: int
    mean: list[float]
    std: list[float]
    pixel_size_um: float | None
    steelseg_version: str | None
    architecture: str | None


def onnx_metadata(config: dict, size_multiple: int) -> dict[str, str]:
    """The ``metadata_props`` of a net exported from a model whose ``config.json`` is ``config``."""
    normalisation = config["normalisation"]
    values = {
        "steelseg_version": __version__,
        "architecture": config.get("architecture"),
        "classes": config["classes"],
        "input_channels": config["input_channels"],
        "normalisation": {
            "mean": normalisation["mean"],
            "std": normalisation["std"],
            "applied": "inside the graph: (x - mean) / std per channel of the [0, 1] input",
        },
        "tile_size": config["tile_size"],
        "size_multiple": size_multiple,
        "pixel_size_um": config.get("pixel_size_um"),
        "input": INPUT_TEXT,
        "output": OUTPUT_TEXT,
        "data_fingerprint": config.get("data_fingerprint"),
        "trained_with": config.get("versions"),
    }
    return {key: json.dumps(value) for key, value in values.items()}


def parse_onnx_metadata(metadata: dict[str, str], source: str | Path) -> OnnxModelInfo:
    """The :class:`OnnxModelInfo` of a model's ``metadata_props``, or a :class:`ModelError` naming ``source``."""
    missing = [key for key in REQUIRED if key not in metadata]
    if missing:
        raise ModelError(
            f"{source}: this ONNX model was not exported by SteelSeg (its metadata has no {', '.join(missing)}); "
            "export it with `steelseg export MODEL_DIR --onnx FILE`"
        )
    try:
        values = {key: json.loads(text) for key, text in metadata.items() if key in _PARSED}
        normalisation = values.get("normalisation") or {}
        pixel_size = values.get("pixel_size_um")
        return OnnxModelInfo(
            classes=ClassTable.from_json(values["classes"]),
            channels=int(values["input_channels"]),
            tile=int(values["tile_size"]),
            mean=[float(v) for v in normalisation.get("mean", [])],
            std=[float(v) for v in normalisation.get("std", [])],
            pixel_size_um=None if pixel_size is None else float(pixel_size),
            steelseg_version=values.get("steelseg_version"),
            architecture=values.get("architecture"),
        )
    except (json.JSONDecodeError, TypeError, ValueError, SteelSegError) as exc:
        raise ModelError(f"{source}: the SteelSeg metadata of this ONNX model is malformed ({exc})") from exc


_PARSED = (
    "classes",
    "input_channels",
    "tile_size",
    "normalisation",
    "pixel_size_um",
    "steelseg_version",
    "architecture",
)
