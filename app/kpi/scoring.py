"""KPI banding, month aggregation and the KPI dimension score. Pure.

A metric's *bands* are thresholds with points. For a higher-is-better metric
a value earns the points of the highest threshold it reaches; for a
lower-is-better one, of the lowest threshold it stays within. A value that
reaches no band earns 0. With `interpolate`, a value between two thresholds
earns points on the straight line between them (one published scheme scores
satisfaction linearly between 85 % and 90 %).

A month's value is formed from finer rows (days, weeks) by the metric's
aggregation: the mean weighted by contacts, the plain mean, or the sum.
Fewer contacts than the metric's minimum gives "insufficient data" — never
0 — and the KPI dimension score is the weighted mean of the metrics that
have data, reported with its coverage (the share of the weight measured).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(StrEnum):
    WEIGHTED_MEAN = "weighted_mean"     # by contacts
    MEAN = "mean"
    SUM = "sum"


@dataclass(frozen=True)
class Band:
    threshold: float
    points: float


@dataclass(frozen=True)
class MetricRule:
    code: str
    direction: Direction
    bands: tuple[Band, ...]
    aggregation: Aggregation = Aggregation.WEIGHTED_MEAN
    min_contacts: int = 0
    weight: float = 1.0
    interpolate: bool = False


def band_points(rule: MetricRule, value: float) -> float:
    """Points for one value under the rule's bands and direction."""
    if not rule.bands:
        return 0.0
    higher = rule.direction == Direction.HIGHER
    # Best band first: highest threshold for "higher", lowest for "lower".
    ordered = sorted(rule.bands, key=lambda b: b.threshold, reverse=higher)
    for index, band in enumerate(ordered):
        reached = value >= band.threshold if higher else value <= band.threshold
        if not reached:
            continue
        if rule.interpolate and index > 0:
            better = ordered[index - 1]
            span = better.threshold - band.threshold
            share = (value - band.threshold) / span if span else 0.0
            return band.points + share * (better.points - band.points)
        return band.points
    return 0.0


@dataclass(frozen=True)
class Observation:
    value: float
    contacts: int | None = None


@dataclass(frozen=True)
class MonthValue:
    value: float | None          # None: insufficient data
    contacts: int | None
    rows: int

    @property
    def sufficient(self) -> bool:
        return self.value is not None


def aggregate_month(rule: MetricRule, rows: Iterable[Observation]) -> MonthValue:
    """One month from finer rows. Rows without a contact count weigh 1 in a
    weighted mean; the month's contacts are the sum of those given (None
    when no row gave any, which only passes a minimum of 0)."""
    rows = list(rows)
    if not rows:
        return MonthValue(None, None, 0)
    given = [r.contacts for r in rows if r.contacts is not None]
    contacts = sum(given) if given else None
    if (contacts or 0) < rule.min_contacts:
        return MonthValue(None, contacts, len(rows))
    if rule.aggregation == Aggregation.SUM:
        value = sum(r.value for r in rows)
    elif rule.aggregation == Aggregation.MEAN:
        value = sum(r.value for r in rows) / len(rows)
    else:
        weights = [r.contacts if r.contacts is not None else 1 for r in rows]
        total = sum(weights)
        value = sum(r.value * w for r, w in zip(rows, weights, strict=True)) / total if total else \
            sum(r.value for r in rows) / len(rows)
    return MonthValue(value, contacts, len(rows))


@dataclass(frozen=True)
class DimensionScore:
    score: float | None                   # 0..100 over the metrics with data; None when none has
    coverage: float                       # share of the total weight that had data, 0..1
    points: dict[str, float | None] = field(default_factory=dict)   # metric → points (None: no data)
    missing: tuple[str, ...] = ()


def dimension_score(rules: Sequence[MetricRule], months: dict[str, MonthValue | None]) -> DimensionScore:
    """The KPI dimension for one agent and month: the weighted mean of the
    banded points of the metrics that have sufficient data."""
    points: dict[str, float | None] = {}
    measured_weight = total_weight = weighted = 0.0
    missing = []
    for rule in rules:
        total_weight += rule.weight
        month = months.get(rule.code)
        if month is None or not month.sufficient:
            points[rule.code] = None
            missing.append(rule.code)
            continue
        earned = band_points(rule, month.value)
        points[rule.code] = earned
        measured_weight += rule.weight
        weighted += rule.weight * earned
    score = weighted / measured_weight if measured_weight else None
    coverage = measured_weight / total_weight if total_weight else 0.0
    return DimensionScore(score, coverage, points, tuple(missing))
