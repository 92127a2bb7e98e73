"""The monthly composite, its coverage, the red-line cap and the grade. Pure.

A month's score is the weighted mean of four dimensions (knowledge, skill,
attitude, KPI; 20/30/20/30 by default), each 0–100 or missing. Missing
dimensions are left out of both sides of the mean (the weights of the ones
measured are renormalised) and the share of the weight that was measured is
the month's *coverage*. Below the policy's minimum coverage the month is
*provisional*: it has a score to show but no grade.

Skill and attitude are themselves weighted means of their parts (role-play,
drills and QA; supervisor, peers, customer and self) computed the same way:
the parts that exist are renormalised.

The composite is rounded to one decimal (half up) before it is banded, so
89.95 reads and grades as 90.0 and floating-point sums never put a score a
hair below a band edge. A band is reached at its threshold exactly
(≥ 90 excellent, ≥ 80 good, ≥ 60 qualified, else needs improvement).
A red-line failure in the month (a critical criterion failed) caps the
grade at the policy's cap (qualified by default): the score stands, the
grade does not go above the cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Dimension(StrEnum):
    KNOWLEDGE = "knowledge"
    SKILL = "skill"
    ATTITUDE = "attitude"
    KPI = "kpi"


class Grade(StrEnum):
    EXCELLENT = "excellent"              # 优秀
    GOOD = "good"                        # 良好
    QUALIFIED = "qualified"              # 合格
    NEEDS_IMPROVEMENT = "needs_improvement"  # 待改进


# Best first: the order grades are compared in.
GRADE_ORDER = (Grade.EXCELLENT, Grade.GOOD, Grade.QUALIFIED, Grade.NEEDS_IMPROVEMENT)


class PolicyError(ValueError):
    """A policy that cannot be used: says which part and why."""


@dataclass(frozen=True)
class Policy:
    """What a month's close is computed with; stored as data with a version."""

    weights: Mapping[str, float] = field(default_factory=lambda: {
        Dimension.KNOWLEDGE: 20, Dimension.SKILL: 30, Dimension.ATTITUDE: 20, Dimension.KPI: 30})
    skill_parts: Mapping[str, float] = field(default_factory=lambda: {"roleplay": 50, "drills": 20, "qa": 30})
    attitude_parts: Mapping[str, float] = field(default_factory=lambda: {
        "supervisor": 40, "peers": 30, "customer": 30, "self": 0})
    # (threshold, grade), highest first; below the last: needs improvement
    bands: tuple[tuple[float, str], ...] = ((90, Grade.EXCELLENT), (80, Grade.GOOD), (60, Grade.QUALIFIED))
    min_coverage: float = 0.7
    redline_cap: str | None = Grade.QUALIFIED

    def __post_init__(self):
        for name in ("weights", "skill_parts", "attitude_parts"):
            weights = getattr(self, name)
            if any(not _finite(w) or w < 0 for w in weights.values()):
                raise PolicyError(f"{name}: every weight must be a finite number ≥ 0")
            if sum(weights.values()) <= 0:
                raise PolicyError(f"{name}: the weights must not all be 0")
        if set(self.weights) != {d.value for d in Dimension}:
            raise PolicyError("weights: one weight for each of knowledge, skill, attitude and kpi")
        thresholds = [t for t, _ in self.bands]
        if not thresholds or any(not _finite(t) or not 0 <= t <= 100 for t in thresholds):
            raise PolicyError("bands: thresholds between 0 and 100")
        if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
            raise PolicyError("bands: thresholds must fall strictly from the best grade down")
        if [g for _, g in self.bands] != [g.value for g in GRADE_ORDER[:len(self.bands)]]:
            raise PolicyError("bands: one threshold each for excellent, good and qualified, in that order")
        if not _finite(self.min_coverage) or not 0 <= self.min_coverage <= 1:
            raise PolicyError("min_coverage: a share between 0 and 1")
        if self.redline_cap is not None and self.redline_cap not in {g.value for g in Grade}:
            raise PolicyError("redline_cap: a grade, or none")


def policy_to_json(policy: Policy) -> dict:
    return {"weights": {str(k): v for k, v in policy.weights.items()},
            "skill_parts": dict(policy.skill_parts), "attitude_parts": dict(policy.attitude_parts),
            "bands": [[t, str(g)] for t, g in policy.bands], "min_coverage": policy.min_coverage,
            "redline_cap": None if policy.redline_cap is None else str(policy.redline_cap)}


