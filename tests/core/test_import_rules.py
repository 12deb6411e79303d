"""steelseg_gui.core must never import Qt, qtpy or napari (the model/view rule)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import steelseg_gui.core

FORBIDDEN = ("qtpy", "PySide6", "PyQt5", "PyQt6", "napari", "superqt", "magicgui", "vispy")
CORE = Path(steelseg_gui.core.__file__).parent
CORE_MODULES = sorted(
    "steelseg_gui.core." + ".".join(p.relative_to(CORE).with_suffix("").parts).removesuffix(".__init__")
    for p in CORE.rglob("*.py")
    if p != CORE / "__init__.py"
)


def test_core_modules_exist():
    assert "steelseg_gui.core.imaging.micrograph" in CORE_MODULES and "steelseg_gui.core.project.folder" in CORE_MODULES


def test_core_source_has_no_gui_import_statement():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_loads_no_gui_package():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in ["steelseg_gui.core", *CORE_MODULES])
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _modules_after(code: str) -> set[str]:
    """Top-level packages imported by ``code`` run in a fresh interpreter."""
    script = code + "\nimport sys\nprint(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(result.stdout.strip().splitlines()[-1].split(","))


def test_the_forest_loads_no_torch():
    loaded = _modules_after(
        "import steelseg_gui.core.forest.bundle, steelseg_gui.core.forest.pixel_forest, "
        "steelseg_gui.core.forest.project_propagation, steelseg_gui.core.segment.loader, "
        "steelseg_gui.core.segment.outputs, steelseg_gui.core.segment.batch"
    )
    assert not loaded & {"torch", "torchvision", "segmentation_models_pytorch", "timm", "skops"}


def test_steelseg_help_imports_no_heavy_library():
    loaded = _modules_after(
        "from steelseg_gui.cli import build_parser\nimport contextlib, io\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser().parse_args(['--help'])"
    )
    assert not loaded & {"torch", "numpy", "sklearn", "scipy", "PIL", "skops", "tqdm"}


def test_importing_steelseg_blocks_triton():
    """triton's LLVM crashes next to Mesa's once napari's canvas exists (see steelseg_gui.process_guard)."""
    code = (
        "import steelseg_gui, importlib.util, sys\n"
        "print(sys.modules['triton'] is None and importlib.util.find_spec('triton') is None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"
