"""An exported ONNX model as a segmenter, run by onnxruntime: ``steelseg segment --model x.onnx``.

The model's metadata (:mod:`~steelseg_gui.core.nets.onnx_metadata`) gives its classes, input
channels and tile size; the image is tiled and blended exactly as for a torch net
(:mod:`~steelseg_gui.core.segment.sliding_window`), so both give the same masks. This module
imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.imaging.micrograph import matching_channels
from steelseg_gui.core.jobs import Job
from steelseg_gui.core.nets.onnx_metadata import INPUT_NAME, OnnxModelInfo, parse_onnx_metadata
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.segment.sliding_window import BATCH, OVERLAP, segment_by_tiles

ONNX_SUFFIX = ".onnx"


def is_onnx_model(path: str | Path) -> bool:
    """True for a path named ``*.onnx`` (an exported model rather than a model folder)."""
    return Path(path).suffix.lower() == ONNX_SUFFIX


@dataclass
class OnnxSegmenter:
    """Segments images with an ONNX model exported by SteelSeg, in an onnxruntime session."""

    session: object
    info: OnnxModelInfo
    batch_size: int = BATCH
    overlap: float = OVERLAP

    @property
    def classes(self):
        return self.info.classes

    @property
    def pixel_size_um(self) -> float | None:
        """The pixel size (µm/px) of the model's training images, when it was recorded."""
        return self.info.pixel_size_um

    def segment(self, image: np.ndarray, name: str = "image") -> Job[Prediction]:
        """Labels and probabilities of an ``(H, W, C)`` float image in [0, 1] (a job, one report per batch)."""
        image = matching_channels(image, self.info.channels, name)
        return (
            yield from segment_by_tiles(
                image, self.info.tile, self.classes.values, self._probabilities, name, self.batch_size, self.overlap
            )
        )

    def _probabilities(self, tiles: np.ndarray) -> np.ndarray:
        """``(N, T, T, C)`` tiles → ``(N, T, T, K)`` softmax probabilities."""
        x = np.ascontiguousarray(tiles.transpose(0, 3, 1, 2), dtype=np.float32)
        (scores,) = self.session.run(None, {INPUT_NAME: x})
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return (exp / exp.sum(axis=1, keepdims=True)).transpose(0, 2, 3, 1)


def load_onnx_segmenter(path: str | Path, device: str = "auto") -> OnnxSegmenter:
    """An :class:`OnnxSegmenter` for an ``.onnx`` file exported by SteelSeg; on ``cuda`` (or ``auto``
    when onnxruntime has CUDA) it runs on the GPU."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: ONNX model file not found")
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelError(f"{path}: running ONNX models needs onnxruntime (pip install onnxruntime)") from exc
    available = onnxruntime.get_available_providers()
    providers = ["CPUExecutionProvider"]
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        providers.insert(0, "CUDAExecutionProvider")
    elif device == "cuda":
        raise ModelError("--device cuda: this onnxruntime has no CUDA support; use --device cpu")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=providers)
    except (*_onnxruntime_errors(), OSError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a readable ONNX model ({type(exc).__name__}: {exc})") from exc
    return OnnxSegmenter(session, parse_onnx_metadata(session.get_modelmeta().custom_metadata_map, path))


def _onnxruntime_errors() -> tuple[type[Exception], ...]:
    """onnxruntime's own exception types (plain Exception subclasses) for a file it cannot load."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "NoSuchFile", "InvalidProtobuf", "InvalidGraph", "NotImplemented")
    return tuple(getattr(state, name) for name in names if hasattr(state, name))
