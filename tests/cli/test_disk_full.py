"""A full disk: one line, no traceback, no partial file, in every command that writes.

Real processes run with a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so their writes fail
part-way exactly as on a full disk (EFBIG instead of ENOSPC); a few in-process cases raise
ENOSPC itself.
"""

from __future__ import annotations

import errno
import json
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core import atomic
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic


def limited(limit_bytes: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def run_limited(args: list[str], limit_bytes: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "steelseg_gui.cli", *args],
        capture_output=True,
        text=True,
        preexec_fn=limited(limit_bytes),
        timeout=300,
    )


def error_lines(stderr: str) -> list[str]:
    """The error lines (progress lines, printed when stderr is not a terminal, are not errors);
    the error must be the last line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("steelseg")]
    assert errors and lines[-1] == errors[-1] and "Traceback" not in stderr
    return errors


def leftovers(folder) -> list:
    return [p for p in folder.rglob("*") if p.name.endswith((".steelseg-tmp", ".steelseg-old"))]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    noise = np.random.default_rng(0).integers(0, 255, (1200, 1200), dtype=np.uint8)
    write_png(root / "noise.png", noise)  # about 1.4 MB, incompressible
    synth = small_synthetic(3, 96, 80)
    write_png(root / "m.png", synth.image)
    write_label_image(root / "scr.png", simulate_scribbles(synth.mask, 0.05, 3))
    return root


def test_project_add_copy_on_a_full_disk(data, tmp_path):
    project = Project.create(tmp_path / "p")
    before = (project.folder / "project.json").read_bytes()
    result = run_limited(["project", "add", str(project.folder), str(data / "noise.png"), "--copy"], 400_000)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (error,) = error_lines(result.stderr)
    assert "noise.png" in error and "File too large" in error
    assert list((project.folder / "images").iterdir()) == [] and not leftovers(project.folder)
    assert (project.folder / "project.json").read_bytes() == before


def test_rf_train_on_a_full_disk_leaves_no_model_and_no_staging(data, tmp_path):
    args = ["rf", "train", "--image", str(data / "m.png"), "--scribbles", str(data / "scr.png")]
    result = run_limited([*args, "--out", str(tmp_path / "forest"), "--trees", "100"], 3_000)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (error,) = error_lines(result.stderr)
    assert f"{tmp_path / 'forest'}" in error and "File too large" in error
    assert list(tmp_path.iterdir()) == []


def test_segment_on_a_full_disk_lists_the_image_and_leaves_no_partial_output(data, tmp_path):
    forest = tmp_path / "forest"
    assert main(["rf", "train", "--image", str(data / "m.png"), "--scribbles", str(data / "scr.png"),
                 "--out", str(forest), "--trees", "5"]) == 0  # fmt: skip
    out = tmp_path / "out"
    result = run_limited(
        ["segment", "--model", str(forest), "--out", str(out), "--probabilities", str(data / "m.png")], 20_000
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "File too large" in result.stdout
    assert not (out / "m_probabilities.tif").exists() and not leftovers(out)
    record = json.loads((out / "records" / "m.json").read_text())
    assert "File too large" in record["error"]
    assert main(["segment", "--model", str(forest), "--out", str(out), "--probabilities", str(data / "m.png")]) == 0
    assert (out / "m_probabilities.tif").is_file()  # the next run, with room, finishes the job


def test_enospc_in_process_is_one_line(data, tmp_path, monkeypatch, capsys):
    project = Project.create(tmp_path / "p")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.shutil, "copyfileobj", full)
    assert main(["project", "add", str(project.folder), str(data / "m.png"), "--copy"]) == 2
    err = capsys.readouterr().err
    (error,) = error_lines(err)
    assert "m.png: could not be added (No space left on device)" in error
    assert list((project.folder / "images").iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(atomic.os, "fsync", full)
    assert main(["synth", "--out", str(tmp_path / "s"), "--size", "64x48"]) == 2
    err = capsys.readouterr().err
    (error,) = error_lines(err)
    assert "synth_0000.png: No space left on device; free some space" in error
    assert not leftovers(tmp_path)
