"""Scribble propagation over a project: train on every scribbled image, write auto-masks.

Masks of images marked ``reviewed`` are checked by a person and are only replaced when the
caller says so explicitly (``include_reviewed=True``, which the GUI asks the user about).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.features import FeatureSpec
from steelseg_gui.core.forest.pixel_forest import PixelForest, ScribbledImage, train_forest
from steelseg_gui.core.forest.settings import DEFAULT_TREES
from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress, within
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.project.folder import ImageEntry, Project


@dataclass
class PropagationReport:
    """What a project propagation did: the model folder and the images given auto-masks or skipped."""

    model_folder: Path | None
    written: list[str] = field(default_factory=list)
    skipped_reviewed: list[str] = field(default_factory=list)


def load_image01(project: Project, entry: ImageEntry) -> np.ndarray:
    """A project image as float32 ``(H, W, C)`` in [0, 1]."""
    return to_float01(read_micrograph(project.image_path(entry)).data)


def scribbled_images(project: Project, overrides: dict[str, np.ndarray] | None = None) -> list[ScribbledImage]:
    """Every image with at least one scribbled pixel; ``overrides`` replaces saved scribbles by id
    (the GUI passes the strokes on screen, which may not be saved yet)."""
    overrides = overrides or {}
    items = []
    for entry in project.images:
        scribbles = overrides.get(entry.id)
        if scribbles is None:
            scribbles = project.load_scribbles(entry.id)
        if scribbles is not None and np.any(scribbles):
            items.append(ScribbledImage(entry.id, load_image01(project, entry), scribbles))
    return items


def train_project_forest(
    project: Project,
    trees: int = DEFAULT_TREES,
    seed: int = 0,
    spec: FeatureSpec | None = None,
    overrides: dict[str, np.ndarray] | None = None,
    cache: dict | None = None,
) -> Job[PixelForest]:
    """Train a forest on all of the project's scribbles (a job); ``cache`` as in :func:`train_forest`."""
    yield Progress(0, 1, "reading scribbled images")
    items = scribbled_images(project, overrides)
    return (yield from train_forest(items, project.classes, spec, trees, seed, cache=cache))


def predict_entry(project: Project, forest: PixelForest, image_id: str) -> Job[Prediction]:
    """Propagate ``forest`` to one project image (a job returning a :class:`Prediction`)."""
    yield Progress(0, 1, f"reading {image_id}")
    return (yield from forest.predict(load_image01(project, project.entry(image_id)), image_id))


def targets(project: Project, include_reviewed: bool) -> tuple[list[ImageEntry], list[ImageEntry]]:
    """(images to propagate to, reviewed images left alone)."""
    reviewed = [e for e in project.images if e.status == "reviewed" and not include_reviewed]
    return [e for e in project.images if e not in reviewed and e not in project.missing], reviewed


def apply_to_project(
    project: Project, forest: PixelForest, include_reviewed: bool = False, source_model: str | None = None
) -> Job[PropagationReport]:
    """Write an auto-mask (status ``auto``, made by ``source_model``) for every image that is not reviewed (a job).

    All target images are read and checked first, so an unreadable image or one with another
    channel count stops the job before any mask is written.
    """
    todo, reviewed = targets(project, include_reviewed)
    report = PropagationReport(None, skipped_reviewed=[e.id for e in reviewed])
    for done, entry in enumerate(todo):
        yield Progress(done, len(todo) * 2, f"checking {entry.id}")
        forest.check_channels(read_micrograph(project.image_path(entry)).channels, entry.id)
    for done, entry in enumerate(todo):
        yield Progress(len(todo) + done, len(todo) * 2, f"propagating to {entry.id}")
        result = yield from within(
            forest.predict(load_image01(project, entry), entry.id), len(todo) + done, len(todo) * 2
        )
        project.save_mask(entry.id, result.labels, "auto", source_model=source_model)
        report.written.append(entry.id)
    yield Progress(len(todo) * 2, len(todo) * 2, f"{len(report.written)} auto-mask(s) written")
    return report


def propagate_project(
    project: Project,
    trees: int = DEFAULT_TREES,
    seed: int = 0,
    include_reviewed: bool = False,
    model_name: str = "forest",
) -> Job[PropagationReport]:
    """Train on every scribbled image, save the forest in ``models/``, apply it to the project (a job)."""
    forest = yield from train_project_forest(project, trees, seed)
    folder = save_forest(forest, project.folder / "models" / model_name, _common_pixel_size(project))
    report = yield from apply_to_project(project, forest, include_reviewed, source_model=folder.name)
    report.model_folder = folder
    return report


def _common_pixel_size(project: Project) -> float | None:
    sizes = {e.pixel_size_um for e in project.images}
    return sizes.pop() if len(sizes) == 1 else None
