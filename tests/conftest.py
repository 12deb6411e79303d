"""Shared fixtures. Tests that read ../shared/data skip cleanly when it is absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder beside the repository; the test is skipped without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


@pytest.fixture
def grey_png(tmp_path) -> Path:
    """A 64×48 8-bit grey PNG with a gradient."""
    path = tmp_path / "grey.png"
    data = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    Image.fromarray(data).save(path)
    return path


def small_synthetic(seed: int, width: int = 200, height: int = 150):
    """A small synthetic ferrite-pearlite micrograph (0.5 µm/px, 12 µm grains) with its exact mask."""
    from steelseg_gui.core.synthetic.micrographs import generate
    from steelseg_gui.core.synthetic.spec import SynthSpec

    return generate(SynthSpec(width=width, height=height, pixel_size_um=0.5, grain_size_um=12, seed=seed))


def write_png(path: Path, data: np.ndarray) -> Path:
    Image.fromarray(data).save(path)
    return path


_exit_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Exit with pytest's status without finalising the interpreter once Qt was loaded.

    With PySide6 6.12 the garbage collection at interpreter shutdown, after all napari tests
    have passed and been reported, can abort in a C extension ("none_dealloc"), which would
    turn a green run red. Everything pytest reports has been written by now.
    """
    if "PySide6" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
