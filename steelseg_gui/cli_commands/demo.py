"""``steelseg demo``: the whole workflow, headless, on the bundled sample micrographs.

1. UHCS (SEM, 4 classes): scribbles are simulated from the published masks (as a person would
   paint them), a random forest propagates them to auto-masks, the published masks then stand
   in for the person's review, and the report scores the forest against them.
2. Optical SAE 1020/1045 (ferrite/pearlite): the bundled default net segments them; phase
   fractions with confidence intervals and the lever-rule carbon estimate are written.
3. One HTML report per project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..core.batch import BatchOptions, segment_batch
from ..core.classes import ClassTable
from ..core.fractions import fraction_statistics, lever_rule_carbon
from ..core.io import read_label_image
from ..core.project import Project
from ..core.project_propagation import propagate_project
from ..core.report import project_report, write_report
from ..core.samples import UHCS_CLASSES, bundled_samples
from ..core.scribble_sim import simulate_scribbles
from .progress_bar import run_with_bar

DEMO_TREES = 100
NOMINAL_CARBON = {"sae1020": (0.18, 0.23), "sae1045": (0.43, 0.50)}   # wt %, SAE J403


def register(commands) -> None:
    parser = commands.add_parser("demo", help="run the whole workflow on the bundled samples")
    parser.add_argument("--out", default="demo_output", metavar="DIR",
                        help="output folder (replaced if it holds an earlier demo; default: demo_output)")
    parser.set_defaults(run=run)


def run(args) -> int:
    out = Path(args.out)
    if (out / "optical" / "project.json").exists() or (out / "uhcs" / "project.json").exists():
        shutil.rmtree(out)
    uhcs_report = uhcs_pipeline(out / "uhcs", out / "report_uhcs.html")
    optical_report = optical_pipeline(out / "optical", out / "optical_segmentation", out / "report_optical.html")
    print(f"\nreports:\n  {uhcs_report.resolve()}\n  {optical_report.resolve()}")
    return 0


def uhcs_pipeline(folder: Path, report_path: Path) -> Path:
    """Scribbles → propagation → review → report on the bundled UHCS micrographs."""
    project = Project.create(folder, name="UHCS demo", classes=ClassTable.from_names(list(UHCS_CLASSES)))
    samples = [s for s in bundled_samples() if s.mask is not None]
    truths = {}
    for sample, entry in zip(samples, project.add_images([s.image for s in samples], copy=True)):
        truths[entry.id] = read_label_image(sample.mask, zero_based=True)
        project.save_scribbles(entry.id, simulate_scribbles(truths[entry.id], coverage=0.01, seed=0))
    print(f"UHCS: {len(samples)} images, scribbles on each (1 % of pixels, simulated)")
    propagation = run_with_bar(propagate_project(project, trees=DEMO_TREES), "propagating scribbles")
    print(f"UHCS: forest saved in {propagation.model_folder}; auto-masks for {len(propagation.written)} images")
    for image_id, truth in truths.items():
        project.save_mask(image_id, truth, "reviewed")   # the published masks stand in for the review
    write_report(run_with_bar(project_report(project), "scoring models"), report_path)
    return report_path


def print_grades(records: list[dict]) -> None:
    """Mean pearlite fraction and lever-rule carbon of each steel grade (file names start with it),
    beside the grade's nominal carbon: the two steels are never averaged together."""
    for grade, (low, high) in NOMINAL_CARBON.items():
        fractions = [r["fractions"]["pearlite"] for r in records if r["name"].startswith(grade) and r.get("fractions")]
        if fractions:
            pearlite = fraction_statistics(fractions).mean
            print(f"optical: {grade.upper()}: pearlite {pearlite:.3f} over {len(fractions)} fields → lever-rule "
                  f"carbon ≈ {lever_rule_carbon(pearlite):.2f} wt % (nominal {low:.2f}–{high:.2f} wt %)")


def optical_pipeline(folder: Path, segmentation: Path, report_path: Path) -> Path:
    """The default net on the bundled optical ferrite/pearlite micrographs → fractions → report."""
    project = Project.create(folder, name="Optical ferrite-pearlite demo")
    entries = project.add_images([s.image for s in bundled_samples() if s.mask is None], copy=True)
    batch = run_with_bar(segment_batch("default", [project.image_path(e) for e in entries], segmentation,
                                       BatchOptions(overlay=True)), "segmenting with the default model")
    for entry in entries:
        project.save_mask(entry.id, read_label_image(segmentation / f"{entry.id}.png"), "auto")
    for record in batch.records:
        print(f"optical: {record['name']:<24} pearlite {record['fractions']['pearlite']:.3f}")
    print_grades(batch.records)
    print(f"optical: masks, phase_fractions.csv and summary.json in {segmentation}")
    (segmentation / "README.txt").write_text("Masks (1 ferrite, 2 pearlite), overlays, phase_fractions.csv and "
                                             "summary.json written by `steelseg demo` with the default model.\n"
                                             + json.dumps(batch.summary, indent=1) + "\n")
    write_report(run_with_bar(project_report(project), "writing the report"), report_path)
    return report_path
