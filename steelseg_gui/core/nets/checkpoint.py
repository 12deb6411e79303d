"""The resume checkpoint of a training run, without pickle: tensors in ``checkpoint.safetensors``,
everything else (epoch, history, best loss, the optimiser's hyper-parameters) in ``checkpoint.json``.

Tensor keys are ``model/NAME``, ``best_model/NAME`` and ``optimiser/PARAM/NAME`` (Adam's
moments and step per parameter). Checkpoints written by SteelSeg 0.1 (``checkpoint.pt``, a
``torch.save`` file) are still read, with ``weights_only=True`` so that they cannot run code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.errors import ModelError

CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_TENSORS = "checkpoint.safetensors"
LEGACY_CHECKPOINT = "checkpoint.pt"
FORMAT = "steelseg-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """What resuming needs: network and optimiser state, epoch, history and the best result so far.

    ``best_loss`` is ``inf`` until a validation ran; ``best_epoch`` is the (possibly fractional,
    with ``validate_every``) epoch of the best validation, or None.
    """

    architecture: str
    epoch: int
    history: list[dict]
    model: dict[str, torch.Tensor]
    optimiser: dict
    best_loss: float = math.inf
    best_epoch: float | None = None
    bad_validations: int = 0
    best_model: dict[str, torch.Tensor] = field(default_factory=dict)


def write_checkpoint(folder: Path, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint.safetensors`` then ``checkpoint.json`` into ``folder`` (each atomically)."""
    from safetensors.torch import save

    tensors = {f"model/{k}": v for k, v in checkpoint.model.items()}
    tensors.update({f"best_model/{k}": v for k, v in checkpoint.best_model.items()})
    for param, values in checkpoint.optimiser.get("state", {}).items():
        tensors.update({f"optimiser/{param}/{k}": torch.as_tensor(v) for k, v in values.items()})
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    atomic_write_bytes(folder / CHECKPOINT_TENSORS, save(tensors))
    atomic_write_json(
        folder / CHECKPOINT_JSON,
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "architecture": checkpoint.architecture,
            "epoch": checkpoint.epoch,
            "history": checkpoint.history,
            "best_loss": None if math.isinf(checkpoint.best_loss) else checkpoint.best_loss,
            "best_epoch": checkpoint.best_epoch,
            "bad_validations": checkpoint.bad_validations,
            "optimiser_param_groups": checkpoint.optimiser.get("param_groups", []),
        },
    )


def read_checkpoint(path: str | Path) -> Checkpoint:
    """The checkpoint of a model folder, of its ``checkpoint.json``, or of an old ``checkpoint.pt``."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_JSON if (path / CHECKPOINT_JSON).is_file() else path / LEGACY_CHECKPOINT
    if not path.is_file():
        raise ModelError(
            f"{path}: checkpoint not found; give the model folder of an earlier run or its {CHECKPOINT_JSON}"
        )
    if path.suffix == ".pt":
        return _read_legacy(path)
    return _read_current(path)


def _read_current(path: Path) -> Checkpoint:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"{path}: not a SteelSeg training checkpoint ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SteelSeg training checkpoint")
    tensors_path = path.with_name(CHECKPOINT_TENSORS)
    try:
        tensors = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{tensors_path}: the checkpoint's tensors cannot be read ({exc})") from exc
    model, best_model, state = {}, {}, {}
    for key, tensor in tensors.items():
        part, _, name = key.partition("/")
        if part == "model":
            model[name] = tensor
        elif part == "best_model":
            best_model[name] = tensor
        elif part == "optimiser":
            param, _, slot = name.partition("/")
            state.setdefault(int(param), {})[slot] = tensor
    try:
        best_loss = document["best_loss"]
        return Checkpoint(
            str(document["architecture"]),
            int(document["epoch"]),
            list(document["history"]),
            model,
            {"state": state, "param_groups": list(document["optimiser_param_groups"])},
            math.inf if best_loss is None else float(best_loss),
            document["best_epoch"],
            int(document["bad_validations"]),
            best_model,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: the checkpoint is incomplete ({exc!r} missing or wrong)") from exc


def _read_legacy(path: Path) -> Checkpoint:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or damaged files
        raise ModelError(f"{path}: not a SteelSeg training checkpoint ({exc.__class__.__name__})") from exc
    needed = {"architecture", "epoch", "history", "model", "optimiser", "best_loss", "best_epoch", "bad_validations"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise ModelError(f"{path}: not a SteelSeg training checkpoint")
    return Checkpoint(
        state["architecture"],
        int(state["epoch"]),
        list(state["history"]),
        state["model"],
        state["optimiser"],
        float(state["best_loss"]),
        state["best_epoch"],
        int(state["bad_validations"]),
        state.get("best_model") or {},
    )
