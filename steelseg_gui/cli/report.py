"""``steelseg report``: the report of a project (or of prediction/truth folders) as HTML and/or PDF.

Its header fields and specimens come from the project (``steelseg project set`` and ``steelseg
project specimen`` edit them, as does the dock's Report tab)."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.nets.settings import DEVICES


def register(commands) -> None:
    report = commands.add_parser(
        "report", help="write a report a lab can file (HTML and/or PDF): specimens, fractions, models, standards"
    )
    report.add_argument("project", nargs="?", metavar="PROJECT")
    report.add_argument("--pred", metavar="DIR", help="predicted masks (instead of a project)")
    report.add_argument("--truth", metavar="DIR", help="true masks, named like the predictions")
    report.add_argument("--images", metavar="DIR", help="the micrographs, for overlays (with --pred)")
    report.add_argument("--classes", metavar="NAMES", help="comma-separated class names (default ferrite,pearlite)")
    report.add_argument("--zero-based-masks", action="store_true")
    report.add_argument("--device", choices=DEVICES, default="cpu")
    report.add_argument("--out", metavar="FILE.html", help="write the HTML report")
    report.add_argument("--pdf", metavar="FILE.pdf", help="write the PDF report")
    report.add_argument(
        "--target-ra",
        type=float,
        default=10.0,
        metavar="PCT",
        help="relative accuracy (%%) the number of fields needed is computed for (default 10)",
    )
    report.set_defaults(run=run_report)


def run_report(args) -> int:
    from steelseg_gui.cli.targets import replaceable_file
    from steelseg_gui.core.project.classes import ClassTable
    from steelseg_gui.core.project.folder import Project
    from steelseg_gui.core.report.project_report import ReportOptions, folders_report, project_report
    from steelseg_gui.core.report.render import write_report_files

    if bool(args.project) == bool(args.pred):
        raise SteelSegError("give either a PROJECT folder or --pred DIR --truth DIR")
    if not (args.out or args.pdf):
        raise SteelSegError("say where to write the report: --out report.html and/or --pdf report.pdf")
    if not args.target_ra > 0:
        raise SteelSegError(f"--target-ra must be a positive percentage, not {args.target_ra}")
    if args.out:
        replaceable_file(args.out, (b"<html", b"SteelSeg"), "HTML report")
    if args.pdf:
        replaceable_file(args.pdf, b"%PDF-", "PDF report")
    options = ReportOptions(target_ra_pct=args.target_ra)
    if args.project:
        report = project_report(Project.open(args.project), args.device, options)
    else:
        if not args.truth:
            raise SteelSegError("--pred needs --truth: the folder of true masks")
        classes = ClassTable.from_names(args.classes.split(",")) if args.classes else ClassTable.default()
        images = Path(args.images) if args.images else None
        report = folders_report(Path(args.pred), Path(args.truth), classes, args.zero_based_masks, images, options)
    for path in run_with_bar(write_report_files(report, args.out, args.pdf), "report"):
        print(f"report written to {path.resolve()}")
    return 0
