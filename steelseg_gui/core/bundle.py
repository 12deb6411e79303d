"""What every saved model folder shares: ``config.json`` with format, kind and provenance.

Forests (:mod:`.forest_io`) and nets (:mod:`.net_io`) add their own weights file beside it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from steelseg_gui import __version__
from steelseg_gui.core.errors import ModelError

CONFIG_FILE = "config.json"
FORMAT_VERSION = 1


def read_model_config(folder: str | Path) -> dict:
    """``config.json`` of a model folder, with a clear error when there is none or it is not JSON."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not folder.is_dir():
        raise ModelError(f"{folder}: model folder not found")
    if not path.is_file():
        raise ModelError(f"{folder}: not a SteelSeg model folder (no {CONFIG_FILE})")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc}); the model folder is damaged") from exc
    if not isinstance(config, dict) or config.get("format") != "steelseg-model":
        raise ModelError(f"{path}: not a SteelSeg model configuration")
    if int(config.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelError(f"{path}: written by a newer SteelSeg (model format {config.get('format_version')}); "
                         "update SteelSeg")
    return config


def data_fingerprint(arrays: Iterable[np.ndarray]) -> str:
    """SHA-256 of the training arrays (images, scribbles or masks): equal fingerprints, equal data."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str((array.shape, array.dtype.str)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def base_versions() -> dict[str, str]:
    """Versions every model records: SteelSeg, Python, numpy."""
    return {"steelseg": __version__, "python": platform.python_version(), "numpy": np.__version__}


def describe_model(folder: str | Path) -> list[str]:
    """Lines describing a saved model for ``steelseg models info`` (reads ``config.json`` only)."""
    config = read_model_config(folder)
    classes = ", ".join(f"{c['value']} {c['name']}" for c in config.get("classes", []))
    lines = [f"model:         {Path(folder)}",
             f"kind:          {config.get('kind')}",
             f"architecture:  {config.get('architecture')}",
             f"classes:       {classes}",
             f"input:         {config.get('input_channels')} channel(s)"
             + (f", tiles of {config['tile_size']} px" if config.get("tile_size") else ""),
             f"pixel size:    {config.get('pixel_size_um') or 'unknown'} µm/px",
             f"data:          fingerprint {config.get('data_fingerprint')}"]
    metrics = config.get("metrics") or {}
    if metrics:
        lines.append("metrics:       " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                                                 for k, v in metrics.items()))
    versions = config.get("versions") or {}
    lines.append("versions:      " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return lines
