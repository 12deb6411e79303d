"""The model bundle: a folder with ``config.json`` (format, version, kind, provenance) and the
weights file of its kind. This module owns the format; forests (:mod:`.forest.bundle`) and nets
(:mod:`.nets.bundle`) fill in their fields and weights.

A bundle is written as a whole into a hidden staging folder and then put in place, so a reader
never sees half a model. An existing path is replaced only when it is a SteelSeg model folder:
anything else there (a folder of micrographs, a file) is refused, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from steelseg_gui import __version__
from steelseg_gui.core.atomic import atomic_folder, atomic_write_json
from steelseg_gui.core.errors import ModelError

CONFIG_FILE = "config.json"
FORMAT = "steelseg-model"
FORMAT_VERSION = 1
FOREST_KIND = "random-forest"
NET_KIND = "net"
KINDS = {FOREST_KIND: "random forest", NET_KIND: "deep net"}


def bundle_header(kind: str, versions: dict[str, str]) -> dict:
    """The fields every ``config.json`` starts with; ``versions`` adds the libraries of this kind."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "versions": {**base_versions(), **versions},
    }


def read_model_config(folder: str | Path, kind: str | None = None) -> dict:
    """``config.json`` of a model folder, with a clear error when there is none, it is not JSON,
    it comes from a newer SteelSeg or (given ``kind``) the model is of another kind."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not folder.is_dir():
        raise ModelError(f"{folder}: model folder not found")
    if not path.is_file():
        raise ModelError(f"{folder}: not a SteelSeg model folder (no {CONFIG_FILE})")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc}); the model folder is damaged") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SteelSeg model configuration")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelError(f"{path}: format_version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelError(f"{path}: written by a newer SteelSeg (model format {version}); update SteelSeg")
    if kind is not None and config.get("kind") != kind:
        raise ModelError(f"{folder}: is a '{config.get('kind')}' model, not a {KINDS[kind]}")
    return config


def is_model_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding a SteelSeg ``config.json`` (the only folders SteelSeg replaces)."""
    try:
        read_model_config(path)
    except ModelError:
        return False
    return True


def check_writable_bundle_path(folder: str | Path) -> Path:
    """Raise unless ``folder`` is absent or a SteelSeg model folder, the only paths a bundle may take."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ModelError(f"{folder}: is a file, not a model folder; choose another output folder")
    if folder.is_dir() and any(folder.iterdir()) and not is_model_folder(folder):
        raise ModelError(
            f"{folder}: exists and is not a SteelSeg model folder; SteelSeg never replaces "
            "other folders, choose a new or empty output folder"
        )
    return folder


def write_bundle(folder: str | Path, config: dict, write_weights: Callable[[Path], Any]) -> Path:
    """Write a bundle atomically: ``write_weights(staging_folder)`` adds the weights file(s) beside
    ``config.json``; the finished folder replaces ``folder`` (absent or a SteelSeg model folder)."""
    folder = check_writable_bundle_path(folder)

    def fill(staging: Path) -> None:
        write_weights(staging)
        atomic_write_json(staging / CONFIG_FILE, config)

    return atomic_folder(folder, fill)


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
    lines = [
        f"model:         {Path(folder)}",
        f"kind:          {config.get('kind')}",
        f"architecture:  {config.get('architecture')}"
        + (f" ({parameters:,} parameters)" if (parameters := (config.get("training") or {}).get("parameters")) else ""),
        f"classes:       {classes}",
        f"input:         {config.get('input_channels')} channel(s)"
        + (f", tiles of {config['tile_size']} px" if config.get("tile_size") else ""),
        f"pixel size:    {config.get('pixel_size_um') or 'unknown'} µm/px",
        f"data:          fingerprint {config.get('data_fingerprint')}",
    ]
    metrics = config.get("metrics") or {}
    if metrics:
        lines.append(
            "metrics:       "
            + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
        )
    versions = config.get("versions") or {}
    lines.append("versions:      " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return lines
