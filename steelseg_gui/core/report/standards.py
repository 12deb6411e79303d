"""The standards and definitions a report cites, by number (DESIGN.md, "Metallurgy" and "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Standard:
    number: str
    title: str
    used_for: str


STANDARDS = (
    Standard(
        "ASTM E562",
        "Standard Test Method for Determining Volume Fraction by Systematic Manual Point Count",
        "phase fractions as area fractions of every pixel of each field (Delesse: area fraction = volume "
        "fraction); mean, s, 95 % CI = t(0.975, n−1)·s/√n and %RA = 100·CI/mean over the fields; fields needed",
    ),
    Standard(
        "ISO 9042",
        "Steels — Manual point counting method for statistically estimating the volume fraction of a constituent "
        "with a point grid",
        "the number of fields needed for a stated relative accuracy, n ≈ (100·t·s / (%RA·x̄))², t for n−1 "
        "degrees of freedom, iterated",
    ),
    Standard(
        "ASTM E112",
        "Standard Test Methods for Determining Average Grain Size",
        "grain size number G = −6.6457·log10(ℓ) − 3.298 from the mean lineal intercept ℓ (mm), intercept "
        "(Heyn) procedure; for two-phase structures, intercepts of the ferrite only",
    ),
    Standard(
        "ASTM E1382",
        "Standard Test Methods for Determining Average Grain Size Using Semiautomatic and Automatic Image Analysis",
        "intercepts counted on every row and column of pixels of the segmented field; ℓ averaged over the "
        "fields before conversion to G",
    ),
)

DEFINITIONS = (
    ("area fraction", "pixels of the phase / labelled pixels of the field (0 = unlabelled is not counted)"),
    ("area analysed", "labelled pixels × (pixel size)², in mm²; only when the pixel size is known"),
    ("lever rule", "annealed plain hypoeutectoid steel: C ≈ 0.022 + 0.748 · pearlite fraction (wt %), an estimate"),
    ("global accuracy", "correctly labelled pixels / labelled pixels of the reviewed masks"),
    ("mean accuracy", "mean over the classes present in the truth of TP / (TP + FN)"),
    (
        "IoU",
        "TP / (TP + FP + FN) per class from the confusion matrix summed over the images; mean IoU over "
        "the classes present; weighted IoU weights each class by its share of the truth",
    ),
    ("BF score", "boundary F1 per image and class, tolerance 0.75 % of the image diagonal; mean over images"),
    ("confusion matrix", "rows = truth, columns = prediction, row-normalised"),
)
