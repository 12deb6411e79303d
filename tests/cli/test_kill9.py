"""Kill -9 at random moments of ``project add --copy``, ``rf train`` and ``segment``: the project and
every model folder reopen, nothing half-written remains after the next run.

This runs ``benchmarks/bench_kill9.py`` with two kills per command; the benchmark itself kills
each of the four commands (``train`` too) six times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_kill9.py"


@pytest.mark.slow
def test_killed_commands_leave_everything_reopenable():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--kills", "2", "--commands", "add,rf,segment", "--seed", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 processes killed mid-run" in result.stdout
