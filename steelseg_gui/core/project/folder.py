"""A SteelSeg project: a folder with ``project.json``, ``scribbles/``, ``masks/``, ``models/``, ``reports/``.

``project.json`` holds the schema version, the class table and the images (path relative to
the project when the image lies inside it, shape, pixel size in µm/px, status). Scribbles and
masks are label PNGs named after the image id. Every write is atomic, and the previous
``project.json`` is kept as ``project.json.bak``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from steelseg_gui.core.atomic import atomic_write_bytes, atomic_write_json
from steelseg_gui.core.errors import ClassInUseError, LabelImageError, ProjectError
from steelseg_gui.core.imaging.labels import label_values, read_label_image, write_label_image
from steelseg_gui.core.imaging.micrograph import read_micrograph
from steelseg_gui.core.project.classes import ClassTable

SCHEMA_VERSION = 1
PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"
SUBFOLDERS = ("images", "scribbles", "masks", "models", "reports")
STATUSES = ("new", "scribbled", "auto", "reviewed")


@dataclass
class ImageEntry:
    """One micrograph of a project. ``shape`` is ``(H, W)`` in pixels."""

    id: str
    path: str
    shape: tuple[int, int]
    pixel_size_um: float | None = None
    status: str = "new"

    def to_json(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}

    @classmethod
    def from_json(cls, item: dict) -> ImageEntry:
        status = item.get("status", "new")
        if status not in STATUSES:
            raise ProjectError(f"image '{item.get('id')}' has unknown status '{status}'")
        size = item.get("pixel_size_um")
        return cls(
            str(item["id"]),
            str(item["path"]),
            tuple(int(n) for n in item["shape"]),
            None if size is None else float(size),
            status,
        )


@dataclass
class Project:
    """An open project. ``missing`` lists the images whose files could not be found on opening."""

    folder: Path
    name: str
    classes: ClassTable = field(default_factory=ClassTable.default)
    images: list[ImageEntry] = field(default_factory=list)
    missing: list[ImageEntry] = field(default_factory=list)

    # ----------------------------------------------------------------- create / open / save
    @classmethod
    def create(cls, folder: str | Path, name: str | None = None, classes: ClassTable | None = None) -> Project:
        """Make a new project folder (it may exist but must not hold a project yet)."""
        folder = Path(folder)
        if (folder / PROJECT_FILE).exists():
            raise ProjectError(f"{folder} already holds a project; open it instead")
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{folder} exists and is not a folder")
        for sub in SUBFOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        project = cls(folder, name or folder.resolve().name, classes or ClassTable.default())
        project.save()
        return project

    @classmethod
    def open(cls, folder: str | Path) -> Project:
        """Open a project; images whose files are gone are listed in ``missing`` and the rest open."""
        folder = Path(folder)
        if folder.name == PROJECT_FILE:
            folder = folder.parent
        document = _load_document(folder / PROJECT_FILE)
        try:
            images = [ImageEntry.from_json(item) for item in document["images"]]
            project = cls(folder, str(document["name"]), ClassTable.from_json(document["classes"]), images)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(
                f"{folder / PROJECT_FILE}: malformed project file ({exc!r} missing or wrong); "
                "the file was left untouched"
            ) from exc
        for sub in SUBFOLDERS:
            (folder / sub).mkdir(exist_ok=True)
        project.missing = [entry for entry in images if not project.image_path(entry).exists()]
        return project

    def to_json(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "classes": self.classes.to_json(),
            "images": [entry.to_json() for entry in self.images],
        }

    def save(self) -> None:
        """Write ``project.json`` atomically, keeping the previous version as ``project.json.bak``."""
        target = self.folder / PROJECT_FILE
        if target.exists():
            atomic_write_bytes(self.folder / BACKUP_FILE, target.read_bytes())
        atomic_write_json(target, self.to_json())

    # ------------------------------------------------------------------------------ images
    def add_images(
        self, paths: list[str | Path], copy: bool = False, pixel_size_um: float | None = None
    ) -> list[ImageEntry]:
        """Add micrographs (copied into ``images/`` when ``copy``) and save.

        Every file is read first: if any is unusable a :class:`MicrographError` names it and the
        project is left unchanged. ``pixel_size_um`` overrides what the files say.
        """
        micrographs = [read_micrograph(path) for path in paths]
        added = []
        for micrograph in micrographs:
            image_id = self._unique_id(micrograph.path.stem)
            source = micrograph.path
            if copy:
                source = self.folder / "images" / f"{image_id}{micrograph.path.suffix.lower()}"
                shutil.copy2(micrograph.path, source)
            entry = ImageEntry(
                image_id,
                self._stored_path(source),
                (micrograph.height, micrograph.width),
                pixel_size_um if pixel_size_um is not None else micrograph.pixel_size_um,
            )
            self.images.append(entry)
            added.append(entry)
        self.save()
        return added

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
        self.entry(image_id).status = status
        self.save()

    def status_counts(self) -> dict[str, int]:
        return {status: sum(e.status == status for e in self.images) for status in STATUSES}

    # ------------------------------------------------------------------ scribbles and masks
    def scribble_path(self, image_id: str) -> Path:
        return self.folder / "scribbles" / f"{image_id}.png"

    def mask_path(self, image_id: str) -> Path:
        return self.folder / "masks" / f"{image_id}.png"

    def save_scribbles(self, image_id: str, labels: np.ndarray) -> None:
        """Save an image's scribbles; a ``new`` image with any scribble becomes ``scribbled``."""
        entry = self._check_labels(image_id, labels)
        write_label_image(self.scribble_path(image_id), labels)
        if entry.status == "new" and np.any(labels):
            self.set_status(image_id, "scribbled")

    def load_scribbles(self, image_id: str) -> np.ndarray | None:
        path = self.scribble_path(image_id)
        return read_label_image(path) if path.exists() else None

    def save_mask(self, image_id: str, labels: np.ndarray, status: str) -> None:
        """Save a dense mask with status ``auto`` (from a model) or ``reviewed`` (checked by a person)."""
        self._check_labels(image_id, labels)
        write_label_image(self.mask_path(image_id), labels)
        self.set_status(image_id, status)

    def load_mask(self, image_id: str) -> np.ndarray | None:
        path = self.mask_path(image_id)
        return read_label_image(path) if path.exists() else None

    # ------------------------------------------------------------------------------ classes
    def remove_class(self, value: int) -> None:
        """Remove a class unless saved scribbles or masks still use its label value."""
        self.classes.get(value)
        users = [path.name for path in self._label_files() if value in label_values(read_label_image(path))]
        if users:
            raise ClassInUseError(
                f"class '{self.classes.name_of(value)}' (value {value}) is still used in "
                f"{', '.join(users)}; erase those labels first"
            )
        self.classes.remove(value)
        self.save()

    def _label_files(self) -> list[Path]:
        return sorted((self.folder / "scribbles").glob("*.png")) + sorted((self.folder / "masks").glob("*.png"))

    def _check_labels(self, image_id: str, labels: np.ndarray) -> ImageEntry:
        entry = self.entry(image_id)
        if tuple(labels.shape) != tuple(entry.shape):
            raise LabelImageError(
                f"labels for '{image_id}' have shape {tuple(labels.shape)} but the image is "
                f"{entry.shape[0]} rows × {entry.shape[1]} columns"
            )
        unknown = sorted(label_values(labels) - {0} - set(self.classes.values))
        if unknown:
            raise LabelImageError(f"labels for '{image_id}' use values {unknown} that are not in the class table")
        return entry

    def _unique_id(self, stem: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", stem) or "image"
        taken = {entry.id for entry in self.images}
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def _stored_path(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.folder.resolve()).as_posix()
        except ValueError:
            return str(path.resolve())


def _load_document(path: Path) -> dict:
    if not path.exists():
        raise ProjectError(f"{path.parent}: not a SteelSeg project (no {PROJECT_FILE})")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(
            f"{path}: not valid JSON ({exc}); the file was left untouched, the previous version may be in {BACKUP_FILE}"
        ) from exc
    if not isinstance(document, dict):
        raise ProjectError(f"{path}: expected a JSON object; the file was left untouched")
    version = document.get("schema_version")
    if not isinstance(version, int):
        raise ProjectError(f"{path}: no schema_version; the file was left untouched")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{path}: written by a newer SteelSeg (project schema {version}, this version reads up "
            f"to {SCHEMA_VERSION}); update SteelSeg. The file was left untouched"
        )
    return document
