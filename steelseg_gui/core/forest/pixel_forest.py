"""Random forest on the filter bank: learn from scribbles, propagate to dense masks.

The shape of scikit-image's ``fit_segmenter`` / ``predict_segmenter``: scribbles are label
images (0 = unlabelled, 1..K classes), images are float32 ``(H, W, C)`` in [0, 1] (see
:func:`steelseg_gui.core.imaging.micrograph.to_float01`), features are on the last axis. Both training and
prediction are jobs (generators yielding :class:`Progress`) so the GUI can show progress and
cancel, and both work strip by strip so memory stays bounded on large images.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from steelseg_gui.core.bundle import data_fingerprint
from steelseg_gui.core.errors import LabelImageError, MicrographError
from steelseg_gui.core.forest.features import FeatureSpec, features_at
from steelseg_gui.core.forest.propagation import predict_exact, predict_fast
from steelseg_gui.core.forest.settings import DEFAULT_TREES, SAMPLES_PER_CLASS_PER_IMAGE, TREES_PER_STEP
from steelseg_gui.core.forest.tree_eval import FlatForest
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.prediction import Prediction
from steelseg_gui.core.project.classes import ClassTable


class ScribbleError(LabelImageError):
    """Scribbles cannot train a forest (none, one class only, wrong shape...)."""


@dataclass
class ScribbledImage:
    """One training image: ``image`` float32 ``(H, W, C)`` in [0, 1]; ``scribbles`` ``(H, W)`` int."""

    name: str
    image: np.ndarray
    scribbles: np.ndarray


@dataclass
class PixelForest:
    """A trained forest with what is needed to apply it: its trees as flat arrays, the label values
    it predicts (column order of its probabilities), feature spec, classes and input channels.
    ``summary`` records how it was trained (images, samples per class, trees, seed, seconds).
    """

    flat: FlatForest
    class_values: list[int]
    spec: FeatureSpec
    classes: ClassTable
    channels: int
    summary: dict = field(default_factory=dict)

    @property
    def trees(self) -> int:
        return int(self.flat.roots.size)

    def check_channels(self, channels: int, name: str) -> None:
        """Raise :class:`MicrographError` when an image has another channel count than the training images."""
        if channels != self.channels:
            raise MicrographError(
                f"{name}: has {channels} channel(s) but the forest was trained on "
                f"{self.channels}-channel images; convert the image or retrain"
            )

    def predict(self, image: np.ndarray, name: str = "image", exact: bool = False) -> Job[Prediction]:
        """Propagate to every pixel of ``image``; ``exact`` walks every pixel through the forest
        instead of refining a coarse prediction (slower, see :mod:`steelseg_gui.core.forest.propagation`)."""
        self.check_channels(image.shape[2], name)
        predictor = predict_exact if exact else predict_fast
        return predictor(image, self.spec, self.flat, np.asarray(self.class_values), name)


def check_scribbled(item: ScribbledImage, channels: int | None = None) -> None:
    """Raise a clear error when scribbles do not fit their image or the other training images."""
    if item.scribbles.shape != item.image.shape[:2]:
        raise ScribbleError(
            f"{item.name}: scribbles are {item.scribbles.shape[1]}×{item.scribbles.shape[0]} px "
            f"but the image is {item.image.shape[1]}×{item.image.shape[0]} px"
        )
    if channels is not None and item.image.shape[2] != channels:
        raise MicrographError(
            f"{item.name}: has {item.image.shape[2]} channel(s) but the other training images "
            f"have {channels}; use images of one kind (all grey or all colour)"
        )


def train_forest(
    items: list[ScribbledImage],
    classes: ClassTable,
    spec: FeatureSpec | None = None,
    trees: int = DEFAULT_TREES,
    seed: int = 0,
    samples_per_class: int = SAMPLES_PER_CLASS_PER_IMAGE,
    cache: dict | None = None,
) -> Job[PixelForest]:
    """Train a forest on the scribbled pixels of ``items`` (a job; returns the :class:`PixelForest`).

    Up to ``samples_per_class`` scribbled pixels per class and image are drawn (seeded per image),
    so that a heavily scribbled image or class does not dominate; class weights balance what
    remains. ``cache`` (any dict kept by the caller) remembers each image's training pixels and
    features, so retraining after new strokes on one image recomputes only that image.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.utils.class_weight import compute_class_weight

    spec = spec or FeatureSpec()
    _check_training_set(items, classes)
    started = time.perf_counter()
    features, targets = [], []
    steps = len(items) + -(-trees // TREES_PER_STEP) + 1
    for done, item in enumerate(items):
        yield Progress(done, steps, f"features of {item.name}")
        x_item, y_item = _training_pixels(item, spec, samples_per_class, seed, cache)
        features.append(x_item)
        targets.append(y_item)
    x, y = np.concatenate(features), np.concatenate(targets)
    values = np.unique(y)
    weights = compute_class_weight("balanced", classes=values, y=y)
    estimator = RandomForestClassifier(
        n_estimators=0, class_weight=dict(zip(values.tolist(), weights)), n_jobs=-1, random_state=seed, warm_start=True
    )
    while estimator.n_estimators < trees:
        yield Progress(
            len(items) + estimator.n_estimators // TREES_PER_STEP,
            steps,
            f"growing trees {estimator.n_estimators}/{trees}",
        )
        estimator.n_estimators = min(trees, estimator.n_estimators + TREES_PER_STEP)
        estimator.fit(x, y)
    values, counts = np.unique(y, return_counts=True)
    summary = {
        "images": [item.name for item in items],
        "trees": trees,
        "seed": seed,
        "samples_per_class": {classes.name_of(int(v)): int(n) for v, n in zip(values, counts)},
        "features": spec.count(items[0].image.shape[2]),
        "data_fingerprint": data_fingerprint(a for item in items for a in (item.image, item.scribbles)),
        "seconds": round(time.perf_counter() - started, 2),
    }
    yield Progress(steps, steps, "forest trained")
    return PixelForest(
        FlatForest.from_estimator(estimator),
        [int(v) for v in estimator.classes_],
        spec,
        classes,
        int(items[0].image.shape[2]),
        summary,
    )


def _check_training_set(items: list[ScribbledImage], classes: ClassTable) -> None:
    if not items:
        raise ScribbleError("no scribbled images to train on; paint scribbles of each phase first")
    for item in items:
        check_scribbled(item, items[0].image.shape[2])
    present = set()
    for item in items:
        present |= set(np.unique(item.scribbles).tolist())
    present.discard(0)
    if not present:
        raise ScribbleError("the scribbles are empty; paint scribbles of each phase first")
    unknown = sorted(present - set(classes.values))
    if unknown:
        raise ScribbleError(
            f"scribbles use label values {unknown} that are not in the class table "
            f"({', '.join(f'{p.value} {p.name}' for p in classes)})"
        )
    if len(present) < 2:
        only = classes.name_of(present.pop())
        raise ScribbleError(f"all scribbles are '{only}'; paint at least two phases so the forest can tell them apart")


def _training_pixels(
    item: ScribbledImage, spec: FeatureSpec, cap: int, seed: int, cache: dict | None
) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, F)`` and labels ``(N,)`` of the sampled scribbled pixels of one image."""
    key = (item.name, spec, cap, seed, item.image.shape, hashlib.sha1(item.scribbles.tobytes()).hexdigest())
    if cache is not None and key in cache:
        return cache[key]
    rng = np.random.default_rng([seed, zlib.crc32(item.name.encode())])
    rows, cols = _balanced_pixels(item.scribbles, cap, rng)
    result = features_at(item.image, spec, rows, cols), item.scribbles[rows, cols].astype(np.int32)
    if cache is not None:
        for old in [k for k in cache if k[0] == item.name]:
            del cache[old]
        cache[key] = result
    return result


def _balanced_pixels(scribbles: np.ndarray, cap: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of at most ``cap`` scribbled pixels per class, sorted by row."""
    flat = scribbles.ravel()
    chosen = []
    for value in np.unique(flat[flat > 0]):
        where = np.flatnonzero(flat == value)
        chosen.append(where if where.size <= cap else rng.choice(where, cap, replace=False))
    picked = np.sort(np.concatenate(chosen))
    return np.unravel_index(picked, scribbles.shape)
