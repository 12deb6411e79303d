"""``steelseg report``: one self-contained HTML report of a project or of prediction/truth folders."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.nets.settings import DEVICES


def register(commands) -> None:
    report = commands.add_parser("report", help="write an HTML report: fractions, model metrics, provenance")
    report.add_argument("project", nargs="?", metavar="PROJECT")
    report.add_argument("--pred", metavar="DIR", help="predicted masks (instead of a project)")
    report.add_argument("--truth", metavar="DIR", help="true masks, named like the predictions")
    report.add_argument("--images", metavar="DIR", help="the micrographs, for overlays (with --pred)")
    report.add_argument("--classes", metavar="NAMES", help="comma-separated class names (default ferrite,pearlite)")
    report.add_argument("--zero-based-masks", action="store_true")
    report.add_argument("--device", choices=DEVICES, default="cpu")
    report.add_argument("--out", required=True, metavar="FILE.html")
    report.set_defaults(run=run_report)


def run_report(args) -> int:
    from steelseg_gui.cli.targets import replaceable_file
    from steelseg_gui.core.project.classes import ClassTable
    from steelseg_gui.core.project.folder import Project
    from steelseg_gui.core.report.project_report import folders_report, project_report, write_report

    if bool(args.project) == bool(args.pred):
        raise SteelSegError("give either a PROJECT folder or --pred DIR --truth DIR")
    replaceable_file(args.out, (b"<html", b"SteelSeg"), "HTML report")
    if args.project:
        content = run_with_bar(project_report(Project.open(args.project), args.device), "scoring models")
    else:
        if not args.truth:
            raise SteelSegError("--pred needs --truth: the folder of true masks")
        classes = ClassTable.from_names(args.classes.split(",")) if args.classes else ClassTable.default()
        content = folders_report(
            Path(args.pred),
            Path(args.truth),
            classes,
            args.zero_based_masks,
            Path(args.images) if args.images else None,
        )
    path = write_report(content, args.out)
    print(f"report written to {path.resolve()}")
    return 0
