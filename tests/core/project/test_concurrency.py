"""One writer at a time: four ``project add --copy`` processes at once, five rounds, lose nothing.

Every process adds files with the same names as the others' (``field0.png`` ... from its own
folder), so ids and copied file names must be chosen under the project lock too.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from steelseg_gui.core.project.folder import Project
from tests.conftest import write_png

PROCESSES, ROUNDS, FILES = 4, 5, 3


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_four_processes_adding_at_once_lose_nothing(tmp_path):
    project = Project.create(tmp_path / "proj")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    sources: dict[str, str] = {}
    for round_ in range(ROUNDS):
        commands = []
        for process in range(PROCESSES):
            folder = tmp_path / f"r{round_}p{process}"
            folder.mkdir()
            files = []
            for index in range(FILES):
                pixels = np.full((32, 40), round_ * 50 + process * 10 + index, np.uint8)
                files.append(write_png(folder / f"field{index}.png", pixels))
                sources[str(files[-1].resolve())] = digest(files[-1])
            commands.append([sys.executable, "-m", "steelseg_gui.cli", "project", "add", str(project.folder), "--copy"])
            commands[-1] += [str(f) for f in files]
        running = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]
        for process in running:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err.decode()
        reopened = Project.open(project.folder)
        expected = PROCESSES * FILES * (round_ + 1)
        assert len(reopened.images) == expected
        assert len({entry.id.lower() for entry in reopened.images}) == expected
        copies = sorted(p.name for p in (project.folder / "images").iterdir())
        assert copies == sorted(Path(entry.path).name for entry in reopened.images)
        assert sorted(digest(reopened.image_path(e)) for e in reopened.images) == sorted(sources.values())
        assert not [p for p in project.folder.rglob("*") if p.name.endswith(".steelseg-tmp")]
