"""Batch segmentation of folders of micrographs: masks, phase fractions with confidence, errors.

Each image is one task (:func:`segment_file`): read, segment, write its outputs
(:mod:`steelseg_gui.core.segment.outputs`) and a record ``records/NAME.json`` (fractions or the
error, the input, the model's fingerprint). Output names are unique per input and a rerun skips
only images this model already segmented (:mod:`steelseg_gui.core.segment.output_folder`). Tasks
run in this process or, given a scheduler address, on a Dask distributed cluster. At the end ``phase_fractions.csv``,
``summary.json`` and ``errors.csv`` (failed images with the reason) are written from all records.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.bundle import model_fingerprint
from steelseg_gui.core.errors import MicrographError, SteelSegError
from steelseg_gui.core.imaging.micrograph import is_micrograph_file, read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress, run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.summary import measure_field, summarise
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.core.segment.output_folder import RECORDS, Assignment, OutputFolder, input_stamp
from steelseg_gui.core.segment.outputs import OutputOptions, output_names, write_outputs


@dataclass
class BatchOptions:
    """What to write besides the masks, where the model runs, and the pixel size (µm/px) of images
    whose files do not state it."""

    outputs: OutputOptions = field(default_factory=OutputOptions)
    device: str = "auto"
    pixel_size_um: float | None = None


@dataclass
class BatchReport:
    """Records of every image (done, skipped because already done, or failed), the summary, the
    inputs whose outputs got another name than their stem (input path, output name) and how many
    inputs were named twice (segmented once)."""

    records: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0

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


def segment_file(
    model: str, path: str, out: str, options: BatchOptions, name: str | None = None, fingerprint: str | None = None
) -> dict:
    """Segment one file into the outputs called ``name`` (default: its stem) and write its record;
    never raises for a bad image (the record says why)."""
    record = {"name": name or Path(path).stem, "path": str(path), "source": str(Path(path).resolve())}
    record.update(model=model, model_fingerprint=fingerprint)
    try:
        record["input"] = input_stamp(Path(path))
        segmenter = load_segmenter(model, options.device)
        micrograph = read_micrograph(path)
        result = run_job(segmenter.segment(to_float01(micrograph.data), Path(path).name))
        written = write_outputs(Path(out), record["name"], micrograph.data, result, segmenter.classes, options.outputs)
        record["outputs"] = [p.name for p in written]
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
    """Segment every input file into ``out`` (a job); images this model already segmented are skipped.

    Outputs are named per input (see :mod:`.output_folder`): inputs that share a stem get distinct
    names, listed in the report's ``renamed``.
    """
    options = options or BatchOptions()
    from steelseg_gui.core.resources import resolve_model

    model, out = str(resolve_model(model)), Path(out)
    classes = load_segmenter(model, options.device).classes  # checks the model before any image is read
    fingerprint = model_fingerprint(model)
    files = input_files(inputs)
    folder = OutputFolder(out)
    folder.check_tables_writable()
    assignments = folder.assign(files)
    records, todo = {}, []
    for item in assignments:
        if _already_done(item, fingerprint, out, options.outputs):
            records[item.name] = {**item.previous, "skipped": True}
        else:
            todo.append(item)
    yield Progress(len(records), len(assignments), f"{len(records)} images already done, {len(todo)} to segment")
    tasks = (
        _run_distributed(model, todo, out, options, scheduler, fingerprint)
        if scheduler
        else (segment_file(model, str(a.path), str(out), options, a.name, fingerprint) for a in todo)
    )
    for record in tasks:
        records[record["name"]] = record
        done = len(records)
        yield Progress(done, len(assignments), f"{record['name']}: " + ("failed" if record.get("error") else "done"))
    ordered = [records[a.name] for a in assignments]
    renamed = [(str(a.path), a.name) for a in assignments if a.renamed]
    report = BatchReport(ordered, summarise(ordered, classes), renamed, len(files) - len(assignments))
    write_tables(out, report, classes)
    return report


def _already_done(item: Assignment, fingerprint: str, out: Path, outputs: OutputOptions) -> bool:
    """Done before by this very model on this very file, with every output asked for still there."""
    record = item.previous
    if not record or not record.get("fractions") or record.get("error"):
        return False
    if record.get("model_fingerprint") != fingerprint or record.get("input") != input_stamp(item.path):
        return False
    wanted = output_names(item.name, outputs)
    return set(wanted) <= set(record.get("outputs") or []) and all((out / name).is_file() for name in wanted)


def _run_distributed(
    model: str, todo: list[Assignment], out: Path, options: BatchOptions, scheduler: str, fingerprint: str
):
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
            [model] * len(todo),
            [str(a.path) for a in todo],
            [str(out)] * len(todo),
            [options] * len(todo),
            [a.name for a in todo],
            [fingerprint] * len(todo),
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
            "file",
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
                    r.get("path", ""),
                ]
            )
    atomic_write_bytes(out / "phase_fractions.csv", rows.getvalue().encode())
    atomic_write_json(out / "summary.json", report.summary)
    errors = io.StringIO()
    error_writer = csv.writer(errors, lineterminator="\n")
    error_writer.writerow(["image", "reason"])
    error_writer.writerows([r["path"], r["error"]] for r in report.failed)
    atomic_write_bytes(out / "errors.csv", errors.getvalue().encode())
