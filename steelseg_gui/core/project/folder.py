"""A SteelSeg project: a folder with ``project.json``, ``images/``, ``scribbles/``, ``masks/``,
``models/`` and ``reports/``.

``project.json`` (see :mod:`.schema`) holds the class table, the project's metadata and
specimens, and the images (path relative to the project when the image lies inside it, shape,
pixel size in µm/px, status, specimen, which model made the mask, who reviewed it). It is
validated on load and before every save. Scribbles and masks are label PNGs named after the
image id, a safe name, inside the project (a ``masks/`` that is a link out of the project is
refused). Every write is atomic and the previous ``project.json`` is kept as ``project.json.bak``.

One writer at a time: every change is a read-modify-write of ``project.json`` under a file lock
(:meth:`Project.editing`), which first picks up what other processes saved meanwhile, so two
commands adding images at once both keep their images.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from steelseg_gui.core.atomic import atomic_copy, atomic_write_bytes
from steelseg_gui.core.documents import check_safe_name, safe_name_from, validate
from steelseg_gui.core.errors import ClassInUseError, LabelImageError, MicrographError, ProjectError
from steelseg_gui.core.imaging.labels import label_values, read_label_image, write_label_image
from steelseg_gui.core.imaging.micrograph import Micrograph, read_micrograph
from steelseg_gui.core.project.classes import ClassTable, PhaseClass
from steelseg_gui.core.project.schema import (
    SCHEMA_VERSION,
    STATUSES,
    ImageEntry,
    ImageStatus,
    MaskSource,
    ProjectDocument,
    ProjectMetadata,
    Specimen,
    load_document,
    now_iso,
)
from steelseg_gui.core.project.specimens import SpecimensMixin, checked_pixel_size, checked_specimen_name

__all__ = ["STATUSES", "AddFailure", "AddResult", "ImageEntry", "ImageStatus", "Project"]

PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"
LOCK_FILE = ".steelseg.lock"
LOCK_TIMEOUT_S = 120.0
SUBFOLDERS = ("images", "scribbles", "masks", "models", "reports")
LABEL_FOLDERS = ("scribbles", "masks")


@dataclass
class AddFailure:
    """A file that could not be added, and why (one line naming the file)."""

    path: Path
    reason: str


@dataclass
class AddResult:
    """What :meth:`Project.add_images` did: the entries added and the files that failed."""

    added: list[ImageEntry] = field(default_factory=list)
    failed: list[AddFailure] = field(default_factory=list)


@dataclass
class Project(SpecimensMixin):
    """An open project. ``missing`` lists the images whose files could not be found on opening."""

    folder: Path
    name: str
    classes: ClassTable = field(default_factory=ClassTable.default)
    images: list[ImageEntry] = field(default_factory=list)
    missing: list[ImageEntry] = field(default_factory=list)
    metadata: ProjectMetadata = field(default_factory=ProjectMetadata)
    specimens: dict[str, Specimen] = field(default_factory=dict)
    _seen: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _lock: FileLock | None = field(default=None, init=False, repr=False, compare=False)

    # ----------------------------------------------------------------- create / open / save
    @classmethod
    def create(cls, folder: str | Path, name: str | None = None, classes: ClassTable | None = None) -> Project:
        """Make a new project folder (it may exist but must not hold a project yet)."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{folder} exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        project = cls(folder, name or folder.resolve().name, classes or ClassTable.default())
        with project._locked():
            if (folder / PROJECT_FILE).exists():
                raise ProjectError(f"{folder} already holds a project; open it instead")
            for sub in SUBFOLDERS:
                (folder / sub).mkdir(exist_ok=True)
            project._write()
        return project

    @classmethod
    def open(cls, folder: str | Path) -> Project:
        """Open a project; images whose files are gone are listed in ``missing`` and the rest open."""
        folder = Path(folder)
        if folder.name == PROJECT_FILE:
            folder = folder.parent
        project = cls(folder, folder.name)
        project._refresh(force=True)
        for sub in SUBFOLDERS:
            (folder / sub).mkdir(exist_ok=True)
        return project

    def to_json(self) -> dict:
        """The ``project.json`` document, validated (a :class:`ProjectError` names a bad field)."""
        return self._document().model_dump(mode="json")

    def save(self) -> None:
        """Write ``project.json`` as it is in memory (prefer :meth:`editing`, which merges what
        other processes saved); the previous version is kept as ``project.json.bak``."""
        with self._locked():
            self._write()

    @contextlib.contextmanager
    def editing(self) -> Iterator[Project]:
        """Lock the project, take up what other processes saved, let the caller change it, save.

        ``with project.editing(): project.classes.add("bainite")``. If the block raises, nothing
        is saved and the project is reloaded from disk.
        """
        with self._locked():
            self._refresh()
            try:
                yield self
                self._write()
            except BaseException:
                self._refresh(force=True)
                raise

    # ------------------------------------------------------------------------------ images
    def add_images(
        self,
        paths: list[str | Path],
        copy: bool = False,
        pixel_size_um: float | None = None,
        specimen: str | None = None,
    ) -> AddResult:
        """Add micrographs (copied into ``images/`` when ``copy``, atomically), each saved as soon
        as it is in; a file that cannot be read or copied is listed in ``failed`` with the reason
        and the others are added. ``pixel_size_um`` (µm/px) overrides what the files say;
        ``specimen`` names the specimen they come from (created when new)."""
        pixel_size_um = checked_pixel_size(pixel_size_um)
        specimen = checked_specimen_name(specimen)
        result = AddResult()
        for path in paths:
            try:
                micrograph = read_micrograph(path)
                result.added.append(self._add_one(micrograph, copy, pixel_size_um, specimen))
            except MicrographError as exc:
                result.failed.append(AddFailure(Path(path), str(exc)))
            except OSError as exc:
                reason = f"{path}: could not be added ({exc.strerror or exc}); the project is unchanged"
                result.failed.append(AddFailure(Path(path), reason))
        return result

    def _add_one(self, micrograph: Micrograph, copy: bool, pixel_size_um: float | None, specimen: str | None):
        with self._locked():
            self._refresh()
            image_id = self._unique_id(micrograph.path.stem)
            source, copied = micrograph.path, None
            try:
                if copy:
                    copied = atomic_copy(source, self._inside("images", f"{image_id}{source.suffix.lower()}"))
                    source = copied
                if specimen is not None:
                    self.specimens.setdefault(specimen, Specimen())
                size = (
                    pixel_size_um if pixel_size_um is not None else checked_pixel_size(micrograph.pixel_size_um, None)
                )
                entry = ImageEntry(
                    id=image_id,
                    path=self._stored_path(source),
                    shape=(micrograph.height, micrograph.width),
                    pixel_size_um=size,
                    specimen=specimen,
                )
                self.images.append(entry)
                self._write()
            except BaseException:
                if copied is not None:
                    copied.unlink(missing_ok=True)
                self._refresh(force=True)
                raise
        return entry

    def entry(self, image_id: str) -> ImageEntry:
        for entry in self.images:
            if entry.id == image_id:
                return entry
        raise ProjectError(f"project '{self.name}' has no image '{image_id}'")

    def image_path(self, entry: ImageEntry) -> Path:
        path = Path(entry.path)
        return path if path.is_absolute() else self.folder / path

    def set_status(self, image_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ProjectError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")
        with self.editing():
            self.entry(image_id).status = ImageStatus(status)

    def status_counts(self) -> dict[str, int]:
        return {status: sum(e.status == status for e in self.images) for status in STATUSES}

    # ------------------------------------------------------------------ scribbles and masks
    def model_folder(self, name: str) -> Path:
        """``models/NAME``, the folder of one of the project's models (a safe name, inside the project)."""
        try:
            return self._inside("models", check_safe_name(name))
        except ValueError as exc:
            raise ProjectError(f"model name {name!r}: {exc}") from None

    def scribble_path(self, image_id: str) -> Path:
        return self._inside("scribbles", f"{_safe_id(image_id)}.png")

    def mask_path(self, image_id: str) -> Path:
        return self._inside("masks", f"{_safe_id(image_id)}.png")

    def save_scribbles(self, image_id: str, labels: np.ndarray) -> None:
        """Save an image's scribbles; a ``new`` image with any scribble becomes ``scribbled``."""
        with self.editing():
            entry = self._check_labels(image_id, labels)
            write_label_image(self.scribble_path(image_id), labels)
            if entry.status == ImageStatus.NEW and np.any(labels):
                entry.status = ImageStatus.SCRIBBLED

    def load_scribbles(self, image_id: str) -> np.ndarray | None:
        path = self.scribble_path(image_id)
        return read_label_image(path) if path.exists() else None

    def save_mask(
        self,
        image_id: str,
        labels: np.ndarray,
        status: str,
        source_model: str | None = None,
        reviewer: str | None = None,
    ) -> None:
        """Save a dense mask with status ``auto`` (made by the model named ``source_model``, which
        is recorded as ``mask_source``) or ``reviewed`` (checked by ``reviewer``, recorded with the
        time in ``reviewed_by``/``reviewed_at``)."""
        if status not in (ImageStatus.AUTO, ImageStatus.REVIEWED):
            raise ProjectError(f"a mask is saved as 'auto' or 'reviewed', not '{status}'")
        with self.editing():
            entry = self._check_labels(image_id, labels)
            write_label_image(self.mask_path(image_id), labels)
            entry.status = ImageStatus(status)
            if entry.status == ImageStatus.AUTO:
                source = MaskSource(model=source_model, at=now_iso()) if source_model else None
                entry.mask_source, entry.reviewed_by, entry.reviewed_at = source, None, None
            else:
                entry.reviewed_by, entry.reviewed_at = reviewer, now_iso()

    def load_mask(self, image_id: str) -> np.ndarray | None:
        path = self.mask_path(image_id)
        return read_label_image(path) if path.exists() else None

    # ------------------------------------------------------------------------------ classes
    def remove_class(self, value: int) -> None:
        """Remove a class unless saved scribbles or masks still use its label value."""
        with self.editing():
            self.classes.get(value)
            users = [path.name for path in self._label_files() if value in label_values(read_label_image(path))]
            if users:
                raise ClassInUseError(
                    f"class '{self.classes.name_of(value)}' (value {value}) is still used in "
                    f"{', '.join(users)}; erase those labels first"
                )
            self.classes.remove(value)

    def _label_files(self) -> list[Path]:
        return [path for sub in LABEL_FOLDERS for path in sorted((self.folder / sub).glob("*.png"))]

    def _check_labels(self, image_id: str, labels: np.ndarray) -> ImageEntry:
        entry = self.entry(image_id)
        labels = np.asarray(labels)
        if tuple(labels.shape) != tuple(entry.shape):
            raise LabelImageError(
                f"labels for '{image_id}' have shape {tuple(labels.shape)} but the image is "
                f"{entry.shape[0]} rows × {entry.shape[1]} columns"
            )
        if labels.dtype != bool and not np.issubdtype(labels.dtype, np.integer):
            raise LabelImageError(f"labels for '{image_id}' are {labels.dtype}; expected integers")
        unknown = sorted(set(np.unique(labels).tolist()) - {0} - set(self.classes.values))
        if unknown:
            shown = ", ".join(map(str, unknown[:10])) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            raise LabelImageError(
                f"labels for '{image_id}' use values [{shown}] that are not in the class table "
                f"({', '.join(map(str, self.classes.values))})"
            )
        return entry

    # --------------------------------------------------------------------------- internals
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self._lock is None:
            self._lock = FileLock(str(self.folder / LOCK_FILE), timeout=LOCK_TIMEOUT_S)
        try:
            with self._lock:
                yield
        except Timeout:
            raise ProjectError(
                f"{self.folder}: another SteelSeg process has been changing this project for over "
                f"{LOCK_TIMEOUT_S:.0f} s; try again once it has finished"
            ) from None

    def _refresh(self, force: bool = False) -> None:
        """Load ``project.json`` into this object unless it is what this object last read or wrote."""
        path = self.folder / PROJECT_FILE
        if not path.is_file():
            raise ProjectError(f"{self.folder}: not a SteelSeg project (no {PROJECT_FILE})")
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest == self._seen and not force:
            return
        document = load_document(path)
        self.name, self.metadata, self.specimens = document.name, document.metadata, dict(document.specimens)
        self.classes = ClassTable([PhaseClass(c.value, c.name, c.color) for c in document.classes])
        self.images[:] = document.images
        self.missing = [entry for entry in self.images if not self.image_path(entry).exists()]
        self._seen = digest

    def _document(self) -> ProjectDocument:
        data = {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "classes": self.classes.to_json(),
            "metadata": self.metadata.model_dump(),
            "specimens": {name: info.model_dump() for name, info in self.specimens.items()},
            "images": [entry.model_dump() for entry in self.images],
        }
        return validate(ProjectDocument, data, self.folder / PROJECT_FILE, ProjectError)

    def _write(self) -> None:
        text = json.dumps(self._document().model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False)
        data = (text + "\n").encode("utf-8")
        digest = hashlib.sha256(data).digest()
        if digest == self._seen:
            return  # nothing changed: the file (and its backup) stay as they are
        target = self.folder / PROJECT_FILE
        if target.exists():
            atomic_write_bytes(self.folder / BACKUP_FILE, target.read_bytes())
        atomic_write_bytes(target, data)
        self._seen = digest

    def _inside(self, sub: str, name: str) -> Path:
        """``folder/sub/name``, refused when ``sub`` leads out of the project (a link elsewhere)."""
        check_safe_name(name)
        root = self.folder.resolve()
        parent = (self.folder / sub).resolve()
        if parent != root / sub:
            raise ProjectError(
                f"{self.folder / sub}: leads outside the project (to {parent}); SteelSeg writes only "
                "inside the project folder"
            )
        return self.folder / sub / name

    def _unique_id(self, stem: str) -> str:
        """A safe id from a file name, unused by any image (ignoring case) and by any file already
        in ``images/``, ``scribbles/`` or ``masks/``, so a new image never adopts or overwrites one."""
        base = safe_name_from(stem)
        taken = {entry.id.lower() for entry in self.images}
        for sub in ("images", *LABEL_FOLDERS):
            with contextlib.suppress(OSError):
                taken |= {path.stem.lower() for path in (self.folder / sub).iterdir()}
        candidate, n = base, 2
        while candidate.lower() in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _stored_path(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.folder.resolve()).as_posix()
        except ValueError:
            return str(path.resolve())


def _safe_id(image_id: str) -> str:
    try:
        return check_safe_name(image_id)
    except ValueError as exc:
        raise ProjectError(f"image id {image_id!r}: {exc}") from None
