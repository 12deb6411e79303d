"""The steelseg command line: project commands, info, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from steelseg_gui.cli import main
from steelseg_gui.core.project.folder import Project
from tests.conftest import write_png


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("project", "info", "demo"):
        assert command in out


def test_project_new_add_info(tmp_path, grey_png, capsys):
    folder = tmp_path / "p"
    assert main(["project", "new", str(folder)]) == 0
    assert main(["project", "add", str(folder), str(grey_png), "--copy", "--pixel-size-um", "0.8"]) == 0
    assert main(["project", "info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "added grey (64×48 px)" in out and "0.8 µm/px" in out and "1 new" in out
    assert Project.open(folder).images[0].path == "images/grey.png"


def test_info_prints_shape_dtype_and_pixel_size(grey_png, capsys):
    assert main(["info", str(grey_png)]) == 0
    assert "grey.png: 64×48 px, uint8 (8-bit), 1 channel(s), pixel size unknown" in capsys.readouterr().out


def test_errors_are_one_line_exit_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"steelseg: error: {tmp_path / 'missing.png'}: file not found"
    assert main(["project", "info", str(tmp_path)]) == 2
    assert "not a SteelSeg project" in capsys.readouterr().err


def test_bad_image_added_via_cli_leaves_project_intact(tmp_path, capsys):
    folder = tmp_path / "p"
    main(["project", "new", str(folder)])
    before = (folder / "project.json").read_bytes()
    tiny = write_png(tmp_path / "tiny.png", np.zeros((1, 1), np.uint8))
    assert main(["project", "add", str(folder), str(tiny)]) == 2
    assert "tiny.png: image is only 1×1 pixels" in capsys.readouterr().err
    assert (folder / "project.json").read_bytes() == before


def test_installed_command_prints_no_traceback(tmp_path):
    bad = tmp_path / "fake.tif"
    bad.write_text("hello")
    result = subprocess.run(
        [sys.executable, "-m", "steelseg_gui.cli", "info", str(bad)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "fake.tif: not a readable TIFF" in result.stderr


def test_demo_runs_the_whole_pipeline_on_bundled_samples(tmp_path, capsys):
    demo = tmp_path / "demo"
    assert main(["demo", "--out", str(demo)]) == 0
    uhcs = Project.open(demo / "uhcs")
    assert len(uhcs.images) == 3 and uhcs.status_counts()["reviewed"] == 3
    assert (uhcs.folder / "models" / "forest" / "forest.safetensors").is_file()
    assert '<table class="metrics">' in (demo / "report_uhcs.html").read_text(encoding="utf-8")
    out = capsys.readouterr().out
    # one project per steel: the fractions and lever-rule carbon of two steels are never pooled
    for grade, nominal in (("sae1020", "0.18–0.23"), ("sae1045", "0.43–0.50")):
        optical = Project.open(demo / grade)
        assert len(optical.images) == 2 and optical.status_counts()["auto"] == 2
        assert all(entry.id.startswith(grade) for entry in optical.images)
        rows = (demo / f"segmentation_{grade}" / "phase_fractions.csv").read_text().splitlines()
        assert len(rows) == 3
        assert f"{grade}: pearlite" in out and f"(nominal {nominal} wt %)" in out
        assert f"report_{grade}.html" in out and f"report_{grade}.pdf" in out
        assert f"Nominal for SAE {grade[3:]}: {nominal} wt %" in (demo / f"report_{grade}.html").read_text("utf-8")
    for name in ("uhcs", "sae1020", "sae1045"):
        page = (demo / f"report_{name}.html").read_text(encoding="utf-8")
        assert '<table class="statistics">' in page and "data:image/png;base64," in page
        assert (demo / f"report_{name}.pdf").read_bytes().startswith(b"%PDF")
