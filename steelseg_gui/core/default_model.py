"""The bundled default model: a small ferrite/pearlite net trained by ``steelseg train`` on
SteelSeg's synthetic micrographs (``resources/models/ferrite-pearlite``, with its model card)."""

from __future__ import annotations

from pathlib import Path

from .errors import ModelError
from .samples import resources_dir

DEFAULT_NAME = "default"


def default_model_dir() -> Path:
    """Folder of the bundled default model."""
    return resources_dir() / "models" / "ferrite-pearlite"


def resolve_model(name: str | Path) -> Path:
    """``default`` → the bundled model's folder; anything else is taken as a model folder path."""
    if str(name) != DEFAULT_NAME:
        return Path(name)
    folder = default_model_dir()
    if not (folder / "config.json").is_file():
        raise ModelError(f"the bundled default model is missing from {folder}; reinstall SteelSeg or run "
                         "`make default-model`")
    return folder
