"""Agreement between raters who scored the same things. Pure.

Used by live role-play sessions (several observers score one agent) and later
by QA calibration (several reviewers score one transcript).

* ``icc(matrix)`` — intraclass correlations of Shrout & Fleiss (1979) from a
  complete targets × raters matrix of totals: ICC(1,1), ICC(2,1) (two-way
  random, absolute agreement: are raters interchangeable?) and ICC(3,1)
  (two-way mixed, consistency: do raters rank targets alike?).
* ``krippendorff_alpha_interval(units)`` — Krippendorff's α with the interval
  metric, for criterion scores where some raters left some units unscored.

Thresholds for the warnings: ICC below 0.5 is poor and 0.5–0.75 moderate
(Koo & Li, 2016); α below 0.667 is not reliable and 0.667–0.8 allows only
tentative conclusions (Krippendorff, 2004).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ICC_POOR_BELOW = 0.5
ICC_MODERATE_BELOW = 0.75
ALPHA_UNRELIABLE_BELOW = 0.667
ALPHA_TENTATIVE_BELOW = 0.8


class AgreementError(ValueError):
    """The data cannot give an agreement figure (says why)."""


@dataclass(frozen=True)
class MeanSquares:
    """The two-way ANOVA terms behind the ICCs (Shrout & Fleiss's notation)."""
    bms: float  # between targets
    wms: float  # within targets
    jms: float  # between judges (raters)
    ems: float  # residual
    n: int      # targets
    k: int      # raters


@dataclass(frozen=True)
class ICC:
    icc1: float | None
    icc2: float | None
    icc3: float | None
    terms: MeanSquares


def mean_squares(matrix: Sequence[Sequence[float]]) -> MeanSquares:
    n = len(matrix)
    if n < 2:
        raise AgreementError("at least two scored targets are needed")
    k = len(matrix[0])
    if k < 2:
        raise AgreementError("at least two raters are needed")
    if any(len(row) != k for row in matrix):
        raise AgreementError("every target needs a score from every rater")
    grand = sum(sum(row) for row in matrix) / (n * k)
    row_means = [sum(row) / k for row in matrix]
    col_means = [sum(row[j] for row in matrix) / n for j in range(k)]
    ss_total = sum((x - grand) ** 2 for row in matrix for x in row)
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_error = ss_total - ss_rows - ss_cols
    return MeanSquares(bms=ss_rows / (n - 1), wms=(ss_total - ss_rows) / (n * (k - 1)),
                       jms=ss_cols / (k - 1), ems=ss_error / ((n - 1) * (k - 1)), n=n, k=k)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if abs(denominator) > 1e-12 else None


def icc(matrix: Sequence[Sequence[float]]) -> ICC:
    """ICC(1,1), ICC(2,1), ICC(3,1) for a targets × raters matrix. A figure is
    None when it is undefined (e.g. every score the same)."""
    t = mean_squares(matrix)
    n, k = t.n, t.k
    return ICC(
        icc1=_ratio(t.bms - t.wms, t.bms + (k - 1) * t.wms),
        icc2=_ratio(t.bms - t.ems, t.bms + (k - 1) * t.ems + k * (t.jms - t.ems) / n),
        icc3=_ratio(t.bms - t.ems, t.bms + (k - 1) * t.ems),
        terms=t,
    )


def krippendorff_alpha_interval(units: Sequence[Sequence[float | None]]) -> float | None:
    """α (interval metric) over units, each a list of the raters' values with
    None where a rater gave none. Units with fewer than two values are left
    out (they cannot be paired). None when the pairable values do not vary."""
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [values for values in pairable if len(values) >= 2]
    if not pairable:
        raise AgreementError("no unit was scored by two raters")
    everything = [v for values in pairable for v in values]
    n = len(everything)
    # Observed disagreement: squared differences of the ordered pairs within
    # each unit, weighted 1/(m_u − 1); expected: of all pairable values.
    observed = sum(2 * _pair_sum(values) / (len(values) - 1) for values in pairable) / n
    expected = 2 * _pair_sum(everything) / (n * (n - 1))
    if expected == 0:
        return None
    return 1 - observed / expected


def _pair_sum(values: Sequence[float]) -> float:
    """Σ over unordered pairs of (a − b)², as m·Σx² − (Σx)² (linear time)."""
    return len(values) * sum(v * v for v in values) - sum(values) ** 2


def icc_level(value: float | None) -> str:
    """poor / moderate / good, for the warning beside an ICC."""
    if value is None or value < ICC_POOR_BELOW:
        return "poor"
    return "moderate" if value < ICC_MODERATE_BELOW else "good"


def alpha_level(value: float | None) -> str:
    """unreliable / tentative / reliable, for the warning beside α."""
    if value is None or value < ALPHA_UNRELIABLE_BELOW:
        return "unreliable"
    return "tentative" if value < ALPHA_TENTATIVE_BELOW else "reliable"
