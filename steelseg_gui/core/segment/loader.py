"""Loading any saved model as a segmenter, through one cache.

:func:`load_segmenter` returns an object with ``classes`` and ``segment(image, name)`` (a job
returning a :class:`~steelseg_gui.core.prediction.Prediction`) for a forest or a net folder,
``default`` for the bundled net, or an ``.onnx`` file exported by SteelSeg (run by onnxruntime).
Loaded models are kept for the next call, keyed by folder and device, and reloaded when the
folder changes on disk (a model retrained into the same folder is replaced as a whole, so its
files and the folder itself get new identities). torch is imported only when a net is loaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from steelseg_gui.core.bundle import CONFIG_FILE, FOREST_KIND, read_model_config
from steelseg_gui.core.imaging.micrograph import matching_channels
from steelseg_gui.core.jobs import Job
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.resources import resolve_model
from steelseg_gui.core.segment.onnx_segmenter import is_onnx_model, load_onnx_segmenter

CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, str], tuple[tuple, object]] = OrderedDict()
_lock = threading.Lock()


@dataclass
class ForestSegmenter:
    """Segments images with a saved random forest (the coarse-to-fine prediction of propagation)."""

    forest: object
    exact: bool = False

    @property
    def classes(self):
        return self.forest.classes

    def segment(self, image: np.ndarray, name: str = "image") -> Job[Prediction]:
        """Labels and probabilities of an ``(H, W, C)`` float image in [0, 1] (a job)."""
        image = matching_channels(image, self.forest.channels, name)
        return (yield from self.forest.predict(image, name, self.exact))


def load_segmenter(model: str | Path, device: str = "auto"):
    """The segmenter of a saved model folder (or ``default``, or an ``.onnx`` file), from the cache
    when the folder (or file) is unchanged."""
    folder = resolve_model(model).resolve()
    key = (str(folder), device)
    signature = folder_signature(folder)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == signature:
            _cache.move_to_end(key)
            return cached[1]
    segmenter = _load(folder, device)
    with _lock:
        _cache[key] = (signature, segmenter)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return segmenter


def folder_signature(folder: Path) -> tuple:
    """Identity and modification stamps of a model folder and its files, and the digest of its
    ``config.json`` (which records how the model was trained): any rewrite changes it. For a
    model file (``.onnx``), the stamps of that file."""
    try:
        if folder.is_file():
            return (folder.name, *_stamp(folder))
        entries = [(folder.name, *_stamp(folder))]
        entries += [(p.name, *_stamp(p)) for p in sorted(folder.iterdir()) if p.is_file()]
        entries.append(hashlib.sha1((folder / CONFIG_FILE).read_bytes()).hexdigest())
    except OSError:
        return ()
    return tuple(entries)


def _stamp(path: Path) -> tuple[int, int, int]:
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns, status.st_size


def _load(folder: Path, device: str):
    if is_onnx_model(folder):
        return load_onnx_segmenter(folder, device)
    if read_model_config(folder).get("kind") == FOREST_KIND:
        from steelseg_gui.core.forest.bundle import load_forest

        return ForestSegmenter(load_forest(folder))
    from steelseg_gui.core.nets.bundle import load_net
    from steelseg_gui.core.nets.device import choose_device
    from steelseg_gui.core.segment.net_segmenter import NetSegmenter

    return NetSegmenter(load_net(folder, choose_device(device)))
