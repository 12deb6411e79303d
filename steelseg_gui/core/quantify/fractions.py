"""Phase fractions of label images and their statistics across fields (DESIGN.md, ASTM E562 style).

Area fraction = pixels of the phase / labelled pixels (Delesse). Across n fields with fractions
x_i: mean, sample standard deviation s, 95 % confidence half-width t(0.975, n−1)·s/√n and the
relative accuracy %RA = 100·CI/mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage, stats

from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.metallurgy import astm_grain_size_number, mean_lineal_intercept_px

EUTECTOID_C = 0.77
FERRITE_C = 0.022


def area_fractions(labels: np.ndarray, classes: ClassTable) -> dict[str, float]:
    """Area fraction of each class (by name) over the labelled pixels of ``labels`` ``(H, W)``."""
    counts = np.bincount(labels.ravel(), minlength=max(classes.values) + 1)
    labelled = counts[classes.values].sum()
    return {c.name: (float(counts[c.value] / labelled) if labelled else 0.0) for c in classes}


@dataclass(frozen=True)
class FractionStatistics:
    """Statistics of one phase's fraction over ``n`` fields; ``ci95`` is the half-width, in fraction units."""

    n: int
    mean: float
    std: float | None
    ci95: float | None
    relative_accuracy_pct: float | None

    def to_json(self) -> dict:
        return asdict(self)


def fraction_statistics(values: list[float]) -> FractionStatistics:
    """Mean, standard deviation, 95 % confidence half-width and %RA of per-field fractions."""
    x = np.asarray(values, np.float64)
    if x.size == 0:
        return FractionStatistics(0, float("nan"), None, None, None)
    if x.size == 1:
        return FractionStatistics(1, float(x[0]), None, None, None)
    std = float(x.std(ddof=1))
    ci = float(stats.t.ppf(0.975, x.size - 1) * std / np.sqrt(x.size))
    mean = float(x.mean())
    return FractionStatistics(int(x.size), mean, std, ci, 100 * ci / mean if mean > 0 else None)


def lever_rule_carbon(pearlite_fraction: float) -> float:
    """Carbon (wt %) of an annealed plain hypoeutectoid steel from its pearlite fraction: an estimate."""
    return FERRITE_C + (EUTECTOID_C - FERRITE_C) * pearlite_fraction


def ferrite_intercept(labels: np.ndarray, ferrite_value: int, pixel_size_um: float) -> tuple[float, float] | None:
    """Mean lineal intercept (mm) of the ferrite regions and its ASTM E112 number G, or None without ferrite.

    A phase map does not hold the boundaries between touching ferrite grains, so each connected
    ferrite region counts as one grain: the intercept is an upper bound of the grain intercept and
    G a lower bound of the grain size number.
    """
    ferrite = labels == ferrite_value
    if not ferrite.any():
        return None
    regions, _ = ndimage.label(ferrite)
    intercept_px = mean_lineal_intercept_px(regions, ferrite)
    if not np.isfinite(intercept_px):
        return None
    intercept_mm = intercept_px * pixel_size_um / 1000
    return intercept_mm, astm_grain_size_number(intercept_mm)
