"""Progress on the command line stays readable when stderr is a log file or a pipe (CI)."""

from __future__ import annotations

import io
import subprocess
import sys

from steelseg_gui.cli.progress_bar import ProgressLines, run_with_bar
from steelseg_gui.core.jobs import Progress


def _counting_job(steps: int):
    for k in range(steps):
        yield Progress(k + 1, steps, f"item {k + 1}")
    return "result"


def test_not_a_terminal_gives_whole_lines_one_per_tenth():
    stream = io.StringIO()
    assert run_with_bar(_counting_job(1000), "segmenting", stream) == "result"
    text = stream.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and "\x1b" not in text
    assert lines[0].startswith("segmenting: 1/1000 (0 %) item 1 [")
    assert "segmenting: 100/1000 (10 %) item 100 [" in lines[1]
    assert lines[-2].startswith("segmenting: 1000/1000 (100 %) item 1000")
    assert lines[-1].startswith("segmenting: done [")
    assert len(lines) == 12  # first report, ten tenths, done


def test_a_long_step_prints_a_line_every_interval():
    clock = iter([0.0, 0.0, 31.0, 40.0, 75.0, 76.0]).__next__
    stream = io.StringIO()
    lines = ProgressLines("training", stream, clock=clock)
    for done in (0, 0, 0, 0):  # the same step reported four times over 75 s
        lines.show(Progress(done, 3, "epoch 1"))
    lines.finish()
    assert stream.getvalue().splitlines() == [
        "training: 0/3 (0 %) epoch 1 [0 s]",
        "training: 0/3 (0 %) epoch 1 [31 s]",
        "training: 0/3 (0 %) epoch 1 [75 s]",
        "training: done [76 s]",
    ]


def test_installed_command_logs_lines_not_carriage_returns(tmp_path):
    log = tmp_path / "log.txt"
    with log.open("w") as stderr:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "steelseg_gui.cli",
                "synth",
                "--out",
                str(tmp_path / "s"),
                "--count",
                "2",
                "--size",
                "96x64",
            ],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            check=False,
        )
    assert done.returncode == 0
    text = log.read_text()
    assert "\r" not in text
    assert text.splitlines()[-1].startswith("synth: done [")
