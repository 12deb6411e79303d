"""Long jobs: generators that yield :class:`Progress` reports and ``return`` their result.

The GUI runs a job in a worker thread (progress bar, Cancel closes the generator), the CLI draws
a tqdm bar, the training child process forwards reports to its parent, and tests call
:func:`run_job`. :func:`run_job` is the one loop that drives a job to its end; :func:`within`
lets a job run a sub-job as one of its own steps.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Job = Generator["Progress", None, T]


class JobCancelled(Exception):  # noqa: N818 (a cancel is not an error)
    """Raised by :func:`run_job` when ``cancelled()`` became true; the job was closed."""


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


def run_job(
    job: Job[T], on_progress: Callable[[Progress], Any] | None = None, cancelled: Callable[[], bool] | None = None
) -> T:
    """Drive ``job`` to its end, passing each report to ``on_progress``; return its result.

    After each report ``cancelled()`` is asked: when true the job is closed (its ``finally``
    blocks and ``GeneratorExit`` handlers run, e.g. a training keeps its best model) and
    :class:`JobCancelled` is raised.
    """
    result: list[T] = []
    reports = _reports(job, result)
    for report in reports:
        if on_progress is not None:
            on_progress(report)
        if cancelled is not None and cancelled():
            reports.close()
            raise JobCancelled
    return result[0]


def within(job: Job[T], done: int, total: int) -> Job[T]:
    """Run ``job`` as step ``done`` of ``total`` of a parent job: its messages are passed on at
    the parent's position, and its result is returned (``result = yield from within(...)``)."""
    result: list[T] = []
    for report in _reports(job, result):
        yield Progress(done, total, report.message)
    return result[0]


def _reports(job: Job[T], result: list[T]) -> Job[None]:
    """The reports of ``job``; its return value is appended to ``result`` when it ends."""
    result.append((yield from job))
