"""Models in a report: each scored against the reviewed masks it did not train on, with what it was
scored on said plainly, and its provenance (a compact row; the full ``config.json`` goes to the appendix).

Forests record the images they learnt from (``training.images``: image ids whose scribbles they
used); nets record their split (``training.split``: train, validation and test image names): the
train and validation images count as seen, the test images as held out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from steelseg_gui.core.bundle import FOREST_KIND, KINDS
from steelseg_gui.core.quantify.metrics import EvaluationResult

HELD_OUT = "held-out"
TRAINING = "training"
UNKNOWN = "unknown"


@dataclass
class ModelProvenance:
    """One saved model: the compact provenance row, its training curves (data URI) and its full config."""

    name: str
    config: dict
    curves: str | None = None

    @property
    def row(self) -> dict[str, str]:
        config, training = self.config, self.config.get("training") or {}
        seen = seen_images(self.config)
        versions = config.get("versions") or {}
        return {
            "model": self.name,
            "kind": KINDS.get(config.get("kind"), str(config.get("kind"))),
            "architecture": str(config.get("architecture") or f"{training.get('trees', '?')} trees"),
            "trained on": "not recorded" if seen is None else f"{len(seen)} image(s)",
            "tile / pixel size": _tile_and_pixel(config),
            "data fingerprint": (config.get("data_fingerprint") or "")[:12],
            "SteelSeg": str(versions.get("steelseg", "")),
        }

    @property
    def config_items(self) -> list[tuple[str, str]]:
        """Each top-level field of ``config.json`` with its value as compact JSON (for the appendix)."""
        return [
            (key, json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str))
            for key, value in self.config.items()
        ]


@dataclass
class ModelScore:
    """A model's scores and what they were computed on: ``basis`` is ``held-out`` (reviewed images it
    never trained on), ``training`` (only its own training images were reviewed) or ``unknown``."""

    name: str
    basis: str
    images: list[str]
    result: EvaluationResult
    confusion: str | None = None

    @property
    def label(self) -> str:
        count = f"{len(self.images)} reviewed image(s)"
        if self.basis == HELD_OUT:
            return f"held out: {count} it did not train on"
        if self.basis == TRAINING:
            return f"on its training images ({count}): not a test of the model"
        return f"{count}; its training images are not recorded, so they may be among them"


def seen_images(config: dict) -> set[str] | None:
    """Names of the images a model learnt from (None when its config does not record them)."""
    training = config.get("training") or {}
    if config.get("kind") == FOREST_KIND:
        images = training.get("images")
        return None if images is None else {str(name) for name in images}
    split = training.get("split")
    if not isinstance(split, dict):
        return None
    return {str(name) for part in ("train", "validation") for name in split.get(part) or []}


def scoring_set(config: dict, reviewed: list[str]) -> tuple[str, list[str]]:
    """Which reviewed images to score a model on, and on what basis: the held-out ones when there are
    any; otherwise its training images, said so."""
    seen = seen_images(config)
    if seen is None:
        return UNKNOWN, list(reviewed)
    held_out = [name for name in reviewed if name not in seen]
    return (HELD_OUT, held_out) if held_out else (TRAINING, list(reviewed))


def curves_uri(folder: Path) -> str | None:
    from steelseg_gui.core.report.figures import bytes_data_uri

    curves = folder / "curves.png"
    return bytes_data_uri(curves.read_bytes()) if curves.is_file() else None


def _tile_and_pixel(config: dict) -> str:
    tile = config.get("tile_size")
    size = config.get("pixel_size_um")
    return " / ".join([f"{tile} px" if tile else "–", f"{size} µm/px" if size else "pixel size not recorded"])
