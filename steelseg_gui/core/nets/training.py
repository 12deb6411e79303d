"""Training a segmentation net on tiles: a job that yields progress after every batch.

Adam, weighted cross-entropy (unlabelled pixels ignored), validation after every epoch (and
every ``validate_every`` iterations if asked), early stopping on the validation loss, the best
weights kept in the model folder as soon as they are found, a resume checkpoint after each
validation. The model folder holds the bundle (``config.json``, ``weights.safetensors``) plus
``history.csv``, ``history.json``, ``curves.png`` and the resume checkpoint (``checkpoint.json`` and
``checkpoint.safetensors``, see :mod:`steelseg_gui.core.nets.checkpoint`).

Closing the job (cancel) stops it within one batch; the best checkpoint stays loadable.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from steelseg_gui.core.bundle import check_writable_bundle_path, data_fingerprint
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.nets.architectures import (
    build_network,
    check_architecture,
    load_encoder_weights,
    parameter_count,
)
from steelseg_gui.core.nets.bundle import net_config, save_net
from steelseg_gui.core.nets.checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from steelseg_gui.core.nets.device import choose_device, mixed_precision_dtype
from steelseg_gui.core.nets.history import write_history
from steelseg_gui.core.nets.settings import TrainSettings, size_multiple
from steelseg_gui.core.nets.tiles import (
    IGNORE,
    LabelledImage,
    TileBatches,
    TilePlan,
    channel_statistics,
    check_labelled,
    class_weights,
    epoch_rng,
    plan_tiles,
)
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.metrics import EvaluationResult, confusion_counts


@dataclass(frozen=True)
class TrainProgress(Progress):
    """Progress of a training job; ``history`` holds one row per validation so far."""

    epoch: int = 0
    history: tuple = ()


@dataclass
class TrainResult:
    """How training ended (``completed``, ``early stopping`` or ``cancelled``) and where the model is."""

    folder: Path
    stopped: str
    best_epoch: int | None
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)


class _Run:
    """Everything one training run holds: data, network, optimiser, bookkeeping."""

    def __init__(self, items: list[LabelledImage], classes: ClassTable, settings: TrainSettings, plan: TilePlan):
        self.settings, self.plan, self.classes = settings, plan, classes
        train_items = [items[k] for k in sorted({ref.image for ref in plan.parts["train"]})]
        self.mean, self.std = channel_statistics(train_items)
        self.channels = items[0].image.shape[2]
        self.batches = TileBatches(items, classes, settings.tile, self.mean, self.std, settings.colour_jitter)
        self.device = choose_device(settings.device)
        torch.manual_seed(settings.seed)
        self.network = build_network(settings.architecture, self.channels, len(classes)).to(self.device)
        if settings.encoder_weights:
            load_encoder_weights(self.network, settings.encoder_weights)
            self.network.to(self.device)
        weights = class_weights(train_items, classes, settings.class_weighting)
        self.loss = nn.CrossEntropyLoss(weight=torch.as_tensor(weights, device=self.device), ignore_index=IGNORE)
        self.optimiser = torch.optim.Adam(
            self.network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        self.amp_dtype = mixed_precision_dtype(self.device) if settings.mixed_precision else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.fingerprint = data_fingerprint(a for item in items for a in (item.image, item.mask))
        self.history: list[dict] = []
        self.epoch = 0
        self.best_loss, self.best_epoch, self.best_state, self.bad_validations = float("inf"), None, None, 0
        self.class_weights = weights.tolist()
        self.done, self.total = 0, 1

    def progress(self, message: str) -> TrainProgress:
        """A report of the batches done so far, with ``message`` and the history."""
        return TrainProgress(self.done, self.total, message, self.epoch, tuple(self.history))

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None)

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimiser step on a batch; returns its loss and confusion counts."""
        self.network.train()
        inputs, target = torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)
        self.optimiser.zero_grad(set_to_none=True)
        with self.autocast():
            scores = self.network(inputs)
            loss = self.loss(scores.float(), target)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimiser)
        self.scaler.update()
        return float(loss.detach()), self._confusion(scores, y)

    @torch.inference_mode()
    def evaluate(self, part: str) -> Job[dict]:
        """Loss, accuracy and mean IoU on the tiles of ``part`` (a job: one report per batch)."""
        self.network.eval()
        refs, size = self.plan.parts[part], self.settings.batch_size
        total, weight, confusion = 0.0, 0, np.zeros((len(self.classes),) * 2, np.int64)
        for start in range(0, len(refs), size):
            x, y = self.batches.batch(refs[start : start + size])
            with self.autocast():
                scores = self.network(torch.from_numpy(x).to(self.device)).float()
            labelled = int((y != IGNORE).sum())
            if labelled:
                total += float(self.loss(scores, torch.from_numpy(y).to(self.device))) * labelled
                weight += labelled
            confusion += self._confusion(scores, y)
            yield self.progress(f"evaluating on {part} tiles: {min(start + size, len(refs))}/{len(refs)}")
        return summarise(total / weight if weight else None, confusion, self.classes)

    def _confusion(self, scores: torch.Tensor, y: np.ndarray) -> np.ndarray:
        predicted = scores.detach().argmax(1).cpu().numpy()
        counts = confusion_counts(predicted + 1, np.where(y == IGNORE, 0, y + 1), len(self.classes))
        return counts[1:, 1:]

    def config(self, metrics: dict, stopped: str) -> dict:
        training = {
            **asdict(self.settings),
            "parameters": parameter_count(self.network),
            "epochs_run": self.epoch,
            "best_epoch": self.best_epoch,
            "stopped": stopped,
            "split_by": self.plan.split_by,
            "split": self.plan.names,
            "tiles": {part: len(refs) for part, refs in self.plan.parts.items()},
            "class_weights": self.class_weights,
            "device": str(self.device),
            "notes": self.plan.notes,
        }
        return net_config(
            self.settings.architecture,
            self.classes,
            self.channels,
            self.mean,
            self.std,
            self.settings.tile,
            training,
            metrics,
            data_fingerprint=self.fingerprint,
        )

    def checkpoint(self) -> Checkpoint:
        """Everything needed to resume this run."""
        return Checkpoint(
            self.settings.architecture,
            self.epoch,
            self.history,
            self.network.state_dict(),
            self.optimiser.state_dict(),
            self.best_loss,
            self.best_epoch,
            self.bad_validations,
            self.best_state or {},
        )


