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


MARKER = "steelseg-demo.json"


def run(args) -> int:
    from steelseg_gui.cli.demo_pipelines import OPTICAL_GRADES, optical_pipeline, uhcs_pipeline

    out = Path(args.out)
    names = ["uhcs", "report_uhcs.html", "report_uhcs.pdf"]
    for grade in OPTICAL_GRADES:
        names += [grade, f"segmentation_{grade}", f"report_{grade}.html", f"report_{grade}.pdf"]
    _remove_earlier_demo(out, names)
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


def _remove_earlier_demo(out: Path, names: list[str]) -> None:
    """Remove what an earlier demo wrote into ``out`` (the names its marker file lists), nothing
    else: a path the demo would write that an earlier demo did not is refused. The marker is
    written before anything else, so even an interrupted demo is cleaned up by the next one."""
    import json
    import shutil

    from steelseg_gui.core.atomic import atomic_write_json
    from steelseg_gui.core.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; give the demo a folder with --out")
    try:
        earlier = set(json.loads((out / MARKER).read_text(encoding="utf-8")).get("written", []))
    except (OSError, ValueError, AttributeError):
        earlier = set()
    for name in names:
        path = out / name
        if (path.exists() or path.is_symlink()) and name not in earlier and not _from_demo_0_1(path):
            raise OutputError(f"{path}: exists and was not written by an earlier demo; choose another --out")
    atomic_write_json(out / MARKER, {"written": names})
    for name in names:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _from_demo_0_1(path: Path) -> bool:
    """What a demo of SteelSeg 0.1 (which wrote no marker) left: its projects, segmentations, reports."""
    import json

    try:
        if (path / "project.json").is_file():
            return json.loads((path / "project.json").read_text(encoding="utf-8")).get("name", "").endswith("demo")
        if path.is_dir():
            return (path / "summary.json").is_file() and (path / "records").is_dir()
        if path.suffix == ".pdf":
            return path.read_bytes()[:5] == b"%PDF-"
        return path.suffix == ".html" and "SteelSeg" in path.read_text(encoding="utf-8", errors="replace")[:4000]
    except (OSError, ValueError, AttributeError):
        return False
