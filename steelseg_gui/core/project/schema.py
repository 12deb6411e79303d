"""The ``project.json`` document as typed models: every field with its range, checked on load and
before every save, so a project file SteelSeg writes is always one SteelSeg can read back.

Schema version 2 adds the project's ``metadata`` (who, which microscope, which etch), its
``specimens`` and, per image, its specimen, which model made its mask (``mask_source``) and who
reviewed it when; version 1 files are read with those fields empty and written back as version 2.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from pydantic import Field

from steelseg_gui.core.documents import (
    MAX_LABEL_VALUE,
    ClassEntry,
    Document,
    IsoTime,
    Label,
    PositiveFloat,
    PositiveInt,
    SafeName,
    StrictInt,
    Text,
    class_table_problems,
    duplicates,
    read_json,
    validate,
)
from steelseg_gui.core.errors import ProjectError

__all__ = ["MAX_LABEL_VALUE", "ClassEntry", "ImageEntry", "ImageStatus", "MaskSource", "ProjectDocument"]

SCHEMA_VERSION = 2
MAX_SIDE_PX = 1_000_000


class ImageStatus(str, Enum):
    """Where an image is in the workflow; a ``str``, so ``entry.status == "reviewed"`` holds and
    the JSON is the plain word."""

    NEW = "new"
    SCRIBBLED = "scribbled"
    AUTO = "auto"
    REVIEWED = "reviewed"

    def __str__(self) -> str:
        return self.value


STATUSES = tuple(status.value for status in ImageStatus)


def now_iso() -> str:
    """The current time as ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class MaskSource(Document):
    """Which model made an image's current mask (its folder name) and when (ISO 8601)."""

    model: Label
    at: IsoTime


class ProjectMetadata(Document):
    """Who made the micrographs and how; a field nobody filled in stays ``None`` (never invented)."""

    operator: Text | None = None
    reviewer: Text | None = None
    microscope: Text | None = None
    objective: Text | None = None
    magnification: Text | None = None
    etchant: Text | None = None
    notes: Text | None = None


class Specimen(Document):
    """A specimen the images were taken from: steel grade, heat treatment, etchant, notes."""

    grade: Text | None = None
    heat_treatment: Text | None = None
    etchant: Text | None = None
    notes: Text | None = None


class ImageEntry(Document):
    """One micrograph of a project.

    ``id`` is a safe name (it names the image's scribble and mask files), ``shape`` is
    ``(H, W)`` in pixels, ``pixel_size_um`` the side of a pixel in µm (``None`` when unknown),
    ``specimen`` a key of the project's specimens or ``None``.
    """

    id: SafeName
    path: Text = Field(min_length=1)
    shape: tuple[PositiveInt, PositiveInt]
    pixel_size_um: PositiveFloat | None = None
    status: ImageStatus = ImageStatus.NEW
    specimen: Label | None = None
    mask_source: MaskSource | None = None
    reviewed_by: Text | None = None
    reviewed_at: IsoTime | None = None

    def to_json(self) -> dict:
        return self.model_dump(mode="json")


class ProjectDocument(Document):
    """The whole ``project.json``."""

    schema_version: StrictInt = Field(ge=1, le=SCHEMA_VERSION)
    name: Label
    classes: list[ClassEntry]
    metadata: ProjectMetadata = Field(default_factory=ProjectMetadata)
    specimens: dict[Label, Specimen] = Field(default_factory=dict)
    images: list[ImageEntry]

    def consistency_problems(self) -> list[tuple[tuple, str]]:
        """Unique class values and names, unique image ids (ignoring case, as file names on
        Windows and macOS do), specimens that exist."""
        problems = class_table_problems(self.classes)
        problems += duplicates("images", [(e.id.lower(), "id") for e in self.images], "image id (ignoring case)")
        for index, entry in enumerate(self.images):
            if entry.specimen is not None and entry.specimen not in self.specimens:
                known = ", ".join(self.specimens) or "none"
                problems.append(
                    (
                        ("images", index, "specimen"),
                        f"names no specimen of the project ('{entry.specimen}'; known: {known})",
                    )
                )
        return problems


def load_document(path: Path) -> ProjectDocument:
    """``project.json`` read and validated; a :class:`ProjectError` names the file and the field (the
    file is never changed by reading it)."""
    raw = read_json(path, ProjectError, "project file")
    if not isinstance(raw, dict):
        raise ProjectError(f"{path}: expected a JSON object; the file was left untouched")
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ProjectError(
            f"{path}: written by a newer SteelSeg (project schema {version}, this version reads up "
            f"to {SCHEMA_VERSION}); update SteelSeg. The file was left untouched"
        )
    return validate(ProjectDocument, raw, path, ProjectError)
