"""Exporting a saved net to ONNX, for use without SteelSeg (numpy and onnxruntime are enough).

The exported graph takes the micrograph as it is read (float32 in [0, 1], any height and width):
it normalises it per channel as in training, pads it on the bottom and right to a multiple of
:data:`SIZE_MULTIPLE` (edge values repeated; every registered network halves the image at most
five times) and crops the class scores back to the input size. Its ``metadata_props``
(:mod:`~steelseg_gui.core.nets.onnx_metadata`) name the classes and their colours, the
normalisation, the tile size, the training pixel size and the SteelSeg version.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 (torch's own convention)
from torch import nn

from steelseg_gui.core.atomic import atomic_write_bytes
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.nets.bundle import NetModel
from steelseg_gui.core.nets.onnx_metadata import INPUT_NAME, OUTPUT_NAME, onnx_metadata

SIZE_MULTIPLE = 32
OPSET = 17


class TravellingNet(nn.Module):
    """A net that takes ``(N, C, H, W)`` float [0, 1] images of any size: normalise, pad, score, crop."""

    def __init__(self, model: NetModel, size_multiple: int = SIZE_MULTIPLE):
        super().__init__()
        self.network = model.network
        self.size_multiple = size_multiple
        self.register_buffer("mean", torch.tensor(model.mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(model.std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[2], image.shape[3]
        pad_bottom = (self.size_multiple - height % self.size_multiple) % self.size_multiple
        pad_right = (self.size_multiple - width % self.size_multiple) % self.size_multiple
        x = F.pad((image - self.mean) / self.std, [0, pad_right, 0, pad_bottom], mode="replicate")
        return self.network(x)[:, :, :height, :width]


def export_onnx(model: NetModel, path: str | Path) -> Path:
    """Write the net as ONNX (opset 17) with dynamic batch, height and width and SteelSeg's metadata;
    the file is written atomically."""
    import onnx

    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path}: is a folder; give the ONNX file to write, e.g. {path / 'model.onnx'}")
    model.network.to("cpu").eval()
    traveller = TravellingNet(model).eval()
    example = torch.zeros(1, model.channels, model.tile, model.tile)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter (dynamic sizes, no onnxscript) and its tracer
        torch.onnx.export(
            traveller,
            (example,),
            buffer,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                OUTPUT_NAME: {0: "batch", 2: "height", 3: "width"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    graph = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(graph, onnx_metadata(model.config, SIZE_MULTIPLE))
    graph.producer_name = "SteelSeg"
    graph.doc_string = f"SteelSeg {model.architecture} segmenting {', '.join(model.classes.names)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, graph.SerializeToString())