def summarise(loss: float | None, confusion: np.ndarray, classes: ClassTable) -> dict:
    """``loss``, ``accuracy`` (global) and ``mean_iou`` from ``(K, K)`` confusion counts."""
    result = EvaluationResult(classes.values, classes.names, confusion, np.zeros(len(classes), np.int64))
    return {"loss": loss, "accuracy": result.global_accuracy, "mean_iou": result.mean_iou}


def check_settings(settings: TrainSettings) -> None:
    """Clear errors for settings that cannot work, before any data is read."""
    check_architecture(settings.architecture)
    multiple = size_multiple(settings.architecture)
    if settings.tile < multiple or settings.tile % multiple:
        raise SteelSegError(f"tile size {settings.tile} px: {settings.architecture} needs a multiple of {multiple} px")
    if settings.epochs < 1 or settings.batch_size < 1 or settings.patience < 1:
        raise SteelSegError("epochs, batch size and patience must be at least 1")
    if settings.validate_every < 0:
        raise SteelSegError(f"validate every {settings.validate_every} iterations: must be 0 (per epoch) or more")
    if not (math.isfinite(settings.learning_rate) and settings.learning_rate > 0):
        raise SteelSegError(f"learning rate {settings.learning_rate}: must be a finite number > 0")
    if not (math.isfinite(settings.weight_decay) and settings.weight_decay >= 0):
        raise SteelSegError(f"weight decay {settings.weight_decay}: must be a finite number ≥ 0")


def train_network(
    items: list[LabelledImage],
    classes: ClassTable,
    settings: TrainSettings,
    folder: str | Path,
    plan: TilePlan | None = None,
    resume: str | Path | None = None,
) -> Job[TrainResult]:
    """Train ``settings.architecture`` on ``items`` and keep the best model in ``folder`` (a job)."""
    check_settings(settings)
    check_labelled(items, classes)
    plan = plan or plan_tiles(items, settings.tile, seed=settings.seed)
    if not plan.parts["train"] or not plan.parts["validation"]:
        raise SteelSegError(
            "training needs tiles in both the training and the validation part: give at least "
            "two labelled images, or split by tile"
        )
    folder = check_writable_bundle_path(folder)
    checkpoint = _checked_checkpoint(Path(resume), settings) if resume is not None else None
    yield TrainProgress(0, 1, f"building {settings.architecture}")
    run = _Run(items, classes, settings, plan)
    if checkpoint is not None:
        _resume(run, checkpoint, Path(resume))
    stopped = "completed"
    try:
        stopped = yield from _epochs(run, folder)
    except GeneratorExit:
        _keep_something(run, folder)
        raise
    metrics = yield from _final_metrics(run)
    _publish(run, folder, metrics, stopped)
    return TrainResult(folder, stopped, run.best_epoch, run.history, metrics)


