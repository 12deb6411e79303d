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
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from steelseg_gui import __version__
from steelseg_gui.core.atomic import atomic_folder, atomic_write_json, remove_stale_temporaries
from steelseg_gui.core.documents import (
    MAX_LABEL_VALUE,
    ClassEntry,
    Document,
    FiniteFloat,
    Label,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StrictInt,
    Text,
    class_table_problems,
    read_json,
    validate,
)
from steelseg_gui.core.errors import ModelError

CONFIG_FILE = "config.json"
FORMAT = "steelseg-model"
FORMAT_VERSION = 1
FOREST_KIND = "random-forest"
NET_KIND = "net"
KINDS = {FOREST_KIND: "random forest", NET_KIND: "deep net"}
MAX_TILE_PX = 8192
# Every file SteelSeg writes into a model folder (JSON, CSV, PNG and safetensors; forest.skops and
# checkpoint.pt only in folders of SteelSeg 0.1): a folder holding anything else is not replaced.
MODEL_FILE_NAMES = frozenset(
    {
        CONFIG_FILE,
        "weights.safetensors",
        "forest.safetensors",
        "checkpoint.safetensors",
        "checkpoint.json",
        "history.csv",
        "history.json",
        "curves.png",
        "forest.skops",
        "checkpoint.pt",
    }
)


def bundle_header(kind: str, versions: dict[str, str]) -> dict:
    """The fields every ``config.json`` starts with; ``versions`` adds the libraries of this kind."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "versions": {**base_versions(), **versions},
    }


class TrainingSummary(BaseModel):
    """How a model was trained; free-form, but the numbers SteelSeg shows must be numbers."""

    model_config = ConfigDict(extra="allow")
    parameters: NonNegativeInt | None = None
    epochs_run: NonNegativeInt | None = None
    best_epoch: FiniteFloat | None = None
    seconds: FiniteFloat | None = None


class ModelConfig(BaseModel):
    """What every ``config.json`` holds. Fields a later SteelSeg adds are kept (not refused)."""

    model_config = ConfigDict(extra="allow")
    format: Literal["steelseg-model"]
    format_version: StrictInt = Field(ge=1, le=FORMAT_VERSION)
    kind: Literal["random-forest", "net"]
    versions: dict[Label, Text] = Field(default_factory=dict)
    architecture: Label
    classes: list[ClassEntry] = Field(min_length=1)
    class_values: list[Annotated[StrictInt, Field(ge=1, le=MAX_LABEL_VALUE)]] = Field(min_length=1)
    input_channels: Literal[1, 3]
    pixel_size_um: PositiveFloat | None = None
    data_fingerprint: Text | None = None
    metrics: dict[Label, FiniteFloat | None] = Field(default_factory=dict)
    training: TrainingSummary = Field(default_factory=TrainingSummary)

    def consistency_problems(self) -> list[tuple[tuple, str]]:
        problems = class_table_problems(self.classes)
        known = {c.value for c in self.classes}
        for index, value in enumerate(self.class_values):
            if value not in known:
                problems.append((("class_values", index), f"label value {value} is not one of the classes"))
        return problems


class NetNormalisation(Document):
    """Per-channel ``(x - mean) / std`` of a net's input."""

    input: Text
    mean: list[FiniteFloat] = Field(min_length=1, max_length=3)
    std: list[PositiveFloat] = Field(min_length=1, max_length=3)


class NetConfig(ModelConfig):
    kind: Literal["net"]
    tile_size: PositiveInt = Field(le=MAX_TILE_PX)
    normalisation: NetNormalisation

    def consistency_problems(self) -> list[tuple[tuple, str]]:
        problems = super().consistency_problems()
        for name in ("mean", "std"):
            values = getattr(self.normalisation, name)
            if len(values) != self.input_channels:
                problems.append(
                    (("normalisation", name), f"has {len(values)} values for {self.input_channels} input channel(s)")
                )
        return problems


class ForestConfig(ModelConfig):
    kind: Literal["random-forest"]
    trees: PositiveInt
    feature_spec: dict[Label, Any]
    normalisation: Text


CONFIG_MODELS: dict[str, type[ModelConfig]] = {FOREST_KIND: ForestConfig, NET_KIND: NetConfig}


def read_model_config(folder: str | Path, kind: str | None = None) -> dict:
    """``config.json`` of a model folder, validated (types and ranges of every field SteelSeg uses),
    with a one-line error naming the file and the field when it is missing, not JSON, from a newer
    SteelSeg, malformed or (given ``kind``) of another kind of model."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not folder.is_dir() and folder.parent.is_dir():
        remove_stale_temporaries(folder.parent)  # a writer killed between its two renames: put the model back
    if not folder.is_dir():
        raise ModelError(f"{folder}: model folder not found")
    if not path.is_file():
        raise ModelError(f"{folder}: not a SteelSeg model folder (no {CONFIG_FILE})")
    config = read_json(path, ModelError, "model configuration")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SteelSeg model configuration")
    version = config.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ModelError(f"{path}: written by a newer SteelSeg (model format {version}); update SteelSeg")
    if config.get("kind") not in CONFIG_MODELS:
        raise ModelError(
            f"{path}: kind: must be one of {', '.join(map(repr, CONFIG_MODELS))}, got {config.get('kind')!r}"
        )
    if kind is not None and config.get("kind") != kind:
        raise ModelError(f"{folder}: is a '{config.get('kind')}' model, not a {KINDS[kind]}")
    validate(CONFIG_MODELS[config["kind"]], config, path, ModelError)
    return config


def is_model_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder SteelSeg wrote as a model: its ``config.json`` says so (even
    when the model is damaged, so that retraining may replace it)."""
    try:
        config = json.loads((Path(path) / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(config, dict) and config.get("format") == FORMAT


def check_writable_bundle_path(folder: str | Path) -> Path:
    """Raise unless ``folder`` is absent, empty, or a SteelSeg model folder holding nothing but the
    files SteelSeg writes into one: the only paths a bundle may take (anything else is never
    replaced, so nothing SteelSeg did not write is deleted)."""
    folder = Path(folder)
    if folder.parent.is_dir():
        remove_stale_temporaries(folder.parent)  # a replaced model whose successor never arrived comes back
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        kind = "a link" if folder.is_symlink() else "a file"
        raise ModelError(f"{folder}: is {kind}, not a model folder; choose another output folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return folder
    if not is_model_folder(folder):
        raise ModelError(
            f"{folder}: exists and is not a SteelSeg model folder; SteelSeg never replaces "
            "other folders, choose a new or empty output folder"
        )
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in MODEL_FILE_NAMES or not p.is_file())
    if foreign:
        raise ModelError(
            f"{folder}: is a SteelSeg model folder but also holds {', '.join(foreign[:3])}"
            f"{' and more' if len(foreign) > 3 else ''}, which SteelSeg did not write; move them "
            "out or choose another output folder"
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


FINGERPRINT_FILES = (CONFIG_FILE, "weights.safetensors", "forest.safetensors", "forest.skops")


def model_fingerprint(folder: str | Path) -> str:
    """SHA-256 of a model's configuration and weights (or of a model file): equal fingerprints, the
    same model (a model retrained into the same folder gets another one)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    files = [folder] if folder.is_file() else [folder / name for name in FINGERPRINT_FILES]  # a model file: .onnx
    for path in files:
        if path.is_file():
            digest.update(path.name.encode())
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
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
