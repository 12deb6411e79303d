"""What SteelSeg ships in ``resources/``: sample micrographs (with their licences) and the default model.

The default model is a small ferrite/pearlite net trained by ``steelseg train`` on SteelSeg's
synthetic micrographs (``resources/models/ferrite-pearlite``, with its model card)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from steelseg_gui.core.errors import ModelError

DEFAULT_MODEL_NAME = "default"
UHCS_CLASSES = ("ferritic matrix", "cementite network", "spheroidite", "Widmanstätten cementite")


@dataclass(frozen=True)
class Sample:
    """A bundled micrograph; ``mask`` is its 0-based published mask, or ``None``."""

    key: str
    display_name: str
    image: Path
    mask: Path | None


def resources_dir() -> Path:
    """The folder of bundled resources (``resources/`` in the source tree)."""
    return Path(str(files("steelseg_resources")))


def bundled_samples() -> list[Sample]:
    """UHCS SEM images with masks, then the optical SAE 1020/1045 images, sorted by name."""
    root = resources_dir() / "samples"
    uhcs = [
        Sample(f"uhcs-{p.stem}", f"UHCS {p.stem} (SEM, with mask)", p, root / "uhcs" / "masks" / p.name)
        for p in sorted((root / "uhcs" / "images").glob("*.png"))
    ]
    optical = [
        Sample(p.stem, f"Optical {p.stem.split('_')[0].upper()} {p.stem.split('_')[-1]}", p, None)
        for p in sorted((root / "optical-sae").glob("*.png"))
    ]
    return uhcs + optical


def default_model_dir() -> Path:
    """Folder of the bundled default model."""
    return resources_dir() / "models" / "ferrite-pearlite"


def resolve_model(name: str | Path) -> Path:
    """``default`` → the bundled model's folder; anything else is taken as a model folder path."""
    if str(name) != DEFAULT_MODEL_NAME:
        return Path(name)
    folder = default_model_dir()
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"the bundled default model is missing from {folder}; reinstall SteelSeg or run `make default-model`"
        )
    return folder
