"""A self-contained HTML report a lab can file: overlays, phase fractions with confidence intervals,
every model's metrics against the reviewed masks (the seed paper's Table 4), confusion matrices,
training curves and each model's provenance. Images are embedded as PNG data URIs.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from steelseg_gui import __version__
from steelseg_gui.core.atomic import atomic_write_bytes
from steelseg_gui.core.bundle import read_model_config
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.quantify.evaluation import evaluate_folders, mask_files, pair_masks
from steelseg_gui.core.quantify.fractions import area_fractions
from steelseg_gui.core.quantify.metrics import EvaluationResult, SegmentationEvaluator
from steelseg_gui.core.quantify.plots import confusion_figure
from steelseg_gui.core.quantify.summary import summarise
from steelseg_gui.core.segment.outputs import overlay_image

OVERLAYS = 6
STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}th{background:#eee}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:8px}"
    ".grid figure{width:32%;margin:0}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:11px}"
)


@dataclass
class ReportContent:
    """What goes into a report; records are ``{"name", "fractions"}`` per image."""

    title: str
    classes: ClassTable
    records: list[dict] = field(default_factory=list)
    evaluations: list[tuple[str, EvaluationResult]] = field(default_factory=list)
    overlays: list[tuple[str, np.ndarray]] = field(default_factory=list)
    models: list[tuple[str, dict, bytes | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def project_report(project: Project, device: str = "cpu") -> Job[ReportContent]:
    """Fractions of the project's masks, and every saved model scored against its reviewed masks."""
    from steelseg_gui.core.segment.loader import load_segmenter

    content = ReportContent(f"SteelSeg report: {project.name}", project.classes)
    masked = [(entry, project.load_mask(entry.id)) for entry in project.images if entry.status in ("auto", "reviewed")]
    masked = [(entry, mask) for entry, mask in masked if mask is not None]
    if not masked:
        raise SteelSegError(f"{project.folder}: no masks yet; propagate scribbles or segment images first")
    for k, (entry, mask) in enumerate(masked):
        content.records.append(
            {"name": f"{entry.id} ({entry.status})", "fractions": area_fractions(mask, project.classes)}
        )
        if k < OVERLAYS:
            raw = read_micrograph(project.image_path(entry)).data
            content.overlays.append((entry.id, overlay_image(raw, mask, project.classes)))
        yield Progress(k + 1, len(masked), f"reading masks: {entry.id}")
    reviewed = [(entry, mask) for entry, mask in masked if entry.status == "reviewed"]
    for folder in sorted((project.folder / "models").glob("*/config.json")):
        try:
            segmenter = load_segmenter(folder.parent, device)
        except ModelError as exc:
            content.notes.append(f"model {folder.parent.name} skipped: {exc}")
            continue
        content.models.append(_model_entry(folder.parent))
        if not reviewed:
            continue
        evaluator = SegmentationEvaluator(project.classes.names)
        for entry, mask in reviewed:
            image = to_float01(read_micrograph(project.image_path(entry)).data)
            result = yield from segmenter.segment(image, entry.id)
            evaluator.add(result.labels, mask, name=entry.id)
        content.evaluations.append((folder.parent.name, evaluator.result()))
    if not reviewed:
        content.notes.append("no reviewed masks: models are listed but not scored")
    return content


def folders_report(
    pred_dir: Path, truth_dir: Path, classes: ClassTable, zero_based: bool = False, images_dir: Path | None = None
) -> ReportContent:
    """Predicted masks scored against true masks (matched by name); overlays when ``images_dir`` is given."""
    pairs, unmatched = pair_masks(Path(pred_dir), Path(truth_dir))
    content = ReportContent(
        f"SteelSeg report: {Path(pred_dir).name} against {Path(truth_dir).name}", classes, notes=unmatched
    )
    content.evaluations.append((Path(pred_dir).name, evaluate_folders(pairs, classes.names, zero_based)))
    images = mask_files(Path(images_dir)) if images_dir else {}
    for k, (pred_path, _) in enumerate(pairs):
        labels = read_label_image(pred_path, zero_based)
        content.records.append({"name": pred_path.stem, "fractions": area_fractions(labels, classes)})
        if k < OVERLAYS and pred_path.stem in images:
            content.overlays.append(
                (pred_path.stem, overlay_image(read_micrograph(images[pred_path.stem]).data, labels, classes))
            )
    return content


