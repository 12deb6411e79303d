"""Fields needed for a stated relative accuracy (ISO 9042 / ASTM E562), checked by hand."""

from __future__ import annotations

import pytest

from steelseg_gui.core.quantify.fractions import fraction_statistics
from steelseg_gui.core.quantify.sampling import assess_fields, fields_needed


def test_fields_needed_matches_a_hand_computation():
    # x̄ = 0.30, s = 0.05, 10 % RA. Normal estimate: (100·1.96·0.05 / (10·0.30))² = 10.7.
    # With Student's t (tables): n = 13 → t(12) = 2.179 → (100·2.179·0.05/3)² = 13.19 > 13, not enough;
    # n = 14 → t(13) = 2.160 → (100·2.160·0.05/3)² = 12.96 ≤ 14: 14 fields.
    assert fields_needed(0.30, 0.05, 10.0) == 14
    # 20 % RA: n = 5 → t(4) = 2.776 → (100·2.776·0.05/6)² = 5.35 > 5; n = 6 → t(5) = 2.571 → 4.59 ≤ 6.
    assert fields_needed(0.30, 0.05, 20.0) == 6


def test_needed_fields_reach_the_target_when_measured():
    needed = fields_needed(0.30, 0.05, 10.0)
    # With exactly that many fields of the same mean and s, the achieved %RA is within the target.
    from scipy import stats

    ra = 100 * stats.t.ppf(0.975, needed - 1) * 0.05 / needed**0.5 / 0.30
    ra_one_fewer = 100 * stats.t.ppf(0.975, needed - 2) * 0.05 / (needed - 1) ** 0.5 / 0.30
    assert ra <= 10.0 < ra_one_fewer


def test_two_fields_far_from_the_target_are_flagged():
    statistics = fraction_statistics([0.20, 0.45])
    assert statistics.relative_accuracy_pct == pytest.approx(100 * 12.706 * 0.1768 / 2**0.5 / 0.325, rel=1e-3)
    assessment = assess_fields(statistics.mean, statistics.std, statistics.n, statistics.relative_accuracy_pct, 10.0)
    assert assessment.enough is False and assessment.needed > 100


def test_undefined_cases_give_none():
    assert fields_needed(0.0, 0.1, 10.0) is None
    assert assess_fields(0.3, None, 1, None, 10.0).needed is None
    assert assess_fields(0.3, None, 1, None, 10.0).enough is None
    assert fields_needed(0.3, 0.0, 10.0) == 2
    with pytest.raises(ValueError, match="positive"):
        fields_needed(0.3, 0.05, 0)
