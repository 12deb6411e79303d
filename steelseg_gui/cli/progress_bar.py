"""Drive a core job (a generator of Progress) with a tqdm progress bar on stderr."""

from __future__ import annotations

from steelseg_gui.core.jobs import Job, Progress, T, run_job


def run_with_bar(job: Job[T], description: str) -> T:
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (a log file, a pipe), only results and errors
    with tqdm(total=1, desc=description, unit="step", leave=False, disable=None) as bar:

        def show(report: Progress) -> None:
            bar.total = max(report.total, 1)
            bar.n = report.done
            bar.set_postfix_str(report.message)
            bar.refresh()

        return run_job(job, show)
