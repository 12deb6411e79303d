"""A project's specimens and metadata: which specimen each image comes from, who made the
micrographs and how. Statistics are per specimen (:meth:`SpecimensMixin.images_by_specimen`),
never pooled silently; a metadata field nobody filled in stays empty.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from steelseg_gui.core.documents import Label, location
from steelseg_gui.core.errors import ProjectError
from steelseg_gui.core.project.schema import ProjectMetadata, Specimen

if TYPE_CHECKING:
    from steelseg_gui.core.project.schema import ImageEntry

METADATA_FIELDS = tuple(ProjectMetadata.model_fields)
SPECIMEN_FIELDS = tuple(Specimen.model_fields)
_LABEL = TypeAdapter(Label)


def checked_pixel_size(value: float | None, invalid: object = ProjectError) -> float | None:
    """``value`` (µm/px) when it is a finite number > 0 or ``None``; otherwise a
    :class:`ProjectError`, or ``invalid`` itself when it is not an exception class (so a file's
    nonsensical pixel size can be read as unknown)."""
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
        return float(value)
    if isinstance(invalid, type) and issubclass(invalid, Exception):
        raise invalid(f"pixel size must be a finite number of µm per pixel > 0, got {value}")
    return invalid


def checked_specimen_name(name: str | None) -> str | None:
    """A specimen name stripped of surrounding blanks, or a :class:`ProjectError` when it is empty,
    longer than 200 characters or holds control characters."""
    if name is None:
        return None
    try:
        return _LABEL.validate_python(name)
    except ValidationError as exc:
        raise ProjectError(f"specimen name {name!r}: {_message(exc)}") from None


class SpecimensMixin:
    """Specimen and metadata editing for :class:`~steelseg_gui.core.project.folder.Project`."""

    def set_specimen(self, image_ids: list[str], name: str | None, info: Specimen | None = None) -> None:
        """Assign images to the specimen ``name`` (created when new; ``info`` replaces its
        details when given), or detach them from any specimen with ``name=None``."""
        name = checked_specimen_name(name)
        if name is None and info is not None:
            raise ProjectError("specimen details need a specimen name")
        with self.editing():
            entries = [self.entry(image_id) for image_id in image_ids]
            if name is not None:
                self.specimens[name] = info if info is not None else self.specimens.get(name, Specimen())
            for entry in entries:
                entry.specimen = name

    def images_by_specimen(self) -> dict[str | None, list[ImageEntry]]:
        """The images of each specimen that has any, in the order the specimens were declared;
        images without a specimen come last under ``None``."""
        groups: dict[str | None, list[ImageEntry]] = {name: [] for name in self.specimens}
        unassigned = []
        for entry in self.images:
            if entry.specimen is None:
                unassigned.append(entry)
            else:
                groups.setdefault(entry.specimen, []).append(entry)
        groups = {name: entries for name, entries in groups.items() if entries}
        if unassigned:
            groups[None] = unassigned
        return groups

    def set_metadata(self, **fields: str | None) -> None:
        """Set metadata fields (``operator``, ``reviewer``, ``microscope``, ``objective``,
        ``magnification``, ``etchant``, ``notes``); a blank or ``None`` value empties the field."""
        unknown = sorted(set(fields) - set(METADATA_FIELDS))
        if unknown:
            raise ProjectError(f"unknown metadata field(s) {', '.join(unknown)}; known: {', '.join(METADATA_FIELDS)}")
        with self.editing():
            self.metadata = _validated(ProjectMetadata, {**self.metadata.model_dump(), **_blank_is_none(fields)})

    def specimen_info(self, **fields: str | None) -> Specimen:
        """A :class:`Specimen` from keyword fields (``grade``, ``heat_treatment``, ``etchant``,
        ``notes``), blanks read as empty."""
        return _validated(Specimen, _blank_is_none(fields))


def _blank_is_none(fields: dict) -> dict:
    return {key: (None if value is None or not str(value).strip() else value) for key, value in fields.items()}


def _validated(model, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(f"{location(exc.errors()[0]['loc'])}: {_message(exc)}") from None


def _message(exc: ValidationError) -> str:
    return exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
