"""Batch segmentation of folders of micrographs: masks, phase fractions with confidence, errors.

Each image is one task (:func:`segment_file`): read, segment, write its outputs
(:mod:`steelseg_gui.core.segment.outputs`) and a record ``records/STEM.json`` (fractions or the
error). A rerun skips images whose record says done. Tasks run in this process or, given a
scheduler address, on a Dask distributed cluster. At the end ``phase_fractions.csv``,
``summary.json`` and ``errors.csv`` (failed images with the reason) are written from all records.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.errors import MicrographError, SteelSegError
from steelseg_gui.core.imaging.micrograph import is_micrograph_file, read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress, run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.summary import measure_field, summarise
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.core.segment.outputs import OutputOptions, write_outputs

RECORDS = "records"


@dataclass
class BatchOptions:
    """What to write besides the masks, where the model runs, and the pixel size (µm/px) of images
    whose files do not state it."""

    outputs: OutputOptions = field(default_factory=OutputOptions)
    device: str = "auto"
    pixel_size_um: float | None = None


@dataclass
class BatchReport:
    """Records of every image (done, skipped because already done, or failed) and the summary."""

    records: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r.get("error")]


def input_files(paths: list[str | Path]) -> list[Path]:
    """Micrograph files named directly or found (not recursively) in the folders named."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and is_micrograph_file(p))
        else:
            files.append(path)
    if not files:
        raise MicrographError(f"no micrographs found in {', '.join(map(str, paths))}")
    return files


def segment_file(model: str, path: str, out: str, options: BatchOptions) -> dict:
    """Segment one file and write its outputs and record; never raises for a bad image (the record says why)."""
    record = {"name": Path(path).stem, "path": str(path)}
    try:
        segmenter = load_segmenter(model, options.device)
        micrograph = read_micrograph(path)
        result = run_job(segmenter.segment(to_float01(micrograph.data), Path(path).name))
        write_outputs(Path(out), record["name"], micrograph.data, result, segmenter.classes, options.outputs)
        pixel_size = options.pixel_size_um or micrograph.pixel_size_um
        record.update(measure_field(result.labels, segmenter.classes, pixel_size))
    except SteelSegError as exc:
        record["error"] = str(exc)
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:  # one image's failure, not the batch's
        record["error"] = f"{Path(path).name}: {type(exc).__name__}: {exc}"
    atomic_write_json(Path(out) / RECORDS / f"{record['name']}.json", record)
    return record


def segment_batch(
    model: str | Path,
    inputs: list[str | Path],
    out: str | Path,
    options: BatchOptions | None = None,
    scheduler: str | None = None,
) -> Job[BatchReport]:
    """Segment every input file into ``out`` (a job); images with a done record are skipped."""
    options = options or BatchOptions()
    from steelseg_gui.core.resources import resolve_model

    model, out = str(resolve_model(model)), Path(out)
    classes = load_segmenter(model, options.device).classes  # checks the model before any image is read
    files = input_files(inputs)
    out.mkdir(parents=True, exist_ok=True)
    records, todo = {}, []
    for path in files:
        previous = _done_record(out, path)
        if previous is None:
            todo.append(path)
        else:
            records[path.stem] = {**previous, "skipped": True}
    yield Progress(len(records), len(files), f"{len(records)} images already done, {len(todo)} to segment")
    tasks = (
        _run_distributed(model, todo, out, options, scheduler)
        if scheduler
        else (segment_file(model, str(p), str(out), options) for p in todo)
    )
    for record in tasks:
        records[record["name"]] = record
        yield Progress(len(records), len(files), f"{record['name']}: " + ("failed" if record.get("error") else "done"))
    ordered = [records[p.stem] for p in files]
    report = BatchReport(ordered, summarise(ordered, classes))
    write_tables(out, report, classes)
    return report


def _done_record(out: Path, path: Path) -> dict | None:
    record_path = out / RECORDS / f"{path.stem}.json"
    if not record_path.is_file() or not (out / f"{path.stem}.png").is_file():
        return None
    try:
        record = json.loads(record_path.read_text())
    except (json.JSONDecodeError, OSError):
        return None
    return record if "fractions" in record and not record.get("error") else None


def _run_distributed(model: str, files: list[Path], out: Path, options: BatchOptions, scheduler: str):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise SteelSegError("--scheduler needs the 'distributed' package: pip install distributed") from exc
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SteelSegError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc
    try:
        futures = client.map(
            segment_file,
            [model] * len(files),
            [str(p) for p in files],
            [str(out)] * len(files),
            [options] * len(files),
            pure=False,
        )
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()


def write_tables(out: Path, report: BatchReport, classes: ClassTable) -> None:
    """``phase_fractions.csv`` (one row per image), ``summary.json`` and ``errors.csv``."""
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(
        [
            "image",
            *[f"{n} fraction" for n in classes.names],
            "pixel size (um/px)",
            "ferrite-region intercept (mm)",
            "ASTM E112 G (lower bound)",
        ]
    )
    for r in report.records:
        if r.get("fractions"):
            writer.writerow(
                [
                    r["name"],
                    *[f"{r['fractions'][n]:.6f}" for n in classes.names],
                    r.get("pixel_size_um") or "",
                    r.get("ferrite_intercept_mm", ""),
                    r.get("astm_grain_size_number", ""),
                ]
            )
    atomic_write_bytes(out / "phase_fractions.csv", rows.getvalue().encode())
    atomic_write_json(out / "summary.json", report.summary)
    errors = io.StringIO()
    error_writer = csv.writer(errors, lineterminator="\n")
    error_writer.writerow(["image", "reason"])
    error_writer.writerows([r["path"], r["error"]] for r in report.failed)
    atomic_write_bytes(out / "errors.csv", errors.getvalue().encode())
