"""Rubric scoring: one engine for role-play observation sheets, QA
scorecards and 360 questionnaires. Pure.

A rubric is a list of criteria. Each criterion has a weight, a competency and
ordered levels (points + descriptor); it may be *critical* and may allow
*N/A*. A rating gives each criterion the index of the level chosen, or None
for N/A.

* Score = Σ weight × points/max_points ÷ Σ weight × 100, over the criteria
  that were rated: N/A criteria leave both sides.
* A critical criterion rated at a level worth 0 points *fails* the rubric:
  the score is 0 and the result names the criteria that failed. The
  competency sub-scores stay as measured, so the debrief still shows where
  the agent stood.
* Sub-scores per competency use the same formula within the competency.
* Nothing rated (all N/A) gives no score (None), not 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class RatingError(ValueError):
    """A rating the rubric cannot take; `criterion` says which."""

    def __init__(self, criterion: str, message: str):
        super().__init__(f"{criterion}: {message}")
        self.criterion = criterion
        self.message = message


@dataclass(frozen=True)
class Level:
    points: float
    descriptor_zh: str = ""
    descriptor_en: str = ""


@dataclass(frozen=True)
class Criterion:
    code: str
    competency: str
    weight: float
    levels: tuple[Level, ...]
    label_zh: str = ""
    label_en: str = ""
    critical: bool = False
    allow_na: bool = False

    @property
    def max_points(self) -> float:
        return max(level.points for level in self.levels)


@dataclass(frozen=True)
class RubricResult:
    percent: float | None                    # 0..100; 0 on a critical failure; None when nothing was rated
    measured: float | None                   # the weighted percentage before any critical failure
    competencies: dict[str, float | None]    # competency → 0..100 (None: all its criteria N/A)
    critical_failures: tuple[str, ...]       # codes of the critical criteria that failed
    not_applicable: tuple[str, ...]

    @property
    def failed_critical(self) -> bool:
        return bool(self.critical_failures)


def _weighted(pairs: Sequence[tuple[Criterion, Level]]) -> float | None:
    total_weight = sum(c.weight for c, _ in pairs)
    if not pairs or total_weight <= 0:
        return None
    return 100 * sum(c.weight * (level.points / c.max_points if c.max_points > 0 else 0) for c, level in pairs) \
        / total_weight


def score(criteria: Sequence[Criterion], ratings: Mapping[str, int | None]) -> RubricResult:
    """Score one completed sheet. Every criterion must be rated (or N/A where
    allowed); unknown codes are refused. Raises RatingError."""
    known = {c.code for c in criteria}
    for code in ratings:
        if code not in known:
            raise RatingError(code, "not a criterion of this rubric")
    rated: list[tuple[Criterion, Level]] = []
    not_applicable, failures = [], []
    for criterion in criteria:
        if criterion.code not in ratings:
            raise RatingError(criterion.code, "not rated")
        choice = ratings[criterion.code]
        if choice is None:
            if not criterion.allow_na:
                raise RatingError(criterion.code, "N/A is not allowed for this criterion")
            not_applicable.append(criterion.code)
            continue
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(criterion.levels):
            raise RatingError(criterion.code, f"level must be 0 to {len(criterion.levels) - 1}")
        level = criterion.levels[choice]
        rated.append((criterion, level))
        if criterion.critical and level.points <= 0:
            failures.append(criterion.code)
    competencies: dict[str, float | None] = {}
    for criterion in criteria:
        if criterion.competency not in competencies:
            competencies[criterion.competency] = _weighted(
                [(c, level) for c, level in rated if c.competency == criterion.competency])
    measured = _weighted(rated)
    return RubricResult(percent=0.0 if failures else measured, measured=measured, competencies=competencies,
                        critical_failures=tuple(failures), not_applicable=tuple(not_applicable))
