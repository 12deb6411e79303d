"""Progress reports yielded by long jobs.

A long job is a generator: it yields :class:`Progress` objects and ``return``s its result.
The GUI runs it in a napari ``thread_worker`` (progress bar, cancel with ``quit()``), the CLI
draws a tqdm bar, and tests call :func:`run_job` to drive it to the end.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Job = Generator["Progress", None, T]


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps finished; ``message`` says what is being done."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        """Share of the job finished, in [0, 1]."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


def run_job(job: Job[T], on_progress: Callable[[Progress], Any] | None = None) -> T:
    """Drive ``job`` to its end, passing each progress report to ``on_progress``; return its result."""
    while True:
        try:
            report = next(job)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(report)
