"""Round against round: did the outcomes of tender round N+1 differ from those of round N?

The caller aggregates in SQL (GROUP BY round and theme) and passes sums, never rows. Every
difference is "after minus before" (round N+1 minus round N) and comes with a 95 % confidence
interval from a simple, documented method:

- Mean rating per theme: Welch's t-interval for a difference of means (unequal variances,
  Welch-Satterthwaite degrees of freedom). The t quantile comes from a table of exact
  0.975 quantiles, interpolated linearly in 1/df (see ``t_quantile_975``).
- Unplanned-ending (sammanbrott) rate, breakdowns per ended placement: Newcombe's hybrid score
  interval, "method 10" in Newcombe (1998), Statistics in Medicine 17:873-890. It combines two
  Wilson score intervals and behaves well at proportions of 0 or 1, where Wald fails.
- Deviation rate, deviations per placement: the same square-and-add construction (MOVER, Zou &
  Donner 2008, Statistics in Medicine 27:1693-1702) applied to two score intervals for Poisson
  means. It treats deviations as a Poisson count over placements, so over-dispersion (a few
  units with many deviations) makes the interval too narrow; read it as a screening aid.

A difference is claimed only when the interval excludes zero. Below ``min_sample`` observations
in either round the verdict is "för litet underlag" and no interval is given.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from statistics import NormalDist

from flask_babel import lazy_gettext as _l

from kb.database import LabelledEnum
from kb.themes import Theme

MIN_SAMPLE = 5
Z_975 = NormalDist().inv_cdf(0.975)  # 1.959964 ...
REQUIREMENTS_CHANGED_LABEL = _l("Krav ändrade")

# Exact 0.975 quantiles of Student's t (two-sided 95 %), as printed in standard tables.
_T_975 = {
    1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582, 6: 2.446912,
    7: 2.364624, 8: 2.306004, 9: 2.262157, 10: 2.228139, 11: 2.200985, 12: 2.178813,
    13: 2.160369, 14: 2.144787, 15: 2.131450, 16: 2.119905, 17: 2.109816, 18: 2.100922,
    19: 2.093024, 20: 2.085963, 21: 2.079614, 22: 2.073873, 23: 2.068658, 24: 2.063899,
    25: 2.059539, 26: 2.055529, 27: 2.051831, 28: 2.048407, 29: 2.045230, 30: 2.042272,
    40: 2.021075, 60: 2.000298, 120: 1.979930,
}  # fmt: skip


class Measure(LabelledEnum):
    MEAN_RATING = "medelbetyg", _l("Medelbetyg (1–5)")
    BREAKDOWN_RATE = "sammanbrott", _l("Andel oplanerade avbrott (sammanbrott)")
    DEVIATION_RATE = "avvikelser", _l("Avvikelser per placering")


# Which direction is better: a higher mean rating, fewer breakdowns, fewer deviations.
_HIGHER_IS_BETTER = {
    Measure.MEAN_RATING: True,
    Measure.BREAKDOWN_RATE: False,
    Measure.DEVIATION_RATE: False,
}


class Verdict(LabelledEnum):
    IMPROVED = "forbattring", _l("Förbättring")
    WORSENED = "forsamring", _l("Försämring")
    NO_CLEAR_DIFFERENCE = "ingen_saker_skillnad", _l("Ingen säker skillnad")
    TOO_LITTLE_DATA = "for_litet_underlag", _l("För litet underlag")


@dataclass(frozen=True)
class RatingSums:
    """Ratings of one theme in one round: COUNT, SUM and SUM of squares of the 1–5 ratings."""

    n: int = 0
    total: int = 0
    total_of_squares: int = 0


@dataclass(frozen=True)
class RoundOutcomes:
    """What one tender round's placements produced, already aggregated.

    ``ended_placements`` counts placements with an end reason other than "pågår";
    ``breakdowns`` those among them that ended "sammanbrott". ``placements`` is the exposure
    the deviation rate is counted over.
    """

    ratings: Mapping[Theme, RatingSums] = field(default_factory=dict)
    ended_placements: int = 0
    breakdowns: int = 0
    placements: int = 0
    deviations: int = 0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class MeasureComparison:
    """One measure in both rounds; values are None when there is nothing (or too little) to show."""

    measure: Measure
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    difference: float | None
    interval: Interval | None
    verdict: Verdict


@dataclass(frozen=True)
class ThemeComparison:
    theme: Theme
    requirements_changed: bool
    mean_rating: MeasureComparison


@dataclass(frozen=True)
class RoundComparison:
    themes: list[ThemeComparison]
    breakdown_rate: MeasureComparison
    deviation_rate: MeasureComparison


def t_quantile_975(df: float) -> float:
    """Return the 0.975 quantile of Student's t with df degrees of freedom (df >= 1).

    Table values are exact to six decimals. Between rows, log(t) is interpolated linearly in
    1/df (past df 120 towards the normal quantile at 1/df = 0). Checked against the t
    distribution in the tests: the upper tail beyond the returned value is 0.025 within 0.001
    for df between 1 and 2, within 0.0003 from df 2 and within 0.0001 from df 4. With
    MIN_SAMPLE 5 the Welch df is at least 4.
    """
    if not df >= 1:
        raise ValueError("df must be at least 1")
    if df in _T_975:
        return _T_975[int(df)]
    points = sorted(_T_975)
    lower_df = max(d for d in points if d < df)
    upper_df = next((d for d in points if d > df), math.inf)
    upper_t = _T_975[upper_df] if upper_df != math.inf else Z_975
    share = (1 / lower_df - 1 / df) / (1 / lower_df - 1 / upper_df)
    return math.exp(
        math.log(_T_975[lower_df]) + share * (math.log(upper_t) - math.log(_T_975[lower_df]))
    )


def _mean_and_variance(sums: RatingSums) -> tuple[Fraction, Fraction]:
    """Return the mean and the sample variance, exactly, so identical ratings give exactly 0."""
    mean = Fraction(sums.total, sums.n)
    variance = Fraction(sums.n * sums.total_of_squares - sums.total**2, sums.n * (sums.n - 1))
    if variance < 0:
        raise ValueError("inconsistent rating sums: negative variance")
    return mean, variance


def welch_interval(before: RatingSums, after: RatingSums) -> Interval:
    """Return the 95 % Welch t-interval for mean(after) - mean(before); each n must be >= 2.

    When both rounds have zero variance (every rating identical) the interval collapses to the
    observed difference.
    """
    mean_b, var_b = _mean_and_variance(before)
    mean_a, var_a = _mean_and_variance(after)
    difference = float(mean_a - mean_b)
    se_b, se_a = var_b / before.n, var_a / after.n
    if se_b + se_a == 0:
        return Interval(difference, difference)
    df = (se_b + se_a) ** 2 / (se_b**2 / (before.n - 1) + se_a**2 / (after.n - 1))
    half_width = t_quantile_975(float(df)) * math.sqrt(se_b + se_a)
    return Interval(difference - half_width, difference + half_width)


def wilson_interval(events: int, n: int) -> Interval:
    """Return the 95 % Wilson score interval for a proportion events/n (n >= 1)."""
    p = events / n
    z2 = Z_975**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half_width = Z_975 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if events == 0 else centre - half_width  # exact at the ends, no rounding noise
    high = 1.0 if events == n else centre + half_width
    return Interval(low, high)


def newcombe_interval(events_a: int, n_a: int, events_b: int, n_b: int) -> Interval:
    """Return Newcombe's method-10 95 % interval for p_a - p_b (Newcombe 1998)."""
    p_a, p_b = events_a / n_a, events_b / n_b
    a, b = wilson_interval(events_a, n_a), wilson_interval(events_b, n_b)
    difference = p_a - p_b
    return Interval(
        difference - math.hypot(p_a - a.low, b.high - p_b),
        difference + math.hypot(a.high - p_a, p_b - b.low),
    )


