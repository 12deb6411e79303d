"""Output paths named on the command line: each is checked before any work starts, and refused
when writing it would replace something SteelSeg did not write (a micrograph given as
``--json``, a folder given as ``--out report.html``, a folder of one's own given to ``synth``)."""

from __future__ import annotations

import json
from pathlib import Path

from steelseg_gui.core.errors import OutputError

SNIFF_BYTES = 65536
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def replaceable_file(path: str | Path, signature: bytes | tuple[bytes, ...], what: str) -> Path:
    """``path`` when it is absent or a file SteelSeg wrote before (its first 64 KiB hold
    ``signature``, or every part of it, ignoring case); a folder, a link or any other file is an
    :class:`OutputError`."""
    path = Path(path)
    if path.is_symlink() or path.is_dir():
        raise OutputError(f"{path}: is a {'link' if path.is_symlink() else 'folder'}; give the {what} file to write")
    if path.exists():
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        parts = signature if isinstance(signature, tuple) else (signature,)
        if not all(part.lower() in head.lower() for part in parts):
            raise OutputError(
                f"{path}: exists and is not a {what} SteelSeg wrote; SteelSeg never replaces other files, "
                "choose another name"
            )
    return path


def replaceable_files(folder: str | Path, names: list[str], signature: bytes, what: str) -> Path:
    """``folder`` when it is absent or a folder where each of ``names`` is absent or SteelSeg's own."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; give a folder for the {what}")
    for name in names:
        replaceable_file(folder / name, signature, what)
    return folder


def empty_or_own_folder(folder: str | Path, is_own, what: str) -> Path:
    """``folder`` when it is absent, empty, or ``is_own(folder)`` says SteelSeg filled it before."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; give a folder for the {what}")
    if folder.is_dir() and any(folder.iterdir()) and not is_own(folder):
        raise OutputError(f"{folder}: holds files SteelSeg did not write; give a new or empty folder for the {what}")
    return folder


def synth_folder(folder: Path) -> bool:
    """True for a folder an earlier ``steelseg synth`` wrote (its truth.json says so)."""
    try:
        return json.loads((folder / "truth.json").read_text(encoding="utf-8")).get("generator") == "steelseg synth"
    except (OSError, ValueError, AttributeError):
        return False


def tile_folder(folder: Path) -> bool:
    """True for a folder of exported training tiles (only train/validation/test of PNG files)."""
    parts = {"train", "validation", "test"}
    entries = list(folder.iterdir())
    return all(p.is_dir() and p.name in parts for p in entries) and all(
        f.suffix == ".png" for p in entries for f in p.rglob("*") if f.is_file()
    )