def policy_from_json(data) -> Policy:
    """A stored or typed policy, checked; PolicyError names the part that is wrong."""
    if not isinstance(data, dict):
        raise PolicyError("policy: an object with weights, skill_parts, attitude_parts, bands, min_coverage")
    unknown = set(data) - {"weights", "skill_parts", "attitude_parts", "bands", "min_coverage", "redline_cap"}
    if unknown:
        raise PolicyError(f"{sorted(unknown)[0]}: not a part of a policy")
    fields = {}
    for name in ("weights", "skill_parts", "attitude_parts"):
        if name in data:
            if not isinstance(data[name], dict) or not all(isinstance(k, str) for k in data[name]):
                raise PolicyError(f"{name}: a mapping of names to weights")
            fields[name] = dict(data[name])
    if "bands" in data:
        bands = data["bands"]
        if not isinstance(bands, list) or not all(isinstance(b, list | tuple) and len(b) == 2 for b in bands):
            raise PolicyError("bands: a list of [threshold, grade] pairs")
        fields["bands"] = tuple((b[0], b[1]) for b in bands)
    for name in ("min_coverage", "redline_cap"):
        if name in data:
            fields[name] = data[name]
    return Policy(**fields)


def _finite(value) -> bool:
    return isinstance(value, int | float) and value == value and value not in (float("inf"), float("-inf"))


@dataclass(frozen=True)
class WeightedScore:
    score: float | None          # None when no part has data
    coverage: float              # share of the weight measured, 0–1


def weighted_score(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> WeightedScore:
    """The mean of the parts that have data, each by its weight, renormalised
    over those parts; parts with weight 0 count for nothing either way."""
    total = sum(weights.values())
    measured = {k: v for k, v in parts.items() if v is not None and weights.get(k, 0) > 0}
    weight = sum(weights[k] for k in measured)
    if not weight:
        return WeightedScore(None, 0.0)
    for key, value in measured.items():
        if not _finite(value) or not 0 <= value <= 100:
            raise ValueError(f"{key}: a score must be between 0 and 100, not {value!r}")
    score = sum(measured[k] * weights[k] for k in measured) / weight
    return WeightedScore(min(100.0, max(0.0, score)), weight / total)


def round_score(value: float) -> float:
    """One decimal, half up (89.95 → 90.0), as shown and as banded."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def grade_for(score: float, policy: Policy) -> Grade:
    for threshold, grade in policy.bands:
        if score >= threshold:
            return Grade(grade)
    return Grade.NEEDS_IMPROVEMENT


def better(a: Grade, b: Grade) -> bool:
    return GRADE_ORDER.index(a) < GRADE_ORDER.index(b)


@dataclass(frozen=True)
class NextBand:
    grade: Grade
    points_needed: float         # on the composite, rounded up to one decimal


@dataclass(frozen=True)
class Composite:
    score: float | None          # rounded to one decimal; None when nothing was measured
    coverage: float              # share of the dimension weight with data, 0–1
    provisional: bool            # coverage below the policy's minimum: no grade
    grade: Grade | None
    uncapped_grade: Grade | None
    capped: bool                 # a red-line failure held the grade down
    dimensions: Mapping[str, float | None]
    next_band: NextBand | None   # what the score needs for the next better grade, if any


def compose(dimensions: Mapping[str, float | None], policy: Policy, *, redline: bool = False) -> Composite:
    """The month's composite from its four dimension scores (None = no data)."""
    unknown = set(dimensions) - {d.value for d in Dimension}
    if unknown:
        raise ValueError(f"unknown dimensions: {', '.join(sorted(unknown))}")
    result = weighted_score(dimensions, policy.weights)
    score = None if result.score is None else round_score(result.score)
    provisional = score is None or result.coverage + 1e-9 < policy.min_coverage
    grade = uncapped = None
    capped = False
    if not provisional:
        grade = uncapped = grade_for(score, policy)
        cap = Grade(policy.redline_cap) if redline and policy.redline_cap else None
        if cap is not None and better(grade, cap):
            grade, capped = cap, True
    return Composite(score=score, coverage=result.coverage, provisional=provisional, grade=grade,
                     uncapped_grade=uncapped, capped=capped, dimensions=dict(dimensions),
                     next_band=None if score is None else next_band(score, policy))


def next_band(score: float, policy: Policy) -> NextBand | None:
    """The next better grade than the score's and how many composite points it
    needs (None at the best grade)."""
    for threshold, grade in reversed(policy.bands):
        if score < threshold:
            return NextBand(Grade(grade), round_score(threshold - score))
    return None
