"""Drive a core job (a generator of Progress) with a progress display on stderr.

On a terminal it is a tqdm bar redrawn in place. When stderr is not a terminal (a log file, CI,
a pipe) carriage returns would pile up into one unreadable line, so plain lines are printed
instead: one when the job starts, one at every further tenth of the work, one after
``LINE_INTERVAL_S`` seconds without a line, and one when it ends, each with the elapsed time.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from steelseg_gui.core.jobs import Job, Progress, T, run_job

LINE_INTERVAL_S = 30.0
LINE_STEPS = 10


def run_with_bar(job: Job[T], description: str, stream: TextIO | None = None) -> T:
    """Run ``job`` to its end, showing its progress on ``stream`` (stderr by default); return its result."""
    stream = stream or sys.stderr
    if _is_terminal(stream):
        return _run_with_tqdm(job, description, stream)
    lines = ProgressLines(description, stream)
    result = run_job(job, lines.show)
    lines.finish()
    return result


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _run_with_tqdm(job: Job[T], description: str, stream: TextIO) -> T:
    from tqdm import tqdm

    with tqdm(total=1, desc=description, unit="step", leave=False, file=stream) as bar:

        def show(report: Progress) -> None:
            bar.total = max(report.total, 1)
            bar.n = report.done
            bar.set_postfix_str(report.message)
            bar.refresh()

        return run_job(job, show)


class ProgressLines:
    """Progress as whole lines, for output that is not a terminal: ``description: 3/10 (30 %) message [12 s]``.

    A line is printed for the first report, for each further tenth of the work, and after
    ``LINE_INTERVAL_S`` seconds without a line (a long step still shows it is alive).
    """

    def __init__(self, description: str, stream: TextIO, clock=time.monotonic):
        self.description, self.stream, self.clock = description, stream, clock
        self.start = clock()
        self.last_time: float | None = None
        self.last_step = -1

    def show(self, report: Progress) -> None:
        step = int(report.fraction * LINE_STEPS)
        now = self.clock()
        if self.last_time is None or step > self.last_step or now - self.last_time >= LINE_INTERVAL_S:
            counts = f"{report.done}/{report.total} ({100 * report.fraction:.0f} %)" if report.total > 0 else "…"
            self._print(f"{counts} {report.message}".rstrip(), now)
            self.last_step = step

    def finish(self) -> None:
        self._print("done", self.clock())

    def _print(self, text: str, now: float) -> None:
        print(f"{self.description}: {text} [{now - self.start:.0f} s]", file=self.stream, flush=True)
        self.last_time = now
