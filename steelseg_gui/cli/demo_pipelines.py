"""The two pipelines of ``steelseg demo`` (see :mod:`steelseg_gui.cli.demo`)."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import MicrographError
from steelseg_gui.core.forest.project_propagation import propagate_project
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.quantify.fractions import lever_rule_carbon
from steelseg_gui.core.report.project_report import project_report
from steelseg_gui.core.report.render import write_html, write_pdf
from steelseg_gui.core.resources import UHCS_CLASSES, bundled_samples
from steelseg_gui.core.segment.batch import BatchOptions, segment_batch
from steelseg_gui.core.segment.outputs import OutputOptions
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles

DEMO_TREES = 100
OPTICAL_GRADES = {"sae1020": (0.18, 0.23), "sae1045": (0.43, 0.50)}  # nominal carbon, wt % (SAE J403)


def write_reports(content, report_path: Path) -> Path:
    """The report as HTML at ``report_path`` and as PDF beside it (same name, ``.pdf``)."""
    write_pdf(content, report_path.with_suffix(".pdf"))
    return write_html(content, report_path)


def uhcs_pipeline(folder: Path, report_path: Path) -> Path:
    """Scribbles → propagation → review → report on the bundled UHCS micrographs."""
    project = Project.create(folder, name="UHCS demo", classes=ClassTable.from_names(list(UHCS_CLASSES)))
    samples = [s for s in bundled_samples() if s.mask is not None]
    truths = {}
    for sample, entry in zip(samples, _all_added(project, [s.image for s in samples])):
        truths[entry.id] = read_label_image(sample.mask, zero_based=True)
        project.save_scribbles(entry.id, simulate_scribbles(truths[entry.id], coverage=0.01, seed=0))
    print(f"UHCS: {len(samples)} images, scribbles on each (1 % of pixels, simulated)")
    propagation = run_with_bar(propagate_project(project, trees=DEMO_TREES), "propagating scribbles")
    print(f"UHCS: forest saved in {propagation.model_folder}; auto-masks for {len(propagation.written)} images")
    for image_id, truth in truths.items():
        # the published masks stand in for a person's review
        project.save_mask(image_id, truth, "reviewed", reviewer="published masks (DeCost et al. 2019)")
    return write_reports(run_with_bar(project_report(project), "scoring models"), report_path)


def _all_added(project: Project, images: list[Path]) -> list:
    """Copy the bundled images into the project; any that fails stops the demo with its reason."""
    result = project.add_images(images, copy=True)
    if result.failed:
        raise MicrographError(result.failed[0].reason)
    return result.added


def optical_pipeline(grade: str, folder: Path, segmentation: Path, report_path: Path) -> Path:
    """The default net on the bundled optical micrographs of one steel ``grade`` → fractions → report."""
    project = Project.create(folder, name=f"Optical {grade.upper()} ferrite-pearlite demo")
    images = [s.image for s in bundled_samples() if s.mask is None and s.image.stem.startswith(grade)]
    entries = _all_added(project, images)
    label = f"SAE {grade.removeprefix('sae')}"  # sae1020 → SAE 1020
    project.set_specimen([e.id for e in entries], label, project.specimen_info(grade=label))
    batch = run_with_bar(
        segment_batch(
            "default", [project.image_path(e) for e in entries], segmentation, BatchOptions(OutputOptions(overlay=True))
        ),
        f"segmenting {grade.upper()} with the default model",
    )
    names = {record["source"]: record["name"] for record in batch.records}
    for entry in entries:
        mask = read_label_image(segmentation / f"{names[str(project.image_path(entry).resolve())]}.png")
        project.save_mask(entry.id, mask, "auto", source_model="default")
    for record in batch.records:
        print(f"{grade}: {record['name']:<24} pearlite {record['fractions']['pearlite']:.3f}")
    pearlite = batch.summary["classes"]["pearlite"]["mean"]
    low, high = OPTICAL_GRADES[grade]
    print(
        f"{grade}: pearlite {pearlite:.3f} over {len(batch.records)} fields → lever-rule carbon ≈ "
        f"{lever_rule_carbon(pearlite):.2f} wt % (nominal {low:.2f}–{high:.2f} wt %)"
    )
    print(f"{grade}: masks, phase_fractions.csv and summary.json in {segmentation}")
    return write_reports(run_with_bar(project_report(project), "writing the report"), report_path)
