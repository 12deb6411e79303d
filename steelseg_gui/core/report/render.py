"""A report's content as HTML (Jinja2 templates shipped with SteelSeg) and as PDF (WeasyPrint).

The templates live in ``templates/``: ``report.html.j2`` (the document) and ``report.css`` (screen
and print styles, A4 pages numbered in the PDF). HTML files are self-contained (images are data
URIs); the PDF is rendered from the same HTML. Both are written atomically.
"""

from __future__ import annotations

import functools
from pathlib import Path

from steelseg_gui.core.atomic import atomic_write_bytes
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.report.project_fields import HEADER_FIELDS, SPECIMEN_FIELDS
from steelseg_gui.core.report.project_report import ReportContent
from steelseg_gui.core.report.specimens import area_mm2
from steelseg_gui.core.report.standards import DEFINITIONS, STANDARDS

HEADER_LABELS = {
    "operator": "Operator",
    "reviewer": "Reviewer",
    "microscope": "Microscope",
    "objective": "Objective",
    "magnification": "Magnification",
    "etchant": "Etchant",
    "notes": "Notes",
}
SPECIMEN_LABELS = {"grade": "Grade", "heat_treatment": "Heat treatment", "etchant": "Etchant", "notes": "Notes"}


class PdfUnavailableError(SteelSegError):
    """The PDF renderer (WeasyPrint with its Pango libraries) is not installed."""


@functools.cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("steelseg_gui.core.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    environment.filters["percent"] = _percent
    environment.filters["area_mm2"] = area_mm2
    return environment


def render_html(content: ReportContent) -> str:
    """The report as one HTML document."""
    environment = _environment()
    return environment.get_template("report.html.j2").render(
        report=content,
        css=environment.loader.get_source(environment, "report.css")[0],
        header_fields=[(HEADER_LABELS[name], content.header.get(name)) for name in HEADER_FIELDS],
        specimen_fields=[(name, SPECIMEN_LABELS[name]) for name in SPECIMEN_FIELDS],
        standards=STANDARDS,
        definitions=DEFINITIONS,
    )


def write_html(content: ReportContent, path: str | Path) -> Path:
    """Write the HTML report atomically."""
    return atomic_write_bytes(path, render_html(content).encode("utf-8"))


def write_pdf(content: ReportContent, path: str | Path) -> Path:
    """Render the HTML report to PDF (A4) with WeasyPrint and write it atomically."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise PdfUnavailableError(
            f"writing PDF needs WeasyPrint and the Pango libraries ({exc}); run `bash scripts/system-deps.sh base` "
            "and install SteelSeg's dependencies, or write HTML instead"
        ) from exc
    return atomic_write_bytes(path, HTML(string=render_html(content)).write_pdf())


def write_report_files(report: Job[ReportContent], html: str | Path | None, pdf: str | Path | None) -> Job[list[Path]]:
    """Run a report job (its own progress reports pass through), then write its HTML and/or PDF."""
    content = yield from report
    targets = [(path, writer) for path, writer in ((html, write_html), (pdf, write_pdf)) if path]
    written = []
    for k, (path, writer) in enumerate(targets):
        yield Progress(k, len(targets), f"writing {Path(path).name}")
        written.append(writer(content, path))
    yield Progress(len(targets), len(targets), "report written")
    return written


def _number(value, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f} %"
