"""The resume checkpoint of a training run, without pickle: tensors in ``checkpoint.safetensors``,
everything else (epoch, history, best loss, the optimiser's hyper-parameters) in ``checkpoint.json``.

Tensor keys are ``model/NAME``, ``best_model/NAME`` and ``optimiser/PARAM/NAME`` (Adam's
moments and step per parameter). Checkpoints written by SteelSeg 0.1 (``checkpoint.pt``, a
``torch.save`` file) are still read, with ``weights_only=True`` so that they cannot run code.
Either kind is validated into :class:`CheckpointDocument` (types and ranges of every field) and its
tensor names checked, so a malformed checkpoint is refused before training starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.documents import (
    Document,
    FiniteFloat,
    Label,
    NonNegativeInt,
    Number,
    PositiveFloat,
    StrictInt,
    read_json,
    validate,
)
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


class ParamGroup(BaseModel):
    """One optimiser parameter group: Adam's hyper-parameters and the indices of its parameters."""

    model_config = ConfigDict(extra="allow")
    lr: PositiveFloat
    betas: tuple[FiniteFloat, FiniteFloat]
    eps: PositiveFloat
    weight_decay: FiniteFloat = Field(ge=0)
    params: list[NonNegativeInt]


class CheckpointDocument(Document):
    """``checkpoint.json``: everything of a checkpoint but its tensors."""

    format: Literal["steelseg-checkpoint"]
    format_version: StrictInt = Field(ge=1, le=FORMAT_VERSION)
    architecture: Label
    epoch: NonNegativeInt = Field(le=1_000_000)
    history: list[dict[Label, Number | None]] = Field(max_length=1_000_000)
    best_loss: FiniteFloat | None
    best_epoch: Number | None
    bad_validations: NonNegativeInt
    optimiser_param_groups: list[ParamGroup] = Field(min_length=1)

    def consistency_problems(self) -> list[tuple[tuple, str]]:
        if self.best_epoch is not None and not 0 <= self.best_epoch <= self.epoch:
            return [(("best_epoch",), f"{self.best_epoch:g} is not an epoch run (0 to {self.epoch})")]
        return []


def read_checkpoint(path: str | Path) -> Checkpoint:
    """The checkpoint of a model folder, of its ``checkpoint.json``, or of an old ``checkpoint.pt``,
    validated (types and ranges of every field, tensor names) before anything is trained on it."""
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

    raw = read_json(path, ModelError, "training checkpoint")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SteelSeg training checkpoint")
    document = validate(CheckpointDocument, raw, path, ModelError)
    tensors_path = path.with_name(CHECKPOINT_TENSORS)
    try:
        tensors = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{tensors_path}: the checkpoint's tensors cannot be read ({exc})") from exc
    model, best_model, state = _split_tensors(tensors, tensors_path)
    groups = [group.model_dump() for group in document.optimiser_param_groups]
    return _checkpoint(document, model, {"state": state, "param_groups": groups}, best_model)


def _split_tensors(tensors: dict, path: Path) -> tuple[dict, dict, dict]:
    """``model/NAME``, ``best_model/NAME`` and ``optimiser/PARAM/SLOT`` tensors, by part."""
    model, best_model, state = {}, {}, {}
    for key, tensor in tensors.items():
        part, _, name = key.partition("/")
        param, _, slot = name.partition("/")
        if part == "model" and name:
            model[name] = tensor
        elif part == "best_model" and name:
            best_model[name] = tensor
        elif part == "optimiser" and param.isdigit() and slot:
            state.setdefault(int(param), {})[slot] = tensor
        else:
            raise ModelError(f"{path}: tensor '{key}' is not part of a SteelSeg checkpoint")
    if not model:
        raise ModelError(f"{path}: holds no network weights")
    return model, best_model, state


def _checkpoint(document: CheckpointDocument, model: dict, optimiser: dict, best_model: dict) -> Checkpoint:
    return Checkpoint(
        document.architecture,
        document.epoch,
        [dict(row) for row in document.history],
        model,
        optimiser,
        math.inf if document.best_loss is None else document.best_loss,
        document.best_epoch,
        document.bad_validations,
        best_model,
    )


def _read_legacy(path: Path) -> Checkpoint:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or damaged files
        raise ModelError(f"{path}: not a SteelSeg training checkpoint ({exc.__class__.__name__})") from exc
    needed = {"architecture", "epoch", "history", "model", "optimiser", "best_loss", "best_epoch", "bad_validations"}
    if not isinstance(state, dict) or not needed <= set(state) or not isinstance(state["optimiser"], dict):
        raise ModelError(f"{path}: not a SteelSeg training checkpoint")
    best_loss = state["best_loss"]
    scalars = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **{key: state[key] for key in ("architecture", "epoch", "history", "best_epoch", "bad_validations")},
        "best_loss": None if isinstance(best_loss, float) and math.isinf(best_loss) else best_loss,
        "optimiser_param_groups": state["optimiser"].get("param_groups"),
    }
    document = validate(CheckpointDocument, scalars, path, ModelError)
    model, best_model = state["model"], state.get("best_model") or {}
    optimiser_state = state["optimiser"].get("state", {})
    for name, tensors in (("model", model), ("best_model", best_model)):
        if not isinstance(tensors, dict) or not all(isinstance(v, torch.Tensor) for v in tensors.values()):
            raise ModelError(f"{path}: {name} is not a set of named tensors")
    if not isinstance(optimiser_state, dict):
        raise ModelError(f"{path}: optimiser.state is not a set of tensors per parameter")
    groups = [group.model_dump() for group in document.optimiser_param_groups]
    return _checkpoint(document, model, {"state": optimiser_state, "param_groups": groups}, best_model)
