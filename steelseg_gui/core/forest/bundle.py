"""Saved forests: a model folder with ``config.json`` and ``forest.skops``.

skops stores the estimator without pickle: loading rebuilds only types on an allow-list, so a
tampered file cannot run code. ``config.json`` says what the model is (kind, classes, feature
spec, input channels, normalisation), how it was trained and with which versions.
"""

from __future__ import annotations

from pathlib import Path

import skops.io as skops_io
import sklearn
from sklearn.ensemble import RandomForestClassifier

from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.forest.features import FeatureSpec
from steelseg_gui.core.forest.pixel_forest import PixelForest
from steelseg_gui.core.bundle import CONFIG_FILE, FOREST_KIND, bundle_header, read_model_config, write_bundle

FOREST_FILE = "forest.skops"
NORMALISATION = "integer images divided by their dtype maximum; float images in [0, 1] kept"
# The only type in a fitted RandomForestClassifier that skops does not trust by default.
ALLOWED_UNTRUSTED_TYPES = ("sklearn.tree._tree.Tree",)


def forest_config(forest: PixelForest, pixel_size_um: float | None = None) -> dict:
    """The ``config.json`` document of a forest."""
    return {**bundle_header(FOREST_KIND, {"scikit-learn": sklearn.__version__, "skops": skops_version()}),
            "architecture": f"random-forest-{forest.estimator.n_estimators}",
            "classes": forest.classes.to_json(), "class_values": forest.class_values,
            "input_channels": forest.channels, "feature_spec": forest.spec.to_json(),
            "feature_names": forest.spec.feature_names(forest.channels),
            "normalisation": NORMALISATION, "pixel_size_um": pixel_size_um,
            "training": forest.summary, "data_fingerprint": forest.summary.get("data_fingerprint")}


def save_forest(forest: PixelForest, folder: str | Path, pixel_size_um: float | None = None) -> Path:
    """Write the model folder atomically (an existing model folder is replaced only once the new one is complete)."""
    return write_bundle(folder, forest_config(forest, pixel_size_um),
                        lambda staging: skops_io.dump(forest.estimator, staging / FOREST_FILE))


def load_forest(folder: str | Path) -> PixelForest:
    """Load a saved forest, refusing anything that is not one or that holds unexpected types."""
    folder = Path(folder)
    config = read_model_config(folder, FOREST_KIND)
    estimator = _load_estimator(folder / FOREST_FILE)
    try:
        classes = ClassTable.from_json(config["classes"])
        spec = FeatureSpec.from_json(config["feature_spec"])
        channels = int(config["input_channels"])
    except (KeyError, TypeError, ValueError, SteelSegError) as exc:
        raise ModelError(f"{folder / CONFIG_FILE}: malformed model configuration ({exc})") from exc
    forest = PixelForest(estimator, spec, classes, channels, dict(config.get("training") or {}))
    if forest.class_values != [int(v) for v in config.get("class_values", [])]:
        raise ModelError(f"{folder}: the forest predicts classes {forest.class_values} but config.json says "
                         f"{config.get('class_values')}; the model folder is inconsistent")
    if estimator.n_features_in_ != spec.count(channels):
        raise ModelError(f"{folder}: the forest expects {estimator.n_features_in_} features but its feature "
                         f"specification gives {spec.count(channels)}; the model folder is inconsistent")
    return forest


def _load_estimator(path: Path) -> RandomForestClassifier:
    if not path.is_file():
        raise ModelError(f"{path.parent}: the model folder has no {FOREST_FILE}")
    try:
        untrusted = skops_io.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises many types for damaged archives
        raise ModelError(f"{path}: not a readable skops file, the model may be damaged ({exc})") from exc
    unexpected = sorted(set(untrusted) - set(ALLOWED_UNTRUSTED_TYPES))
    if unexpected:
        raise ModelError(f"{path}: holds types a random forest never contains ({', '.join(unexpected)}); "
                         "refusing to load it because it could run code")
    try:
        estimator = skops_io.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelError(f"{path}: the forest cannot be read, the model may be damaged ({exc})") from exc
    if not isinstance(estimator, RandomForestClassifier) or not hasattr(estimator, "estimators_"):
        raise ModelError(f"{path}: does not hold a trained random forest")
    return estimator


def skops_version() -> str:
    from importlib.metadata import version
    return version("skops")
