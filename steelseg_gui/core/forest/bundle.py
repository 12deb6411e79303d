"""Saved forests: a model folder with ``config.json`` and ``forest.safetensors``.

The forest is stored as the flat node arrays it is evaluated from (:class:`FlatForest`), in
safetensors, which holds arrays only: loading cannot run code, needs neither scikit-learn nor
torch, and the arrays are checked so that walking the trees can neither loop nor read outside
them. ``config.json`` says what the model is (kind, classes, feature spec, input channels,
normalisation), how it was trained and with which versions. Forests saved by SteelSeg 0.1
(``forest.skops``) are still read, allowing only the types a fitted forest contains.
"""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.core.bundle import CONFIG_FILE, FOREST_KIND, bundle_header, read_model_config, write_bundle
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.forest.features import FeatureSpec
from steelseg_gui.core.forest.pixel_forest import PixelForest
from steelseg_gui.core.forest.tree_eval import FlatForest
from steelseg_gui.core.project.classes import ClassTable

FOREST_FILE = "forest.safetensors"
LEGACY_FOREST_FILE = "forest.skops"
NORMALISATION = "integer images divided by their dtype maximum; float images in [0, 1] kept"
# The only type in a fitted RandomForestClassifier that skops does not trust by default.
ALLOWED_UNTRUSTED_TYPES = ("sklearn.tree._tree.Tree",)


def forest_config(forest: PixelForest, pixel_size_um: float | None = None) -> dict:
    """The ``config.json`` document of a forest."""
    return {
        **bundle_header(FOREST_KIND, {"scikit-learn": _version("scikit-learn")}),
        "architecture": f"random-forest-{forest.trees}",
        "trees": forest.trees,
        "classes": forest.classes.to_json(),
        "class_values": forest.class_values,
        "input_channels": forest.channels,
        "feature_spec": forest.spec.to_json(),
        "feature_names": forest.spec.feature_names(forest.channels),
        "normalisation": NORMALISATION,
        "pixel_size_um": pixel_size_um,
        "training": forest.summary,
        "data_fingerprint": forest.summary.get("data_fingerprint"),
    }


def save_forest(forest: PixelForest, folder: str | Path, pixel_size_um: float | None = None) -> Path:
    """Write the model folder atomically (an existing model folder is replaced only once the new one is complete)."""
    from safetensors.numpy import save

    data = save(forest.flat.to_arrays())  # bytes, written by Python: a full disk is an OSError
    return write_bundle(
        folder, forest_config(forest, pixel_size_um), lambda staging: (staging / FOREST_FILE).write_bytes(data)
    )


def load_forest(folder: str | Path) -> PixelForest:
    """Load a saved forest, refusing anything that is not one or does not fit its configuration."""
    folder = Path(folder)
    config = read_model_config(folder, FOREST_KIND)
    try:
        classes = ClassTable.from_json(config["classes"])
        spec = FeatureSpec.from_json(config["feature_spec"])
        channels = int(config["input_channels"])
        class_values = [int(v) for v in config["class_values"]]
    except (KeyError, TypeError, ValueError, SteelSegError) as exc:
        raise ModelError(f"{folder / CONFIG_FILE}: malformed model configuration ({exc})") from exc
    if (folder / FOREST_FILE).is_file() or not (folder / LEGACY_FOREST_FILE).is_file():
        flat = _read_flat(folder / FOREST_FILE, spec.count(channels), len(class_values))
    else:
        flat = _read_legacy(folder / LEGACY_FOREST_FILE, spec.count(channels), class_values)
    return PixelForest(flat, class_values, spec, classes, channels, dict(config.get("training") or {}))


def _read_flat(path: Path, n_features: int, n_classes: int) -> FlatForest:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not path.is_file():
        raise ModelError(f"{path.parent}: the model folder has no {FOREST_FILE}")
    try:
        arrays = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable safetensors file, the model may be damaged ({exc})") from exc
    try:
        return FlatForest.from_arrays(arrays, n_features, n_classes)
    except ValueError as exc:
        raise ModelError(f"{path}: {exc}; the model folder is inconsistent or damaged") from exc


def _read_legacy(path: Path, n_features: int, class_values: list[int]) -> FlatForest:
    """A SteelSeg 0.1 ``forest.skops``, loaded only if it holds nothing but a fitted forest."""
    import skops.io as skops_io
    from sklearn.ensemble import RandomForestClassifier

    try:
        untrusted = skops_io.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises many types for damaged archives
        raise ModelError(f"{path}: not a readable skops file, the model may be damaged ({exc})") from exc
    unexpected = sorted(set(untrusted) - set(ALLOWED_UNTRUSTED_TYPES))
    if unexpected:
        raise ModelError(
            f"{path}: holds types a random forest never contains ({', '.join(unexpected)}); "
            "refusing to load it because it could run code"
        )
    try:
        estimator = skops_io.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelError(f"{path}: the forest cannot be read, the model may be damaged ({exc})") from exc
    if not isinstance(estimator, RandomForestClassifier) or not hasattr(estimator, "estimators_"):
        raise ModelError(f"{path}: does not hold a trained random forest")
    if [int(v) for v in estimator.classes_] != class_values:
        raise ModelError(
            f"{path.parent}: the forest predicts classes {list(estimator.classes_)} but config.json "
            f"says {class_values}; the model folder is inconsistent"
        )
    if estimator.n_features_in_ != n_features:
        raise ModelError(
            f"{path.parent}: the forest expects {estimator.n_features_in_} features but its feature "
            f"specification gives {n_features}; the model folder is inconsistent"
        )
    return FlatForest.from_estimator(estimator)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