def _model_entry(folder: Path) -> tuple[str, dict, bytes | None]:
    curves = folder / "curves.png"
    return folder.name, read_model_config(folder), curves.read_bytes() if curves.is_file() else None


def _png(array_or_figure) -> str:
    buffer = io.BytesIO()
    if isinstance(array_or_figure, np.ndarray):
        from PIL import Image

        Image.fromarray(array_or_figure).save(buffer, format="PNG")
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(array_or_figure)
        array_or_figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return _data_uri(buffer.getvalue())


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _number(value, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render(content: ReportContent) -> str:
    """The report as one HTML document."""
    e = html.escape
    names = content.classes.names
    summary = summarise(content.records, content.classes)
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(content.title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{e(content.title)}</h1>",
        f"<p>Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by SteelSeg {e(__version__)}.</p>",
    ]
    if content.overlays:
        parts.append(
            "<h2>Phase maps</h2><div class='grid'>"
            + "".join(
                f"<figure><img alt='{e(n)}' src='{_png(o)}'><figcaption>{e(n)}</figcaption></figure>"
                for n, o in content.overlays
            )
            + "</div>"
        )
    parts.append(
        "<h2>Phase fractions</h2><table class='fractions'><tr><th>image</th>"
        + "".join(f"<th>{e(n)}</th>" for n in names)
        + "</tr>"
    )
    parts += [
        "<tr><td>" + e(r["name"]) + "</td>" + "".join(f"<td>{r['fractions'][n]:.4f}</td>" for n in names) + "</tr>"
        for r in content.records
    ]
    for label, key, digits in (
        ("mean", "mean", 4),
        ("standard deviation", "std", 4),
        ("95 % CI (±)", "ci95", 4),
        ("relative accuracy %", "relative_accuracy_pct", 1),
    ):
        parts.append(
            f"<tr><th>{label}</th>"
            + "".join(f"<th>{_number(summary['classes'][n][key], digits)}</th>" for n in names)
            + "</tr>"
        )
    parts.append("</table>")
    carbon = summary.get("carbon_wt_pct_lever_rule_estimate")
    if carbon:
        parts.append(f"<p>Lever-rule carbon estimate: {carbon['mean']:.3f} wt % ({e(carbon['note'])}).</p>")
    if content.evaluations:
        parts.append(_metrics_table(content.evaluations))
        for model, result in content.evaluations:
            parts.append(
                f"<h3>Confusion matrix: {e(model)}</h3><img alt='confusion {e(model)}' "
                f"src='{_png(confusion_figure(result))}'>"
            )
    for name, config, curves in content.models:
        parts.append(f"<h2>Model {e(name)}</h2>")
        if curves:
            parts.append(f"<img alt='training curves {e(name)}' src='{_data_uri(curves)}'>")
        parts.append(f"<pre>{e(json.dumps(config, indent=1, default=str))}</pre>")
    if content.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in content.notes) + "</ul>")
    return "".join(parts) + "</body></html>"


def _metrics_table(evaluations: list[tuple[str, EvaluationResult]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{_number(r.global_accuracy)}</td><td>{_number(r.mean_accuracy)}"
        f"</td><td>{_number(r.mean_iou)}</td><td>{_number(r.weighted_iou)}</td>"
        f"<td>{_number(r.mean_bf_score)}</td></tr>"
        for m, r in evaluations
    )
    return (
        "<h2>Models against the reviewed masks</h2><table class='metrics'><tr><th>model</th><th>global accuracy"
        "</th><th>mean accuracy</th><th>mean IoU</th><th>weighted IoU</th><th>mean BF score</th></tr>"
        + rows
        + "</table>"
    )


def write_report(content: ReportContent, path: str | Path) -> Path:
    """Write the HTML report atomically."""
    return atomic_write_bytes(path, render(content).encode("utf-8"))
