"""``steelseg project``: specimens and metadata from the command line, partial failures reported."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core.project.folder import Project
from tests.conftest import write_png


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "p"
    assert main(["project", "new", str(folder)]) == 0
    return folder


def test_specimens_and_metadata_are_edited_and_shown(folder, grey_png, tmp_path, capsys):
    other = write_png(tmp_path / "other.png", np.zeros((40, 40), np.uint8))
    assert main(["project", "add", str(folder), str(grey_png), "--specimen", "S1", "--copy"]) == 0
    assert main(["project", "add", str(folder), str(other)]) == 0
    assert main(["project", "set", str(folder), "--operator", "Ann", "--etchant", "nital 2 %"]) == 0
    assert (
        main(["project", "specimen", str(folder), "S2", "--grade", "SAE 1045", "--heat-treatment", "annealed", "other"])
        == 0
    )
    assert main(["project", "specimen", str(folder), "S2", "--notes", "edge of the bar"]) == 0
    capsys.readouterr()
    assert main(["project", "info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "operator: Ann" in out and "etchant: nital 2 %" in out and "reviewer" not in out
    assert "[S1]" in out and "[S2]" in out
    assert "specimen 'S2': grade SAE 1045, heat treatment annealed, notes edge of the bar" in out
    assert "specimen 'S1': no details" in out
    assert main(["project", "set", str(folder), "--operator", ""]) == 0
    document = json.loads((folder / "project.json").read_text())
    assert document["metadata"]["operator"] is None and document["metadata"]["etchant"] == "nital 2 %"
    assert {e["id"]: e["specimen"] for e in document["images"]} == {"grey": "S1", "other": "S2"}


def test_some_files_failing_exit_1_all_failing_exit_2(folder, grey_png, tmp_path, capsys):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert main(["project", "add", str(folder), str(broken), str(grey_png)]) == 1
    captured = capsys.readouterr()
    assert "added grey" in captured.out
    assert captured.err.count("\n") == 1 and "broken.png" in captured.err
    assert main(["project", "add", str(folder), str(broken)]) == 2
    assert [e.id for e in Project.open(folder).images] == ["grey"]


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "abc"])
def test_pixel_size_is_checked_before_work(folder, grey_png, value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["project", "add", str(folder), str(grey_png), f"--pixel-size-um={value}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--pixel-size-um" in err and "Traceback" not in err
    assert Project.open(folder).images == []


def test_specimen_of_unknown_image_is_one_line(folder, capsys):
    assert main(["project", "specimen", str(folder), "S1", "ghost"]) == 2
    assert capsys.readouterr().err.strip() == "steelseg: error: project 'p' has no image 'ghost'"
