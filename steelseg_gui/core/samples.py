"""The sample micrographs bundled in ``resources/samples`` (with their licences)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

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
    uhcs = [Sample(f"uhcs-{p.stem}", f"UHCS {p.stem} (SEM, with mask)", p, root / "uhcs" / "masks" / p.name)
            for p in sorted((root / "uhcs" / "images").glob("*.png"))]
    optical = [Sample(p.stem, f"Optical {p.stem.split('_')[0].upper()} {p.stem.split('_')[-1]}", p, None)
               for p in sorted((root / "optical-sae").glob("*.png"))]
    return uhcs + optical
