"""What is measured on each segmented field, and the statistics across fields (DESIGN.md).

A record is a dict per image with ``fractions`` (area fraction per class name) and, when the
pixel size is known and the classes include ferrite, the ferrite-region intercept (mm) and its
ASTM E112 number. :func:`summarise` gives per class the mean, s, 95 % CI and %RA over the fields
that succeeded, and for ferrite/pearlite the lever-rule carbon estimate.
"""

from __future__ import annotations

import numpy as np

from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.fractions import (
    area_fractions,
    ferrite_intercept,
    fraction_statistics,
    lever_rule_carbon,
)


def measure_field(labels: np.ndarray, classes: ClassTable, pixel_size_um: float | None) -> dict:
    """Area fractions of ``labels`` ``(H, W)`` and, with a pixel size (µm/px), the ferrite intercept and G."""
    record = {
        "fractions": area_fractions(labels, classes),
        "pixel_size_um": pixel_size_um,
        "width": labels.shape[1],
        "height": labels.shape[0],
    }
    if "ferrite" in classes.names and pixel_size_um:
        measured = ferrite_intercept(labels, classes.values[classes.names.index("ferrite")], pixel_size_um)
        if measured:
            record["ferrite_intercept_mm"], record["astm_grain_size_number"] = measured
    return record


def summarise(records: list[dict], classes: ClassTable) -> dict:
    """Across the images that succeeded: per class fraction statistics, and the lever-rule carbon estimate."""
    done = [r for r in records if r.get("fractions")]
    summary = {
        "images": len(records),
        "segmented": len(done),
        "failed": len(records) - len(done),
        "classes": {
            name: fraction_statistics([r["fractions"][name] for r in done]).to_json() for name in classes.names
        },
    }
    if {"ferrite", "pearlite"} <= set(classes.names) and done:
        pearlite = summary["classes"]["pearlite"]
        summary["carbon_wt_pct_lever_rule_estimate"] = {
            "mean": lever_rule_carbon(pearlite["mean"]),
            "ci95": None if pearlite["ci95"] is None else lever_rule_carbon(pearlite["ci95"]) - lever_rule_carbon(0),
            "note": "annealed plain hypoeutectoid steel assumed: C ≈ 0.022 + 0.748 · pearlite fraction",
        }
    grain = [r["astm_grain_size_number"] for r in done if "astm_grain_size_number" in r]
    if grain:
        summary["ferrite_region_astm_grain_size_number"] = {
            **fraction_statistics(grain).to_json(),
            "note": "ASTM E112 intercept of connected ferrite regions; boundaries between touching ferrite "
            "grains are not in a phase map, so this is a lower bound of G",
        }
    return summary
