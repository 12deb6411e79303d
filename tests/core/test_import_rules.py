"""steelseg_gui.core must never import Qt, qtpy or napari (the model/view rule)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import steelseg_gui.core

FORBIDDEN = ("qtpy", "PySide6", "PyQt5", "PyQt6", "napari", "superqt", "magicgui", "vispy")
CORE = Path(steelseg_gui.core.__file__).parent
CORE_MODULES = sorted("steelseg_gui.core." + ".".join(p.relative_to(CORE).with_suffix("").parts).removesuffix(".__init__")
                      for p in CORE.rglob("*.py") if p != CORE / "__init__.py")


def test_core_modules_exist():
    assert "steelseg_gui.core.imaging.micrograph" in CORE_MODULES and "steelseg_gui.core.project.folder" in CORE_MODULES


def test_core_source_has_no_gui_import_statement():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_loads_no_gui_package():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in ["steelseg_gui.core", *CORE_MODULES]) +
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
