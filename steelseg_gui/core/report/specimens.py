"""Per-specimen summaries: the per-field table, fraction statistics with the fields needed for the
target relative accuracy, the lever-rule carbon beside the grade's nominal carbon, and grain size.

Statistics are computed per specimen and never pooled across specimens (DESIGN.md). A field record
is the dict of :func:`~steelseg_gui.core.quantify.summary.measure_field` plus ``name``,
``labelled_pixels`` and ``review`` (a :class:`~.project_fields.ReviewState` or None).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.sampling import FieldsNeeded, assess_fields
from steelseg_gui.core.quantify.summary import summarise
from steelseg_gui.core.report.figures import FieldFigure
from steelseg_gui.core.report.project_fields import nominal_carbon_wt_pct

NO_SPECIMEN_TITLE = "Images without a specimen"


@dataclass(frozen=True)
class PhaseStatistics:
    """One phase of one specimen: mean, s, 95 % CI half-width and %RA of its area fraction, and the
    fields needed for the target %RA."""

    name: str
    mean: float
    std: float | None
    ci95: float | None
    relative_accuracy_pct: float | None
    fields: FieldsNeeded


@dataclass
class SpecimenSummary:
    """What the report shows for one specimen (``name`` None: the images that belong to none)."""

    name: str | None
    details: dict[str, str | None]
    records: list[dict]
    phases: list[PhaseStatistics]
    target_ra_pct: float
    carbon: dict | None = None
    grain_size: dict | None = None
    figures: list[FieldFigure] = field(default_factory=list)

    @property
    def title(self) -> str:
        return NO_SPECIMEN_TITLE if self.name is None else f"Specimen {self.name}"

    @property
    def short_of_fields(self) -> list[PhaseStatistics]:
        """Phases whose relative accuracy needs more fields than were measured."""
        return [p for p in self.phases if p.fields.enough is False]


def area_mm2(record: dict) -> float | None:
    """Area analysed in mm²: labelled pixels × (pixel size)², when the pixel size is known."""
    size = record.get("pixel_size_um")
    if not size or record.get("labelled_pixels") is None:
        return None
    return record["labelled_pixels"] * size * size / 1e6


def summarise_specimen(
    name: str | None, details: dict, records: list[dict], classes: ClassTable, target_ra_pct: float
) -> SpecimenSummary:
    """Statistics of one specimen's fields (only these fields: nothing pooled across specimens)."""
    summary = summarise(records, classes)
    phases = []
    for phase in classes.names:
        stats = summary["classes"][phase]
        assessment = assess_fields(
            stats["mean"], stats["std"], stats["n"], stats["relative_accuracy_pct"], target_ra_pct
        )
        phases.append(
            PhaseStatistics(
                phase, stats["mean"], stats["std"], stats["ci95"], stats["relative_accuracy_pct"], assessment
            )
        )
    return SpecimenSummary(
        name,
        details,
        records,
        phases,
        target_ra_pct,
        carbon=_carbon(summary, details.get("grade")),
        grain_size=summary.get("ferrite_region_astm_grain_size_number"),
    )


def _carbon(summary: dict, grade: str | None) -> dict | None:
    estimate = summary.get("carbon_wt_pct_lever_rule_estimate")
    if not estimate:
        return None
    return {**estimate, "grade": grade, "nominal": nominal_carbon_wt_pct(grade)}