def poisson_score_interval(events: int, exposure: int) -> Interval:
    """Return the 95 % score interval for a Poisson rate events/exposure (exposure >= 1).

    It solves (x - m)^2 / m = z^2 for the mean m: m = x + z^2/2 ± z·sqrt(x + z^2/4).
    At x = 0 it gives [0, z^2/exposure] rather than Wald's empty [0, 0].
    """
    z = Z_975
    root = z * math.sqrt(events + z * z / 4)
    centre = events + z * z / 2
    return Interval(max(0.0, centre - root) / exposure, (centre + root) / exposure)


def poisson_difference_interval(
    events_a: int, exposure_a: int, events_b: int, exposure_b: int
) -> Interval:
    """Return the 95 % MOVER interval for rate_a - rate_b from two Poisson score intervals."""
    rate_a, rate_b = events_a / exposure_a, events_b / exposure_b
    a = poisson_score_interval(events_a, exposure_a)
    b = poisson_score_interval(events_b, exposure_b)
    difference = rate_a - rate_b
    return Interval(
        difference - math.hypot(rate_a - a.low, b.high - rate_b),
        difference + math.hypot(a.high - rate_a, rate_b - b.low),
    )


def _verdict(measure: Measure, interval: Interval) -> Verdict:
    if interval.low <= 0 <= interval.high:
        return Verdict.NO_CLEAR_DIFFERENCE
    went_up = interval.low > 0
    return Verdict.IMPROVED if went_up == _HIGHER_IS_BETTER[measure] else Verdict.WORSENED


