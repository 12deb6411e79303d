"""Running core jobs (generators of Progress) in superqt workers (what napari's thread_worker wraps),
with a progress bar and Cancel. superqt's own create_worker is used because napari's registers every
worker with the window's task list, which keeps finished workers (and our widgets) alive."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from napari.utils.notifications import show_error
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QLabel, QProgressBar
from superqt.utils import GeneratorWorker, create_worker

from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.jobs import Job, Progress

log = logging.getLogger("steelseg")
PROGRESS_STEPS = 1000


class JobRunner(QObject):
    """Runs one core job at a time off the GUI thread.

    Progress reports drive ``progress_bar`` and ``status``; the job's return value goes to the
    ``on_done`` callback given to :meth:`start` (on the GUI thread). Errors are shown in napari and
    kept in ``owner.last_error``; nothing the user made is touched. :meth:`cancel` stops the job at
    its next progress report. ``finished`` is emitted after every job, whatever its outcome.
    """

    finished = Signal()

    def __init__(self, owner, progress_bar: QProgressBar, status: QLabel, parent: QObject | None = None):
        super().__init__(parent)
        self.owner = owner
        self.progress_bar = progress_bar
        self.status = status
        self.worker: GeneratorWorker | None = None
        self.cancelled = False
        progress_bar.setRange(0, PROGRESS_STEPS)

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, job: Job, on_done: Callable[[Any], None], description: str) -> bool:
        """Start ``job``; False (and nothing started) when another job is still running."""
        if self.running:
            return False
        self.cancelled = False
        self.status.setText(description + "…")
        self.progress_bar.setValue(0)

        def run():
            return (yield from job)

        worker = create_worker(run, _start_thread=False, _ignore_errors=True)  # errors are shown by _on_error
        worker.yielded.connect(self._on_progress)
        worker.returned.connect(on_done)
        worker.errored.connect(lambda exc: self._on_error(exc, description))
        worker.aborted.connect(self._on_aborted)
        worker.finished.connect(self._on_finished)
        self.worker = worker
        worker.start()
        return True

    def cancel(self) -> None:
        if self.worker is not None:
            self.cancelled = True
            self.status.setText("cancelling…")
            self.worker.quit()

    def wait(self, timeout_ms: int = 60000) -> None:
        """Block until the current job ends (used when the widget closes)."""
        if self.worker is not None:
            self.worker.await_workers(timeout_ms)

    def _on_progress(self, report: Progress) -> None:
        if isinstance(report, Progress):
            self.progress_bar.setValue(int(report.fraction * PROGRESS_STEPS))
            self.status.setText(report.message)

    def _on_error(self, exc: Exception, description: str) -> None:
        message = str(exc) if isinstance(exc, SteelSegError) else f"{description} failed: {type(exc).__name__}: {exc}"
        if not isinstance(exc, SteelSegError):
            log.error(message, exc_info=exc)
        self.owner.last_error = message
        self.status.setText(message)
        show_error(message)

    def _on_aborted(self) -> None:
        self.status.setText("cancelled")

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        # superqt keeps a finished worker in its class-level set until a later queued signal; until
        # then it must not hold our slots (and through them this widget and the whole viewer).
        for signal in (worker.yielded, worker.returned, worker.errored, worker.aborted, worker.finished):
            signal.disconnect()
        self.finished.emit()
