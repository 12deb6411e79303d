"""Where training tiles come from: a project's masks or a pair of image/mask folders; tile export.

Images are read as float32 ``(H, W, C)`` in [0, 1]; masks as ``(H, W)`` label values 1..K
(0 = unlabelled). A project gives its ``reviewed`` masks, and its ``auto`` masks only when asked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from steelseg_gui.core.errors import LabelImageError
from steelseg_gui.core.imaging.labels import label_values, read_label_image, write_label_image, write_png
from steelseg_gui.core.imaging.micrograph import is_micrograph_file, read_micrograph, to_float01
from steelseg_gui.core.nets.tiles import PARTS, LabelledImage, TileBatches, TilePlan
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.quantify.evaluation import mask_files


def project_training_images(project: Project, include_auto: bool = False) -> list[LabelledImage]:
    """The project's images with a ``reviewed`` mask (and ``auto`` ones when ``include_auto``)."""
    statuses = {"reviewed", "auto"} if include_auto else {"reviewed"}
    items = []
    for entry in project.images:
        mask = project.load_mask(entry.id) if entry.status in statuses else None
        if mask is not None:
            image = to_float01(read_micrograph(project.image_path(entry)).data)
            items.append(LabelledImage(entry.id, image, mask))
    if not items:
        extra = "" if include_auto else " (auto-masks count only with --include-auto)"
        raise LabelImageError(f"{project.folder}: no reviewed masks to train on{extra}")
    return items


def folder_training_images(
    images_dir: str | Path, masks_dir: str | Path, zero_based: bool = False
) -> list[LabelledImage]:
    """Pairs of ``images_dir/STEM.*`` and ``masks_dir/STEM.*`` matched by file stem."""
    images_dir, masks_dir = Path(images_dir), Path(masks_dir)
    if not images_dir.is_dir():
        raise LabelImageError(f"{images_dir}: image folder not found")
    images = {p.stem: p for p in sorted(images_dir.iterdir()) if p.is_file() and is_micrograph_file(p)}
    masks = mask_files(masks_dir)
    without_mask = sorted(set(images) - set(masks))
    if without_mask:
        raise LabelImageError(
            f"{len(without_mask)} images have no mask of the same name in {masks_dir} "
            f"(first: {images[without_mask[0]].name}); each image needs STEM.png in the mask folder"
        )
    if not images:
        raise LabelImageError(f"{images_dir}: no images (.png, .tif, ...) in this folder")
    items = []
    for stem, path in images.items():
        image = to_float01(read_micrograph(path).data)
        mask = read_label_image(masks[stem], zero_based)
        if mask.shape != image.shape[:2]:
            raise LabelImageError(
                f"{masks[stem]}: mask {mask.shape[1]}×{mask.shape[0]} px does not match "
                f"image {path.name} {image.shape[1]}×{image.shape[0]} px"
            )
        items.append(LabelledImage(stem, image, mask))
    return items


def classes_for(items: list[LabelledImage], names: list[str] | None = None) -> ClassTable:
    """Classes 1..K for folder data: ``names`` if given, else ``class 1..K`` for the values found
    (which must run 1..K without a gap, see :meth:`ClassTable.numbered`)."""
    if names:
        return ClassTable.from_names(names)
    present = set().union(*(label_values(item.mask) for item in items))
    return ClassTable.numbered(present)


def export_tiles(items: list[LabelledImage], plan: TilePlan, classes: ClassTable, folder: str | Path) -> int:
    """Write every planned tile as ``folder/PART/images/NAME_rROW_cCOL_qTURNS.png`` plus its mask
    (label values 1..K) in ``folder/PART/masks``: the seed paper's data on disk. Returns the count."""

    batches = TileBatches(items, classes, plan.tile, [0.0] * items[0].image.shape[2], [1.0] * items[0].image.shape[2])
    values = np.asarray([0] + classes.values)
    count = 0
    for part in PARTS:
        for ref in plan.parts[part]:
            x, y = batches.batch([ref])
            stem = f"{items[ref.image].name}_r{ref.row}_c{ref.col}_q{ref.rotation}"
            pixels = np.round(np.clip(x[0].transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)
            pixels = pixels[..., 0] if pixels.shape[2] == 1 else pixels
            write_png(Path(folder) / part / "images" / f"{stem}.png", pixels)
            write_label_image(Path(folder) / part / "masks" / f"{stem}.png", _labels(y[0], values))
            count += 1
    return count


def _labels(indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Class indices (with IGNORE) back to label values (0 for ignored)."""
    return np.where(indices < 0, 0, values[np.clip(indices, 0, None) + 1])
