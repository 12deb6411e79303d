"""``steelseg demo``: the whole workflow, headless, on the bundled sample micrographs.

1. UHCS (SEM, 4 classes): scribbles are simulated from the published masks (as a person would
   paint them), a random forest propagates them to auto-masks, the published masks then stand
   in for the person's review, and the report scores the forest against them.
2. Optical SAE 1020 and SAE 1045 (ferrite/pearlite), one project per steel (fractions and the
   lever-rule carbon of two steels are never pooled): the bundled default net segments them;
   phase fractions with confidence intervals and the lever-rule carbon estimate are written.
3. One report per project, as HTML and as PDF.
"""

from __future__ import annotations

from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("demo", help="run the whole workflow on the bundled samples")
    parser.add_argument(
        "--out",
        default="demo_output",
        metavar="DIR",
        help="output folder; an earlier demo's outputs in it are replaced, nothing else (default: demo_output)",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from steelseg_gui.cli.demo_pipelines import OPTICAL_GRADES, optical_pipeline, uhcs_pipeline

    out = Path(args.out)
    _remove_earlier_demo(out, ["uhcs", *OPTICAL_GRADES])
    reports = [uhcs_pipeline(out / "uhcs", out / "report_uhcs.html")]
    for grade in OPTICAL_GRADES:
        reports.append(
            optical_pipeline(grade, out / grade, out / f"segmentation_{grade}", out / f"report_{grade}.html")
        )
    print(
        "\nreports (HTML and PDF):\n"
        + "\n".join(f"  {report.resolve()}\n  {report.with_suffix('.pdf').resolve()}" for report in reports)
    )
    return 0


def _remove_earlier_demo(out: Path, projects: list[str]) -> None:
    """Remove what an earlier demo wrote into ``out`` (its projects, segmentations and reports), nothing else."""
    import shutil

    for name in projects:
        if (out / name / "project.json").is_file():
            shutil.rmtree(out / name)
        if (out / f"segmentation_{name}" / "summary.json").is_file():
            shutil.rmtree(out / f"segmentation_{name}")
        (out / f"report_{name}.html").unlink(missing_ok=True)
        (out / f"report_{name}.pdf").unlink(missing_ok=True)
