"""Segmenting a whole image with a net in one pass: the plain reference path bench_train.py scores with.

The image is padded by reflection to a multiple of the network's size step, normalised as in
training, and the class with the highest score is taken per pixel.
"""

from __future__ import annotations

import numpy as np
import torch

from steelseg_gui.core.errors import MicrographError
from steelseg_gui.core.nets.bundle import NetModel
from steelseg_gui.core.nets.settings import size_multiple


@torch.inference_mode()
def predict_whole(model: NetModel, image: np.ndarray) -> np.ndarray:
    """Labels ``(H, W)`` (class values 1..K) of an ``(H, W, C)`` float image in [0, 1]."""
    if image.ndim != 3 or image.shape[2] != model.channels:
        raise MicrographError(
            f"the model expects {model.channels}-channel images, this one has "
            f"{image.shape[2] if image.ndim == 3 else 1}"
        )
    height, width = image.shape[:2]
    step = size_multiple(model.architecture)
    rows, cols = -height % step, -width % step
    mode = "reflect" if rows < height and cols < width else "edge"
    padded = np.pad(image, ((0, rows), (0, cols), (0, 0)), mode=mode)
    device = next(model.network.parameters()).device
    scores = model.network(torch.from_numpy(model.normalise(padded))[None].to(device))
    index = scores[0, :, :height, :width].argmax(0).cpu().numpy()
    return np.asarray(model.classes.values, np.uint16)[index].astype(
        np.uint8 if len(model.classes) < 256 else np.uint16
    )
