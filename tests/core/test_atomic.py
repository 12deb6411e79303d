"""Atomic writes: leftovers of killed writers are cleaned up by the next one (and only those),
a replaced folder whose successor never arrived comes back, folders get normal permissions."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from steelseg_gui.core import atomic
from steelseg_gui.core.atomic import (
    FILE_MODE,
    FOLDER_MODE,
    OLD_SUFFIX,
    atomic_copy,
    atomic_folder,
    atomic_write,
    atomic_write_json,
    remove_stale_temporaries,
)


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_writers_are_removed_and_nothing_else(tmp_path, dead_pid):
    stale_file = tmp_path / f".mask.png.0badf00d.{dead_pid}.steelseg-tmp"
    stale_file.write_bytes(b"half a png")
    stale_folder = tmp_path / f".model.deadbeef.{dead_pid}.steelseg-tmp"
    stale_folder.mkdir()
    (stale_folder / "weights.safetensors").write_bytes(b"half")
    live = tmp_path / f".other.png.12345678.{os.getpid()}.steelseg-tmp"
    live.write_bytes(b"being written")
    mine = [tmp_path / ".notes.txt.tmp", tmp_path / "draft.steelseg-tmp", tmp_path / f".x.abcdefgh.{dead_pid}.tmp"]
    for path in mine:
        path.write_text("the user's")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale_file, stale_folder])
    assert live.exists() and all(path.read_text() == "the user's" for path in mine)


def test_a_folder_moved_aside_comes_back_when_its_successor_never_arrived(tmp_path, dead_pid):
    old = tmp_path / f".model.0a0b0c0d.{dead_pid}{OLD_SUFFIX}"
    old.mkdir()
    (old / "config.json").write_text("{}")
    remove_stale_temporaries(tmp_path)
    assert (tmp_path / "model" / "config.json").read_text() == "{}" and not old.exists()
    again = tmp_path / f".model.0a0b0c0e.{dead_pid}{OLD_SUFFIX}"
    again.mkdir()
    remove_stale_temporaries(tmp_path)  # the model is in place now: the old copy is just removed
    assert not again.exists() and (tmp_path / "model" / "config.json").exists()


def test_folder_replacement_keeps_the_old_folder_until_the_new_one_is_complete(tmp_path):
    target = tmp_path / "model"

    def private_file(staging):
        (staging / "config.json").write_text("1")
        os.chmod(staging / "config.json", 0o600)  # as safetensors creates its files

    atomic_folder(target, private_file)

    def fail(staging):
        (staging / "config.json").write_text("2")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        atomic_folder(target, fail)
    assert (target / "config.json").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert target.stat().st_mode & 0o777 == FOLDER_MODE and FOLDER_MODE != 0o700
    assert (target / "config.json").stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK


def test_a_full_disk_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    atomic_write_json(target, {"a": 1})

    def half_then_full(handle):
        handle.write(b'{"a": 2, "b"')
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, half_then_full)
    assert target.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    assert target.stat().st_mode & 0o777 == FILE_MODE


def test_copy_is_atomic_and_keeps_the_modification_time(tmp_path):
    source = tmp_path / "a.tif"
    source.write_bytes(b"x" * 3_000_000)
    os.utime(source, ns=(1_000_000_000, 2_000_000_000))
    copy = atomic_copy(source, tmp_path / "images" / "a.tif")
    assert copy.read_bytes() == source.read_bytes() and copy.stat().st_mtime_ns == 2_000_000_000


def test_json_is_always_standard(tmp_path):
    atomic_write_json(tmp_path / "h.json", {"loss": float("nan"), "rows": [float("inf"), 1.5]})
    assert (tmp_path / "h.json").read_text() == '{\n  "loss": null,\n  "rows": [\n    null,\n    1.5\n  ]\n}\n'
