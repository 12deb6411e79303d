"""Batch segmentation of folders of micrographs: masks, phase fractions with confidence, errors.

Each image is one task (:func:`segment_file`): read, segment, write ``STEM.png`` (labels 1..K),
optionally ``STEM_probabilities.tif`` ``(K, H, W)`` float32 and ``STEM_overlay.png``, and a
record ``records/STEM.json`` (fractions or the error). A rerun skips images whose record says
done. Tasks run in this process or, given a scheduler address, on a Dask distributed cluster.
At the end ``phase_fractions.csv``, ``summary.json`` and ``errors.csv`` (failed images with the
reason) are written from all records.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from steelseg_gui.core.atomic import atomic_write, atomic_write_bytes, atomic_write_json
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.errors import MicrographError, SteelSegError
from steelseg_gui.core.quantify.fractions import area_fractions, ferrite_intercept, fraction_statistics, lever_rule_carbon
from steelseg_gui.core.imaging.micrograph import is_micrograph_file, read_micrograph, to_float01, write_label_image
from steelseg_gui.core.jobs import Job, Progress, run_job

RECORDS = "records"
_SEGMENTERS: dict[tuple[str, str], object] = {}


@dataclass
class BatchOptions:
    """What to write besides the masks, and where the model runs."""

    probabilities: bool = False
    overlay: bool = False
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
        segmenter = _segmenter(model, options.device)
        micrograph = read_micrograph(path)
        labels_job = segmenter.segment(to_float01(micrograph.data), Path(path).name)
        result = run_job(labels_job)
        _write_outputs(Path(out), record["name"], micrograph.data, result, segmenter.classes, options)
        pixel_size = options.pixel_size_um or micrograph.pixel_size_um
        record.update(_measurements(result.labels, segmenter.classes, pixel_size))
    except SteelSegError as exc:
        record["error"] = str(exc)
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:   # one image's failure, not the batch's
        record["error"] = f"{Path(path).name}: {type(exc).__name__}: {exc}"
    atomic_write_json(Path(out) / RECORDS / f"{record['name']}.json", record)
    return record


def _segmenter(model: str, device: str):
    """One loaded model per worker process, kept for the following images."""
    from steelseg_gui.core.segment.sliding_window import load_segmenter
    key = (model, device)
    if key not in _SEGMENTERS:
        _SEGMENTERS[key] = load_segmenter(model, device)
    return _SEGMENTERS[key]


def _write_outputs(out: Path, stem: str, raw: np.ndarray, result, classes: ClassTable, options: BatchOptions) -> None:
    write_label_image(out / f"{stem}.png", result.labels)
    if options.probabilities:
        import tifffile
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, np.ascontiguousarray(result.probabilities.transpose(2, 0, 1)))
        atomic_write_bytes(out / f"{stem}_probabilities.tif", buffer.getvalue())
    if options.overlay:
        from PIL import Image
        overlay = overlay_image(raw, result.labels, classes)
        atomic_write(out / f"{stem}_overlay.png", lambda handle: Image.fromarray(overlay).save(handle, format="PNG"))


def overlay_image(raw: np.ndarray, labels: np.ndarray, classes: ClassTable, alpha: float = 0.4) -> np.ndarray:
    """``(H, W, 3)`` uint8: the micrograph in grey with each class's colour blended in at ``alpha``."""
    grey = to_float01(raw).mean(axis=2)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    for phase in classes:
        inside = labels == phase.value
        rgb[inside] = (1 - alpha) * rgb[inside] + alpha * np.asarray(phase.rgba()[:3], np.float32)
    return np.round(rgb * 255).astype(np.uint8)


def _measurements(labels: np.ndarray, classes: ClassTable, pixel_size_um: float | None) -> dict:
    fractions = area_fractions(labels, classes)
    record = {"fractions": fractions, "pixel_size_um": pixel_size_um, "width": labels.shape[1], "height": labels.shape[0]}
    if "ferrite" in classes.names and pixel_size_um:
        measured = ferrite_intercept(labels, classes.values[classes.names.index("ferrite")], pixel_size_um)
        if measured:
            record["ferrite_intercept_mm"], record["astm_grain_size_number"] = measured
    return record


def segment_batch(model: str | Path, inputs: list[str | Path], out: str | Path, options: BatchOptions | None = None,
                  scheduler: str | None = None) -> Job[BatchReport]:
    """Segment every input file into ``out`` (a job); images with a done record are skipped."""
    options = options or BatchOptions()
    from steelseg_gui.core.resources import resolve_model
    model, out = str(resolve_model(model)), Path(out)
    classes = _segmenter(model, options.device).classes   # checks the model before any image is read
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
    tasks = _run_distributed(model, todo, out, options, scheduler) if scheduler else \
        (segment_file(model, str(p), str(out), options) for p in todo)
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
        futures = client.map(segment_file, [model] * len(files), [str(p) for p in files], [str(out)] * len(files),
                             [options] * len(files), pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()


def summarise(records: list[dict], classes: ClassTable) -> dict:
    """Across the images that succeeded: per class fraction statistics, and the lever-rule carbon estimate."""
    done = [r for r in records if r.get("fractions")]
    summary = {"images": len(records), "segmented": len(done), "failed": len(records) - len(done),
               "classes": {name: fraction_statistics([r["fractions"][name] for r in done]).to_json()
                           for name in classes.names}}
    if {"ferrite", "pearlite"} <= set(classes.names) and done:
        pearlite = summary["classes"]["pearlite"]
        summary["carbon_wt_pct_lever_rule_estimate"] = {
            "mean": lever_rule_carbon(pearlite["mean"]),
            "ci95": None if pearlite["ci95"] is None else lever_rule_carbon(pearlite["ci95"]) - lever_rule_carbon(0),
            "note": "annealed plain hypoeutectoid steel assumed: C ≈ 0.022 + 0.748 · pearlite fraction"}
    grain = [r["astm_grain_size_number"] for r in done if "astm_grain_size_number" in r]
    if grain:
        summary["ferrite_region_astm_grain_size_number"] = {
            **fraction_statistics(grain).to_json(),
            "note": "ASTM E112 intercept of connected ferrite regions; boundaries between touching ferrite "
                    "grains are not in a phase map, so this is a lower bound of G"}
    return summary


def write_tables(out: Path, report: BatchReport, classes: ClassTable) -> None:
    """``phase_fractions.csv`` (one row per image), ``summary.json`` and ``errors.csv``."""
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["image", *[f"{n} fraction" for n in classes.names], "pixel size (um/px)",
                     "ferrite-region intercept (mm)", "ASTM E112 G (lower bound)"])
    for r in report.records:
        if r.get("fractions"):
            writer.writerow([r["name"], *[f"{r['fractions'][n]:.6f}" for n in classes.names], r.get("pixel_size_um") or "",
                             r.get("ferrite_intercept_mm", ""), r.get("astm_grain_size_number", "")])
    atomic_write_bytes(out / "phase_fractions.csv", rows.getvalue().encode())
    atomic_write_json(out / "summary.json", report.summary)
    errors = io.StringIO()
    error_writer = csv.writer(errors, lineterminator="\n")
    error_writer.writerow(["image", "reason"])
    error_writer.writerows([r["path"], r["error"]] for r in report.failed)
    atomic_write_bytes(out / "errors.csv", errors.getvalue().encode())
