"""Training nets in a separate process, so that a crash or running out of memory never takes the
caller (the GUI) down with it.

The child process trains each requested network in turn with :func:`train_network` and sends
small messages through a queue; the parent polls them. Cancel sets an event that the child
checks after every batch: it then closes the job, which keeps the best checkpoint.

Messages are tuples: ``("started", architecture, folder)``, ``("progress", done, total, message,
epoch, history)``, ``("finished", architecture, folder, stopped, metrics)``, ``("error", message)``
and, last, ``("done",)``.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

from steelseg_gui.core.jobs import JobCancelled, run_job
from steelseg_gui.core.nets.settings import TrainSettings

POLL_LIMIT = 200


@dataclass
class TrainingRequest:
    """Networks to train one after another on a project's masks; each gets ``models/<name>``."""

    project_folder: str
    settings: list[TrainSettings]
    folders: list[str]
    include_auto: bool = False
    threads: int | None = None


@dataclass
class TrainingEvents:
    """What :meth:`TrainingProcess.poll` collected since the last call."""

    messages: list[tuple] = field(default_factory=list)
    crashed: str | None = None


def _child(request: TrainingRequest, messages, cancel) -> None:  # pragma: no cover - runs in the child
    import torch

    from steelseg_gui.core.errors import SteelSegError
    from steelseg_gui.core.nets.training import train_network
    from steelseg_gui.core.nets.training_data import project_training_images
    from steelseg_gui.core.project.folder import Project

    if request.threads:
        torch.set_num_threads(request.threads)
    try:
        project = Project.open(request.project_folder)
        items = project_training_images(project, request.include_auto)
        for settings, folder in zip(request.settings, request.folders):
            if cancel.is_set():
                break
            messages.put(("started", settings.architecture, folder))
            result = _train_one(train_network(items, project.classes, settings, folder), messages, cancel)
            stopped = "cancelled" if result is None else result.stopped
            metrics = {} if result is None else result.metrics
            messages.put(("finished", settings.architecture, folder, stopped, metrics))
    except SteelSegError as exc:
        messages.put(("error", str(exc)))
    except Exception as exc:
        messages.put(("error", f"training failed: {type(exc).__name__}: {exc}"))
    finally:
        messages.put(("done",))


def _train_one(job, messages, cancel):  # pragma: no cover - runs in the child
    """Run one training job, forwarding its progress; None when cancelled (the best model is kept)."""
    forward = _ProgressForwarder(messages)
    try:
        return run_job(job, forward, cancel.is_set)
    except JobCancelled:
        return None


class _ProgressForwarder:  # pragma: no cover - runs in the child
    """Sends a training report to the parent at most every 0.1 s, and always when the history grew."""

    def __init__(self, messages):
        self.messages = messages
        self.history_length, self.last_sent = -1, 0.0

    def __call__(self, report) -> None:
        history = report.history if len(report.history) != self.history_length else None
        now = time.monotonic()
        if history is not None or now - self.last_sent > 0.1:
            self.history_length, self.last_sent = len(report.history), now
            self.messages.put(
                (
                    "progress",
                    report.done,
                    report.total,
                    report.message,
                    report.epoch,
                    None if history is None else [dict(row) for row in history],
                )
            )


class TrainingProcess:
    """One training process at a time: :meth:`start`, :meth:`poll` often, :meth:`cancel` if asked."""

    def __init__(self):
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._messages = None
        self._cancel = None
        self._done = False

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, request: TrainingRequest) -> None:
        for folder in request.folders:
            Path(folder).parent.mkdir(parents=True, exist_ok=True)
        self._messages = self._context.Queue()
        self._cancel = self._context.Event()
        self._done = False
        self._process = self._context.Process(
            target=_child, args=(request, self._messages, self._cancel), name="steelseg-training", daemon=True
        )
        self._process.start()

    def cancel(self) -> None:
        """Ask the child to stop after its current batch (it keeps the best checkpoint)."""
        if self._cancel is not None:
            self._cancel.set()

    def poll(self) -> TrainingEvents:
        """Messages received so far; ``crashed`` says why when the child died without saying done."""
        events = TrainingEvents()
        if self._process is None:
            return events
        for _ in range(POLL_LIMIT):
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                break
            events.messages.append(message)
            self._done = self._done or message[0] == "done"
        if self._done:
            # The child exits on its own after "done" (tearing torch down can take a second); it is
            # not waited for, so that the caller's event loop never blocks.
            self._process = None
        elif not self._process.is_alive():
            code = self._process.exitcode
            reason = "killed, probably out of memory" if code in (-9, 137) else f"exit code {code}"
            events.crashed = (
                f"the training process stopped unexpectedly ({reason}); the best model saved so far is kept"
            )
            self._process = None
        return events

    def stop(self, timeout_s: float = 10.0) -> None:
        """Cancel and wait for the child; kill it if it does not stop in ``timeout_s`` (window closing)."""
        if self._process is None:
            return
        self.cancel()
        self._process.join(timeout_s)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(2)
        self._process = None
