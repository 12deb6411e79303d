"""How many fields a measurement needs for a stated relative accuracy (ISO 9042, ASTM E562).

With per-field fractions of mean x̄ and standard deviation s, the 95 % confidence half-width over
n fields is t(0.975, n−1)·s/√n, so a relative accuracy %RA needs

    n ≈ (100 · t · s / (%RA · x̄))²,

with t itself depending on n. The answer is the smallest n for which the right-hand side, with t
for n−1 degrees of freedom, is at most n: the fixed point of the iteration, found by counting up
from the normal-distribution estimate (t = 1.96 gives a lower bound, as t(n−1) > 1.96).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats

DEFAULT_TARGET_RA_PCT = 10.0
CONFIDENCE = 0.95
MAX_FIELDS = 100_000


@dataclass(frozen=True)
class FieldsNeeded:
    """Fields needed for ``target_ra_pct`` beside those measured; ``needed`` is None when it cannot be
    estimated (fewer than two fields, or a mean of zero); ``enough`` is None then as well."""

    target_ra_pct: float
    measured: int
    needed: int | None
    achieved_ra_pct: float | None

    @property
    def enough(self) -> bool | None:
        return None if self.needed is None else self.measured >= self.needed

    def to_json(self) -> dict:
        return {**asdict(self), "enough": self.enough}


def required_fields(mean: float, std: float, target_ra_pct: float, fields: int) -> float:
    """(100·t·s / (%RA·x̄))² with t = t(0.975, ``fields``−1): what ``fields`` fields call for."""
    t = stats.t.ppf(0.5 + CONFIDENCE / 2, fields - 1)
    return (100 * t * std / (target_ra_pct * mean)) ** 2


def fields_needed(mean: float, std: float, target_ra_pct: float = DEFAULT_TARGET_RA_PCT) -> int | None:
    """The smallest number of fields n ≥ 2 whose expected %RA is at most ``target_ra_pct``, or None
    when ``mean`` is not positive (a phase that is absent has no relative accuracy)."""
    if target_ra_pct <= 0:
        raise ValueError(f"the target relative accuracy must be positive, not {target_ra_pct} %")
    if not mean > 0 or not math.isfinite(std):
        return None
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    n = max(2, math.ceil((100 * z * std / (target_ra_pct * mean)) ** 2))
    while n < MAX_FIELDS and required_fields(mean, std, target_ra_pct, n) > n:
        n += 1
    return n


def assess_fields(
    mean: float, std: float | None, measured: int, achieved_ra_pct: float | None, target_ra_pct: float
) -> FieldsNeeded:
    """Fields needed for ``target_ra_pct`` from the measured mean and s of ``measured`` fields."""
    needed = None if std is None or measured < 2 else fields_needed(mean, std, target_ra_pct)
    return FieldsNeeded(target_ra_pct, measured, needed, achieved_ra_pct)
