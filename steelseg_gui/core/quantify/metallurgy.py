"""Stereology and metallurgy formulas from DESIGN.md."""

from __future__ import annotations

import numpy as np


def mean_lineal_intercept_px(grains: np.ndarray, phase: np.ndarray | None = None) -> float:
    """Mean lineal intercept ℓ in pixels of the grains of one phase (all pixels by default).

    ``grains`` is a ``(H, W)`` grain-id image, ``phase`` a ``(H, W)`` bool mask of the phase
    measured. Test lines are every row and column. For a phase α among others (ASTM E112 for
    two-phase structures): ℓ_α = L_α / (P_αα + P_αβ / 2), with L_α the line length inside α,
    P_αα crossings of α/α grain boundaries and P_αβ crossings of α/other-phase boundaries.
    """
    phase = np.ones(grains.shape, bool) if phase is None else phase
    inner, mixed = 0, 0
    for a, b in (
        ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
        ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
    ):
        inner += int(np.count_nonzero(phase[a] & phase[b] & (grains[a] != grains[b])))
        mixed += int(np.count_nonzero(phase[a] ^ phase[b]))
    crossings = inner + mixed / 2
    return float("inf") if crossings == 0 else 2.0 * np.count_nonzero(phase) / crossings


def astm_grain_size_number(mean_intercept_mm: float) -> float:
    """ASTM E112 grain size number G from the mean lineal intercept ℓ in millimetres."""
    return float(-6.6457 * np.log10(mean_intercept_mm) - 3.298)