def _epochs(run: _Run, folder: Path) -> Job[str]:
    settings, refs = run.settings, run.plan.parts["train"]
    per_epoch = -(-len(refs) // settings.batch_size)
    run.total = per_epoch * settings.epochs
    while run.epoch < settings.epochs:
        run.epoch += 1
        rng = epoch_rng(settings.seed, run.epoch)
        order = [refs[k] for k in rng.permutation(len(refs))]
        losses, confusion, started, seen = [], np.zeros((len(run.classes),) * 2, np.int64), time.perf_counter(), 0
        for b in range(per_epoch):
            chunk = order[b * settings.batch_size : (b + 1) * settings.batch_size]
            # Batch norm after global pooling (DeepLabV3+'s ASPP) cannot train on a single tile.
            x, y = run.batches.batch(chunk + order[: max(0, 2 - len(chunk))], rng)
            loss, counts = run.step(x, y)
            losses.append(loss)
            confusion += counts
            seen += len(x)
            run.done = (run.epoch - 1) * per_epoch + b + 1
            yield run.progress(f"epoch {run.epoch}/{settings.epochs}, batch {b + 1}/{per_epoch}, loss {loss:.4f}")
            if settings.validate_every and run.done % settings.validate_every == 0 and b + 1 < per_epoch:
                yield from _validate(run, folder, {"epoch": run.epoch - 1 + (b + 1) / per_epoch})
        train = summarise(float(np.mean(losses)), confusion, run.classes)
        row = {
            "epoch": run.epoch,
            **{f"train_{k}": v for k, v in train.items()},
            "seconds": round(time.perf_counter() - started, 2),
            "tiles_per_second": round(seen / max(time.perf_counter() - started, 1e-9), 3),
        }
        if (yield from _validate(run, folder, row)):
            return "early stopping"
    return "completed"


def _validate(run: _Run, folder: Path, row: dict) -> Job[bool]:
    """Validate, log a history row, keep the best weights; True when patience has run out."""
    validation = yield from run.evaluate("validation")
    row = {**row, **{f"val_{k}": v for k, v in validation.items()}}
    run.history.append(row)
    if validation["loss"] is not None and validation["loss"] < run.best_loss:
        run.best_loss, run.best_epoch, run.bad_validations = validation["loss"], row["epoch"], 0
        run.best_state = copy.deepcopy(run.network.state_dict())
    else:
        run.bad_validations += 1
    _publish(run, folder, _best_metrics(run), "training")
    yield run.progress(
        f"epoch {row['epoch']:g}: validation loss {_format(validation['loss'])}, "
        f"mean IoU {_format(validation['mean_iou'])}"
    )
    return run.bad_validations >= run.settings.patience


def _format(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _best_metrics(run: _Run) -> dict:
    """Validation metrics of the best epoch so far ({} before any)."""
    best = next((row for row in run.history if row["epoch"] == run.best_epoch), {})
    return {k: v for k, v in best.items() if k.startswith("val_")}


def _final_metrics(run: _Run) -> Job[dict]:
    """Validation metrics of the best epoch, and test metrics of the best weights when there is a test part."""
    if run.best_state is not None:
        run.network.load_state_dict(run.best_state)
    metrics = _best_metrics(run)
    if run.plan.parts["test"]:
        test = yield from run.evaluate("test")
        metrics.update({f"test_{k}": v for k, v in test.items()})
    return metrics


def _keep_something(run: _Run, folder: Path) -> None:
    """On cancel: publish the best weights, or the current ones when no validation ran yet."""
    stopped = "cancelled" if run.best_epoch is not None else "cancelled before the first validation"
    _publish(run, folder, _best_metrics(run), stopped)


def _publish(run: _Run, folder: Path, metrics: dict, stopped: str) -> None:
    """Replace the model folder as a whole: config, best weights (the current ones before any
    validation), history, curves and the resume checkpoint, so it is never seen half-written."""

    def history_and_checkpoint(staging: Path) -> None:
        write_history(staging, run.history)
        write_checkpoint(staging, run.checkpoint())

    save_net(run.best_state or run.network, run.config(metrics, stopped), folder, history_and_checkpoint)


def _checked_checkpoint(path: Path, settings: TrainSettings) -> Checkpoint:
    """The checkpoint to resume from, validated before any data is prepared or network built."""
    state = read_checkpoint(path)
    if state.architecture != settings.architecture:
        raise ModelError(f"{path}: checkpoint of {state.architecture}, not {settings.architecture}")
    return state


def _resume(run: _Run, state: Checkpoint, path: Path) -> None:
    """Load the checkpoint into the run; every tensor is checked against the network first, so a
    checkpoint that does not fit stops here and never in the middle of training."""
    try:
        for weights in (state.best_model, state.model):
            if weights:
                run.network.load_state_dict(weights)
        _check_optimiser_state(run, state.optimiser.get("state", {}))
        run.optimiser.load_state_dict(state.optimiser)
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: the checkpoint does not fit this network and data ({exc})") from exc
    if not all(torch.isfinite(t).all() for t in run.network.state_dict().values() if t.is_floating_point()):
        raise ModelError(f"{path}: the checkpoint's weights hold NaN or infinite values; training cannot go on from it")
    run.epoch, run.history = state.epoch, state.history
    run.best_loss, run.bad_validations = state.best_loss, state.bad_validations
    run.best_epoch = state.best_epoch
    run.best_state = state.best_model or None


def _check_optimiser_state(run: _Run, state: dict) -> None:
    params = [p for group in run.optimiser.param_groups for p in group["params"]]
    for index, slots in state.items():
        if not 0 <= int(index) < len(params):
            raise ValueError(f"optimiser state for parameter {index}, but the network has {len(params)}")
        for slot, tensor in slots.items():
            if slot != "step" and (tensor.shape != params[int(index)].shape or not tensor.is_floating_point()):
                raise ValueError(f"optimiser {slot} of parameter {index} has shape {tuple(tensor.shape)}")
