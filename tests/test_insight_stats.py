"""Round against round: intervals and verdicts on constructed data whose answer is known."""

from __future__ import annotations

import math
import statistics

import pytest

from kb.insight.round_comparison import (
    Z_975,
    Measure,
    RatingSums,
    RoundOutcomes,
    Verdict,
    compare_means,
    compare_proportions,
    compare_rates,
    compare_rounds,
    newcombe_interval,
    poisson_difference_interval,
    poisson_score_interval,
    t_quantile_975,
    welch_interval,
    wilson_interval,
)
from kb.themes import Theme


def sums(ratings: list[int]) -> RatingSums:
    return RatingSums(
        n=len(ratings), total=sum(ratings), total_of_squares=sum(r * r for r in ratings)
    )


def t_cdf(x: float, df: float, steps: int = 4000) -> float:
    """Student's t CDF by Simpson integration of the density: independent of the table."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(t: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))

    h = x / steps
    odd = sum(density((2 * i - 1) * h) for i in range(1, steps // 2 + 1))
    even = sum(density(2 * i * h) for i in range(1, steps // 2))
    return 0.5 + h / 3 * (density(0) + 4 * odd + 2 * even + density(x))


# --- the t quantile -------------------------------------------------------------------------


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 8, 12, 20, 29, 30, 40, 60, 120])
def test_t_table_values_are_the_0975_quantile(df: int) -> None:
    assert t_cdf(t_quantile_975(df), df) == pytest.approx(0.975, abs=2e-6)


@pytest.mark.parametrize(
    ("df", "tolerance"),
    [(1.25, 1e-3), (1.5, 1e-3), (1.75, 1e-3), (2.5, 3e-4), (3.5, 3e-4), (4.37, 1e-4)]
    + [(df, 1e-4) for df in (5.5, 7.9, 12.5, 35.0, 50.0, 90.0, 250.0, 5000.0)],
)
def test_t_quantile_between_table_rows_is_close(df: float, tolerance: float) -> None:
    # The accuracy promised in t_quantile_975's docstring.
    assert t_cdf(t_quantile_975(df), df) == pytest.approx(0.975, abs=tolerance)


def test_t_quantile_known_values_and_limits() -> None:
    assert t_quantile_975(8) == pytest.approx(2.306004, abs=1e-6)
    assert t_quantile_975(10**9) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        t_quantile_975(0.5)


# --- Welch ----------------------------------------------------------------------------------


def test_welch_equal_sizes_and_variances_uses_pooled_df() -> None:
    # Equal n and equal variance make the Welch df exactly 2(n - 1) = 8: t = 2.306004.
    before, after = [2, 3, 3, 4, 3], [3, 4, 4, 5, 4]
    interval = welch_interval(sums(before), sums(after))
    half = 2.306004 * math.sqrt(statistics.variance(before) / 5 + statistics.variance(after) / 5)
    assert interval.low == pytest.approx(1 - half, abs=1e-6)
    assert interval.high == pytest.approx(1 + half, abs=1e-6)
    assert interval.low == pytest.approx(-0.0313, abs=1e-4)  # 1 - 2.306004 * sqrt(0.2)


def test_welch_unequal_groups_hand_computed() -> None:
    before = [1, 2, 2, 3, 5, 1, 2]  # mean 16/7, variance 40/21
    after = [4, 4, 5, 3, 4]  # mean 4, variance 1/2
    assert statistics.variance(before) == pytest.approx(40 / 21)
    se2_b, se2_a = (40 / 21) / 7, 0.5 / 5
    df = (se2_b + se2_a) ** 2 / (se2_b**2 / 6 + se2_a**2 / 4)
    assert df == pytest.approx(9.3302, abs=1e-4)
    half = t_quantile_975(df) * math.sqrt(se2_b + se2_a)
    assert half == pytest.approx(2.25001 * 0.61001, abs=2e-4)  # exact t(9.3302) = 2.25001
    interval = welch_interval(sums(before), sums(after))
    assert interval.low == pytest.approx(12 / 7 - half, abs=1e-9)
    assert interval.high == pytest.approx(12 / 7 + half, abs=1e-9)


def test_identical_ratings_give_a_zero_width_interval() -> None:
    same = welch_interval(sums([4] * 6), sums([4] * 6))
    assert (same.low, same.high) == (0.0, 0.0)
    shifted = welch_interval(sums([3] * 6), sums([5] * 6))
    assert (shifted.low, shifted.high) == (2.0, 2.0)


def test_one_constant_round_leaves_the_other_rounds_df() -> None:
    before, after = [4] * 5, [2, 3, 4, 5, 5, 3]
    interval = welch_interval(sums(before), sums(after))
    half = t_quantile_975(5) * math.sqrt(statistics.variance(after) / 6)
    assert interval.high - interval.low == pytest.approx(2 * half)


def test_inconsistent_sums_are_refused() -> None:
    with pytest.raises(ValueError, match="negative variance"):
        welch_interval(RatingSums(n=5, total=20, total_of_squares=10), sums([1, 2, 3, 4, 5]))


# --- proportions ----------------------------------------------------------------------------


def test_wilson_interval_textbook_values() -> None:
    # Newcombe (1998), single proportions: 81/263 -> 0.2553 to 0.3662 (score method).
    interval = wilson_interval(81, 263)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(10, 10).high == 1.0


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998) Table II, method 10 (hybrid score, no continuity correction).
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((0, 10, 0, 10), (-0.2775, 0.2775)),
        ((10, 10, 0, 20), (0.6791, 1.0000)),
        ((10, 10, 0, 10), (0.6075, 1.0000)),
    ],
)
def test_newcombe_method_10_matches_the_published_examples(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    interval = newcombe_interval(*counts)
    assert (round(interval.low, 4), round(interval.high, 4)) == expected


def test_proportion_comparison_direction_is_after_minus_before() -> None:
    # Breakdowns fell from 56/70 to 48/80: the difference is -0.2, fewer is better.
    result = compare_proportions((56, 70), (48, 80))
    assert result.measure is Measure.BREAKDOWN_RATE
    assert (result.before, result.after) == (0.8, 0.6)
    assert result.difference == pytest.approx(-0.2)
    assert result.interval is not None
    assert (round(result.interval.low, 4), round(result.interval.high, 4)) == (-0.3339, -0.0524)
    assert result.verdict is Verdict.IMPROVED
    assert compare_proportions((48, 80), (56, 70)).verdict is Verdict.WORSENED


def test_proportions_of_zero_and_one() -> None:
    assert compare_proportions((0, 10), (0, 20)).verdict is Verdict.NO_CLEAR_DIFFERENCE
    assert compare_proportions((10, 10), (0, 10)).verdict is Verdict.IMPROVED
    with pytest.raises(ValueError):
        compare_proportions((6, 5), (0, 10))


# --- Poisson rates --------------------------------------------------------------------------


def test_poisson_score_interval_closed_form() -> None:
    z2 = Z_975**2
    assert poisson_score_interval(0, 10).high == pytest.approx(z2 / 10)
    interval = poisson_score_interval(4, 2)  # m = 4 + z²/2 ± z·sqrt(4 + z²/4)
    assert interval.low == pytest.approx((4 + z2 / 2 - Z_975 * math.sqrt(4 + z2 / 4)) / 2)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.7778, 5.1430)


def test_poisson_difference_with_no_events_anywhere() -> None:
    interval = poisson_difference_interval(0, 20, 0, 10)
    assert interval.low == pytest.approx(-(Z_975**2) / 10)
    assert interval.high == pytest.approx(Z_975**2 / 20)


def test_poisson_difference_approaches_wald_for_large_counts() -> None:
    interval = poisson_difference_interval(4000, 1000, 3000, 1000)
    wald_half = Z_975 * math.sqrt(4000 / 1000**2 + 3000 / 1000**2)
    assert interval.low == pytest.approx(1.0 - wald_half, abs=2e-3)
    assert interval.high == pytest.approx(1.0 + wald_half, abs=2e-3)


def test_deviation_rate_verdicts() -> None:
    rose = compare_rates((10, 50), (40, 50))
    assert rose.measure is Measure.DEVIATION_RATE
    assert (rose.before, rose.after, rose.difference) == (0.2, 0.8, pytest.approx(0.6))
    assert rose.verdict is Verdict.WORSENED
    assert compare_rates((40, 50), (10, 50)).verdict is Verdict.IMPROVED
    assert compare_rates((10, 50), (12, 50)).verdict is Verdict.NO_CLEAR_DIFFERENCE


# --- sample size, suppression and the round comparison --------------------------------------


def test_below_the_minimum_sample_no_interval_is_claimed() -> None:
    small = compare_means(sums([1, 1, 1, 1]), sums([5] * 30))
    assert small.verdict is Verdict.TOO_LITTLE_DATA
    assert small.interval is None
    assert (small.before, small.after, small.n_before, small.n_after) == (1.0, 5.0, 4, 30)
    assert compare_means(sums([1] * 5), sums([5] * 5)).verdict is Verdict.IMPROVED
    assert compare_means(sums([1] * 5), sums([5] * 5), min_sample=6).interval is None


def test_empty_rounds_have_no_values() -> None:
    empty = compare_means(RatingSums(), RatingSums())
    assert (empty.before, empty.after, empty.difference) == (None, None, None)
    assert empty.verdict is Verdict.TOO_LITTLE_DATA
    assert compare_proportions((0, 0), (3, 9)).before is None
    assert compare_rates((0, 0), (0, 0)).verdict is Verdict.TOO_LITTLE_DATA
    with pytest.raises(ValueError):
        compare_means(RatingSums(), RatingSums(), min_sample=1)


def test_small_groups_are_suppressed_but_sizes_stay() -> None:
    result = compare_means(sums([2, 3]), sums([4] * 8), min_sample=2, suppress_below=3)
    assert (result.before, result.after, result.n_before) == (None, 4.0, 2)
    assert result.difference is None and result.interval is None
    assert result.verdict is Verdict.TOO_LITTLE_DATA


def test_compare_rounds_theme_by_theme() -> None:
    before = RoundOutcomes(
        ratings={
            Theme.BEMANNING: sums([2, 3, 3, 2, 3, 2, 3]),
            Theme.LOKALER: sums([4, 4, 3, 5, 4]),
        },
        ended_placements=70,
        breakdowns=56,
        placements=50,
        deviations=10,
    )
    after = RoundOutcomes(
        ratings={Theme.BEMANNING: sums([4, 4, 5, 4, 4, 5]), Theme.LOKALER: sums([4, 3, 4, 5, 4])},
        ended_placements=80,
        breakdowns=48,
        placements=50,
        deviations=12,
    )
    result = compare_rounds(before, after, changed_themes={Theme.BEMANNING})
    assert [t.theme for t in result.themes] == list(Theme)
    by_theme = {t.theme: t for t in result.themes}
    assert by_theme[Theme.BEMANNING].requirements_changed
    assert by_theme[Theme.BEMANNING].mean_rating.verdict is Verdict.IMPROVED
    assert not by_theme[Theme.LOKALER].requirements_changed
    assert by_theme[Theme.LOKALER].mean_rating.verdict is Verdict.NO_CLEAR_DIFFERENCE
    assert by_theme[Theme.HALSA].mean_rating.verdict is Verdict.TOO_LITTLE_DATA
    assert result.breakdown_rate.verdict is Verdict.IMPROVED
    assert result.deviation_rate.verdict is Verdict.NO_CLEAR_DIFFERENCE
    assert str(Verdict.IMPROVED.label) == "Förbättring"
