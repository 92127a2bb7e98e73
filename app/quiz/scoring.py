"""Quiz arithmetic: attempt totals, grading over attempts, pass marks,
deadlines. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class GradingMethod(StrEnum):
    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    AVERAGE = "average"


@dataclass(frozen=True)
class SlotResult:
    mark: float                 # what the slot is worth in this quiz
    fraction: float | None      # 0..1, or None while a person has not graded it


@dataclass(frozen=True)
class AttemptTotal:
    score: float
    max_score: float
    pending: int                # slots still waiting for a person

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 2) if self.max_score else 0.0

    @property
    def final(self) -> bool:
        return self.pending == 0


def attempt_total(slots: list[SlotResult]) -> AttemptTotal:
    score = sum(s.mark * s.fraction for s in slots if s.fraction is not None)
    return AttemptTotal(round(score, 4), round(sum(s.mark for s in slots), 4),
                        sum(1 for s in slots if s.fraction is None))


def quiz_grade(method: GradingMethod | str, percents: list[float]) -> float | None:
    """The quiz grade from the final attempts' percents, oldest first."""
    if not percents:
        return None
    method = GradingMethod(method)
    if method == GradingMethod.HIGHEST:
        return max(percents)
    if method == GradingMethod.LAST:
        return percents[-1]
    if method == GradingMethod.FIRST:
        return percents[0]
    return round(sum(percents) / len(percents), 2)


def has_passed(percent: float | None, pass_mark: float | None) -> bool | None:
    if pass_mark is None or percent is None:
        return None
    return percent + 1e-9 >= pass_mark


def attempt_deadline(started_at: datetime, time_limit_minutes: int | None,
                     close_at: datetime | None) -> datetime | None:
    """The earlier of the time limit and the quiz closing."""
    ends = []
    if time_limit_minutes:
        ends.append(started_at + timedelta(minutes=time_limit_minutes))
    if close_at is not None:
        ends.append(close_at)
    return min(ends) if ends else None


def accepts_answers(now: datetime, deadline: datetime | None, grace_seconds: int) -> bool:
    """A save is accepted up to the deadline plus a small grace for latency."""
    return deadline is None or now <= deadline + timedelta(seconds=grace_seconds)


def attempts_left(allowed: int | None, used: int) -> int | None:
    return None if allowed is None else max(0, allowed - used)
