"""The content of a report a lab can file, from a project or from prediction/truth folders.

:func:`project_report` (a job) gathers the header, one summary per specimen (per-field table,
statistics, fields needed, carbon, grain size, originals beside overlays), every saved model scored
on the reviewed masks it did not train on, provenance and full configurations; :mod:`.render`
turns it into HTML or PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from steelseg_gui import __version__
from steelseg_gui.core.bundle import read_model_config
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress, within
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.quantify.evaluation import evaluate_folders, mask_files, pair_masks
from steelseg_gui.core.quantify.metrics import SegmentationEvaluator
from steelseg_gui.core.quantify.plots import confusion_figure
from steelseg_gui.core.quantify.sampling import DEFAULT_TARGET_RA_PCT
from steelseg_gui.core.quantify.summary import measure_field
from steelseg_gui.core.report.figures import field_figure, figure_data_uri
from steelseg_gui.core.report.model_scores import ModelProvenance, ModelScore, curves_uri, scoring_set
from steelseg_gui.core.report.project_fields import header_fields, review_state, specimen_fields
from steelseg_gui.core.report.specimens import SpecimenSummary, summarise_specimen

FIGURES_PER_SPECIMEN = 6


@dataclass(frozen=True)
class ReportOptions:
    """``target_ra_pct`` is the relative accuracy the fields needed are computed for; ``figures``
    the number of fields shown (original beside overlay) per specimen."""

    target_ra_pct: float = DEFAULT_TARGET_RA_PCT
    figures: int = FIGURES_PER_SPECIMEN


@dataclass
class ReportContent:
    """Everything a report shows (see :mod:`.render` for the layout)."""

    title: str
    classes: ClassTable
    header: dict[str, str | None]
    specimens: list[SpecimenSummary] = field(default_factory=list)
    scores: list[ModelScore] = field(default_factory=list)
    models: list[ModelProvenance] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: str = field(default_factory=lambda: f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    version: str = __version__

    @property
    def pixel_sizes(self) -> list[float]:
        return sorted({r["pixel_size_um"] for s in self.specimens for r in s.records if r.get("pixel_size_um")})

    @property
    def review_dates(self) -> list[str]:
        return sorted({r["review"].reviewed_at[:10] for s in self.specimens for r in s.records if _reviewed_at(r)})

    @property
    def reviewers(self) -> list[str]:
        return sorted({r["review"].reviewed_by for s in self.specimens for r in s.records if _reviewed_by(r)})


def project_report(project: Project, device: str = "cpu", options: ReportOptions | None = None) -> Job[ReportContent]:
    """The report of a project (a job): its masks per specimen, and every saved model scored."""
    options = options or ReportOptions()
    content = ReportContent(f"SteelSeg report: {project.name}", project.classes, header_fields(project.metadata))
    groups = {
        specimen: [e for e in entries if e.status in ("auto", "reviewed") and project.mask_path(e.id).is_file()]
        for specimen, entries in project.images_by_specimen().items()
    }
    groups = {specimen: entries for specimen, entries in groups.items() if entries}
    masked = [entry for entries in groups.values() for entry in entries]
    if not masked:
        raise SteelSegError(f"{project.folder}: no masks yet; propagate scribbles or segment images first")
    done = 0
    for specimen, entries in groups.items():
        records, figures = [], []
        for entry in entries:
            mask = project.load_mask(entry.id)
            records.append(_record(entry.id, mask, project.classes, entry.pixel_size_um, review_state(entry)))
            if len(figures) < options.figures:
                raw = read_micrograph(project.image_path(entry)).data
                figures.append(field_figure(entry.id, raw, mask, project.classes, entry.pixel_size_um))
            done += 1
            yield Progress(done, len(masked), f"reading masks: {entry.id}")
        details = specimen_fields(project.specimens.get(specimen) if specimen else None)
        summary = summarise_specimen(specimen, details, records, project.classes, options.target_ra_pct)
        summary.figures = figures
        content.specimens.append(summary)
    yield from _score_models(project, device, content)
    return content


def _record(name: str, mask: np.ndarray, classes: ClassTable, pixel_size_um: float | None, review) -> dict:
    return {
        "name": name,
        **measure_field(mask, classes, pixel_size_um),
        "labelled_pixels": int(np.count_nonzero(np.isin(mask, classes.values))),
        "review": review,
    }


def _score_models(project: Project, device: str, content: ReportContent) -> Job[None]:
    from steelseg_gui.core.segment.loader import load_segmenter

    reviewed = [e for e in project.images if e.status == "reviewed" and project.mask_path(e.id).is_file()]
    folders = sorted(p.parent for p in (project.folder / "models").glob("*/config.json"))
    for k, folder in enumerate(folders):
        try:
            config = read_model_config(folder)
            segmenter = load_segmenter(folder, device)
        except ModelError as exc:
            content.notes.append(f"model {folder.name} skipped: {exc}")
            continue
        content.models.append(ModelProvenance(folder.name, config, curves_uri(folder)))
        basis, names = scoring_set(config, [e.id for e in reviewed])
        if not names:
            continue
        evaluator = SegmentationEvaluator(project.classes.names)
        for entry in (e for e in reviewed if e.id in names):
            image = to_float01(read_micrograph(project.image_path(entry)).data)
            result = yield from within(
                segmenter.segment(image, f"scoring {folder.name} on {entry.id}"), k, len(folders)
            )
            evaluator.add(result.labels, project.load_mask(entry.id), name=entry.id)
        result = evaluator.result()
        content.scores.append(ModelScore(folder.name, basis, names, result, figure_data_uri(confusion_figure(result))))
    if folders and not reviewed:
        content.notes.append("no reviewed masks: models are listed but not scored")


def folders_report(
    pred_dir: Path,
    truth_dir: Path,
    classes: ClassTable,
    zero_based: bool = False,
    images_dir: Path | None = None,
    options: ReportOptions | None = None,
) -> Job[ReportContent]:
    """Predicted masks scored against true masks (matched by name), a job; overlays when ``images_dir``
    is given. The predictions form one group of fields (a folder has no specimens); the pixel size is unknown."""
    options = options or ReportOptions()
    pairs, unmatched = pair_masks(Path(pred_dir), Path(truth_dir))
    content = ReportContent(
        f"SteelSeg report: {Path(pred_dir).name} against {Path(truth_dir).name}",
        classes,
        header_fields(None),
        notes=unmatched,
    )
    result = evaluate_folders(pairs, classes.names, zero_based)
    content.scores.append(
        ModelScore(
            Path(pred_dir).name,
            "unknown",
            [p.stem for p, _ in pairs],
            result,
            figure_data_uri(confusion_figure(result)),
        )
    )
    images = mask_files(Path(images_dir)) if images_dir else {}
    records, figures = [], []
    for k, (pred_path, _) in enumerate(pairs):
        yield Progress(k, len(pairs), f"reading {pred_path.name}")
        labels = read_label_image(pred_path, zero_based)
        records.append(_record(pred_path.stem, labels, classes, None, None))
        if len(figures) < options.figures and pred_path.stem in images:
            raw = read_micrograph(images[pred_path.stem]).data
            figures.append(field_figure(pred_path.stem, raw, labels, classes, None))
    summary = summarise_specimen(None, specimen_fields(None), records, classes, options.target_ra_pct)
    summary.figures = figures
    content.specimens.append(summary)
    return content


def _reviewed_at(record: dict) -> bool:
    return record.get("review") is not None and record["review"].reviewed_at is not None


def _reviewed_by(record: dict) -> bool:
    return record.get("review") is not None and record["review"].reviewed_by is not None
