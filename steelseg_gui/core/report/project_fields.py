"""What the report reads from a project document besides masks: the header fields of the project
and of its specimens, which specimen each image belongs to, which model made its mask and who
reviewed it. Blank fields stay blank (``None``): nothing is invented.

The names are those of the project document (``Project.metadata``, ``Project.specimens``,
``ImageEntry.specimen``, ``mask_source``, ``reviewed_by``, ``reviewed_at``); a project written before
those fields existed reads as blank, and every image then belongs to no specimen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADER_FIELDS = ("operator", "reviewer", "microscope", "objective", "magnification", "etchant", "notes")
SPECIMEN_FIELDS = ("grade", "heat_treatment", "etchant", "notes")
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
    """Which model made an image's mask (None: painted by hand or unknown) and the review (by whom, when)."""

    status: str
    model: str | None
    made_at: str | None
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: str | None


def header_fields(project, overrides: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """The project's header fields (``HEADER_FIELDS``), each a stripped string or None; ``overrides``
    (given on the command line or in the dock) win where they are not None."""
    metadata = getattr(project, "metadata", None)
    fields = {name: _text(getattr(metadata, name, None)) for name in HEADER_FIELDS}
    for name, value in (overrides or {}).items():
        if value is not None:
            fields[name] = _text(value)
    return fields


def specimen_fields(project, name: str | None, overrides: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """The fields (``SPECIMEN_FIELDS``) of specimen ``name``; all None for images without a specimen.
    ``overrides`` win where they are not None."""
    specimen = (getattr(project, "specimens", None) or {}).get(name) if name is not None else None
    fields = {field: _text(getattr(specimen, field, None)) for field in SPECIMEN_FIELDS}
    for field, value in (overrides or {}).items():
        if value is not None and field in fields:
            fields[field] = _text(value)
    return fields


def specimen_of(entry) -> str | None:
    """The specimen an image belongs to, or None."""
    return _text(getattr(entry, "specimen", None))


def group_by_specimen(entries: list) -> dict[str | None, list]:
    """``entries`` grouped by specimen (in order of first appearance; images without one under None)."""
    groups: dict[str | None, list] = {}
    for entry in entries:
        groups.setdefault(specimen_of(entry), []).append(entry)
    return groups


def review_state(entry) -> ReviewState:
    """Who made and who checked an image's mask, as the project records it."""
    source = getattr(entry, "mask_source", None) or {}
    return ReviewState(
        status=entry.status,
        model=_text(source.get("model")),
        made_at=_text(source.get("at")),
        reviewed=entry.status == "reviewed",
        reviewed_by=_text(getattr(entry, "reviewed_by", None)),
        reviewed_at=_text(getattr(entry, "reviewed_at", None)),
    )


def nominal_carbon_wt_pct(grade: str | None) -> tuple[float, float] | None:
    """Nominal carbon range (wt %) of a plain carbon steel grade (SAE/AISI 10XX, SAE J403), or None."""
    match = _PLAIN_CARBON_STEEL.match((grade or "").replace(" ", "").replace("-", ""))
    return SAE_J403_CARBON.get(int(match.group(1))) if match else None


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
