"""The folder segmentation outputs go to, and which files in it are SteelSeg's.

Every input gets its own output name (``STEM``, a safe name): inputs with the same stem
(``a1.png``, ``a1.tif``, ``other/a1.png``) become ``a1``, ``a1-2``, ``a1-3``, and an input keeps its
name on later runs. ``records/STEM.json`` records the input, the model's fingerprint and the files
written, so a rerun skips an image only when the same model already segmented the same file, and
SteelSeg only ever replaces files it recorded: a name whose files exist without a record is
never used, and an output folder that holds the inputs themselves is refused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from steelseg_gui.core.atomic import atomic_write_json
from steelseg_gui.core.documents import check_safe_name, safe_name_from
from steelseg_gui.core.errors import OutputError

RECORDS = "records"
LOCK_FILE = ".steelseg.lock"
TABLES = ("phase_fractions.csv", "summary.json", "errors.csv")
OUTPUT_SUFFIXES = (".png", "_probabilities.tif", "_uncertainty.tif", "_overlay.png")


@dataclass
class Assignment:
    """One input's output name; ``previous`` is its record from an earlier run (or None)."""

    path: Path
    name: str
    previous: dict | None = None

    @property
    def renamed(self) -> bool:
        return self.name != self.path.stem


def input_stamp(path: Path) -> dict:
    """Size and modification time of an input file: a changed file is segmented again."""
    status = os.stat(path)
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


def check_output_folder(out: str | Path) -> Path:
    """``out`` when it is a folder or absent (a file there is refused), checked before any work."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder; give a folder for the outputs with --out")
    return out


class OutputFolder:
    """An output folder: ``out`` must be a folder (created when absent), not a file."""

    def __init__(self, out: str | Path):
        self.root = check_output_folder(out)
        self.root.mkdir(parents=True, exist_ok=True)
        self.records = self.root / RECORDS
        self._check_records_inside()
        self.used_before = self.records.is_dir()
        self.lock = FileLock(str(self.root / LOCK_FILE), timeout=120)

    def assign(self, inputs: list[Path]) -> list[Assignment]:
        """A unique output name for every input (an input named twice counts once), claimed with a
        record at once so that a concurrent run into the same folder picks other names."""
        self._refuse_inputs_inside(inputs)
        with self.lock:
            self.records.mkdir(exist_ok=True)
            records = self.read_records()
            by_source = {record["source"]: name for name, record in records.items() if record.get("source")}
            taken = {name.lower() for name in records}
            assignments, seen = [], set()
            for path in inputs:
                source = str(path.resolve())
                if source in seen:
                    continue
                seen.add(source)
                name = by_source.get(source)
                if name is None:
                    name = self._free_name(path.stem, taken)
                    atomic_write_json(
                        self.records / f"{name}.json", {"name": name, "path": str(path), "source": source}
                    )
                taken.add(name.lower())
                assignments.append(Assignment(path, name, records.get(name)))
        return assignments

    def read_records(self) -> dict[str, dict]:
        """The records in ``records/`` by output name (unreadable ones are ignored, their names kept)."""
        records = {}
        for path in sorted(self.records.glob("*.json")) if self.records.is_dir() else []:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                record = {}
            records[path.stem] = record if isinstance(record, dict) else {}
        return records

    def record_path(self, name: str) -> Path:
        return self.records / f"{check_safe_name(name)}.json"

    def check_tables_writable(self) -> None:
        """Refuse to replace ``phase_fractions.csv``, ``summary.json`` or ``errors.csv`` that were in
        the folder before SteelSeg ever wrote into it."""
        if self.used_before:
            return
        foreign = [name for name in TABLES if (self.root / name).exists()]
        if foreign:
            raise OutputError(
                f"{self.root / foreign[0]}: exists and was not written by SteelSeg; choose another output folder"
            )

    def _free_name(self, stem: str, taken: set[str]) -> str:
        base = safe_name_from(stem)
        candidate, n = base, 2
        while candidate.lower() in taken or any((self.root / f"{candidate}{s}").exists() for s in OUTPUT_SUFFIXES):
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _check_records_inside(self) -> None:
        if self.records.is_symlink() or (self.records.exists() and not self.records.is_dir()):
            raise OutputError(f"{self.records}: is not SteelSeg's records folder; choose another output folder")

    def _refuse_inputs_inside(self, inputs: list[Path]) -> None:
        root = self.root.resolve()
        inside = [path for path in inputs if path.resolve().parent == root]
        if inside:
            raise OutputError(
                f"{self.root}: holds the input {inside[0].name}; write the outputs to another folder, "
                "so that no micrograph can be mistaken for an output or replaced"
            )