def _compare(
    measure: Measure,
    values: tuple[float | None, float | None],
    sizes: tuple[int, int],
    interval: Interval | None,
    min_sample: int,
    suppress_below: int,
) -> MeasureComparison:
    n_before, n_after = sizes
    before = None if n_before < max(1, suppress_below) else values[0]
    after = None if n_after < max(1, suppress_below) else values[1]
    enough = min(sizes) >= min_sample and before is not None and after is not None
    return MeasureComparison(
        measure=measure,
        before=before,
        after=after,
        n_before=n_before,
        n_after=n_after,
        difference=None if before is None or after is None else after - before,
        interval=interval if enough else None,
        verdict=_verdict(measure, interval) if enough and interval else Verdict.TOO_LITTLE_DATA,
    )


def compare_means(
    before: RatingSums, after: RatingSums, *, min_sample: int = MIN_SAMPLE, suppress_below: int = 0
) -> MeasureComparison:
    """Compare the mean rating of one theme between two rounds."""
    _check_thresholds(min_sample)
    values = (_mean_or_none(before), _mean_or_none(after))
    enough = min(before.n, after.n) >= min_sample
    interval = welch_interval(before, after) if enough else None
    return _compare(
        Measure.MEAN_RATING, values, (before.n, after.n), interval, min_sample, suppress_below
    )


def compare_proportions(
    before: tuple[int, int],
    after: tuple[int, int],
    *,
    min_sample: int = MIN_SAMPLE,
    suppress_below: int = 0,
) -> MeasureComparison:
    """Compare the breakdown rate, each round given as (breakdowns, ended placements)."""
    _check_thresholds(min_sample)
    for events, n in (before, after):
        if not 0 <= events <= n:
            raise ValueError("breakdowns must lie between 0 and the ended placements")
    values = (_ratio_or_none(*before), _ratio_or_none(*after))
    enough = min(before[1], after[1]) >= min_sample
    interval = newcombe_interval(*after, *before) if enough else None
    sizes = (before[1], after[1])
    return _compare(Measure.BREAKDOWN_RATE, values, sizes, interval, min_sample, suppress_below)


def compare_rates(
    before: tuple[int, int],
    after: tuple[int, int],
    *,
    min_sample: int = MIN_SAMPLE,
    suppress_below: int = 0,
) -> MeasureComparison:
    """Compare the deviation rate, each round given as (deviations, placements)."""
    _check_thresholds(min_sample)
    if min(*before, *after) < 0:
        raise ValueError("counts cannot be negative")
    values = (_ratio_or_none(*before), _ratio_or_none(*after))
    enough = min(before[1], after[1]) >= min_sample
    interval = poisson_difference_interval(*after, *before) if enough else None
    sizes = (before[1], after[1])
    return _compare(Measure.DEVIATION_RATE, values, sizes, interval, min_sample, suppress_below)


def compare_rounds(
    before: RoundOutcomes,
    after: RoundOutcomes,
    *,
    changed_themes: Collection[Theme] = (),
    min_sample: int = MIN_SAMPLE,
    suppress_below: int = 0,
) -> RoundComparison:
    """Compare round N (before) with its successor N+1 (after), every theme in Theme order.

    ``changed_themes`` are the themes whose requirements changed between the rounds; they are
    marked, not treated differently. Pass the small-group limit (DESIGN §5) as
    ``suppress_below`` when the viewer may not read every experience behind the figures: a
    round's value is then hidden when it rests on fewer observations, and sizes stay visible.
    """
    options = {"min_sample": min_sample, "suppress_below": suppress_below}
    empty = RatingSums()
    themes = [
        ThemeComparison(
            theme=theme,
            requirements_changed=theme in changed_themes,
            mean_rating=compare_means(
                before.ratings.get(theme, empty), after.ratings.get(theme, empty), **options
            ),
        )
        for theme in Theme
    ]
    return RoundComparison(
        themes=themes,
        breakdown_rate=compare_proportions(
            (before.breakdowns, before.ended_placements),
            (after.breakdowns, after.ended_placements),
            **options,
        ),
        deviation_rate=compare_rates(
            (before.deviations, before.placements), (after.deviations, after.placements), **options
        ),
    )


def _mean_or_none(sums: RatingSums) -> float | None:
    return sums.total / sums.n if sums.n else None


def _ratio_or_none(events: int, n: int) -> float | None:
    return events / n if n else None


def _check_thresholds(min_sample: int) -> None:
    if min_sample < 2:
        raise ValueError("min_sample must be at least 2: a variance needs two ratings")
