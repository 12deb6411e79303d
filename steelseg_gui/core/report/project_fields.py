"""What the report reads from a project document besides masks: the header fields of the project
and of its specimens, and which model made each image's mask and who reviewed it. Blank fields stay
blank (``None``): nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from steelseg_gui.core.project.schema import ImageEntry, ProjectMetadata, Specimen
from steelseg_gui.core.project.specimens import METADATA_FIELDS, SPECIMEN_FIELDS

HEADER_FIELDS = METADATA_FIELDS
_PLAIN_CARBON_STEEL = re.compile(r"^(?:SAE|AISI)?10(\d\d)$", re.IGNORECASE)
# Carbon ranges (wt %) of plain carbon steels, SAE J403, by the last two digits of the grade.
SAE_J403_CARBON = {
    10: (0.08, 0.13),
    15: (0.13, 0.18),
    18: (0.15, 0.20),
    20: (0.18, 0.23),
    25: (0.22, 0.28),
    30: (0.28, 0.34),
    35: (0.32, 0.38),
    40: (0.37, 0.44),
    45: (0.43, 0.50),
    50: (0.48, 0.55),
    55: (0.50, 0.60),
    60: (0.55, 0.65),
    70: (0.65, 0.75),
    80: (0.75, 0.88),
}


@dataclass(frozen=True)
class ReviewState:
    """Which model made an image's mask (None: painted by hand or not recorded) and the review (by whom, when)."""

    status: str
    model: str | None
    made_at: str | None
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: str | None


def header_fields(metadata: ProjectMetadata | None) -> dict[str, str | None]:
    """The project's header fields (``HEADER_FIELDS``), each a string or None."""
    metadata = metadata or ProjectMetadata()
    return {name: getattr(metadata, name) for name in HEADER_FIELDS}


def specimen_fields(specimen: Specimen | None) -> dict[str, str | None]:
    """The fields (``SPECIMEN_FIELDS``) of a specimen; all None for images without one."""
    specimen = specimen or Specimen()
    return {name: getattr(specimen, name) for name in SPECIMEN_FIELDS}


def review_state(entry: ImageEntry) -> ReviewState:
    """Who made and who checked an image's mask, as the project records it."""
    source = entry.mask_source
    return ReviewState(
        status=str(entry.status),
        model=source.model if source else None,
        made_at=source.at if source else None,
        reviewed=entry.status == "reviewed",
        reviewed_by=entry.reviewed_by,
        reviewed_at=entry.reviewed_at,
    )


def nominal_carbon_wt_pct(grade: str | None) -> tuple[float, float] | None:
    """Nominal carbon range (wt %) of a plain carbon steel grade (SAE/AISI 10XX, SAE J403), or None."""
    match = _PLAIN_CARBON_STEEL.match((grade or "").replace(" ", "").replace("-", ""))
    return SAE_J403_CARBON.get(int(match.group(1))) if match else None
