"""Item analysis of graded quiz attempts: test statistics, item statistics and
distractor tables, in the manner of Moodle's quiz statistics report. Pure.

Each attempt is a set of ``ItemResponse`` rows sharing an ``attempt_id``. An
item's *score* in an attempt is ``fraction × max_mark``; the attempt's
*total* is the sum of its item scores, its *maximum* the sum of its items'
``max_mark`` (taken from the data), and its *percent* ``100 × total / maximum``.

Variances: descriptive spreads (``TestAnalysis.sd``, ``sd_pct``,
``ItemStats.sd``) are sample standard deviations, ``sqrt(Σ(x − x̄)² / (n − 1))``,
as Moodle reports for grades; Cronbach's α uses population variances,
``Σ(x − x̄)² / n``, for both the items and the total, as is standard for α.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

UNANSWERED = "—"
TOO_EASY_ABOVE = 0.95
TOO_HARD_BELOW = 0.2
WEAK_DISCRIMINATION_BELOW = 0.2


@dataclass(frozen=True)
class ItemResponse:
    attempt_id: int
    item_id: str
    fraction: float            # 0..1 score on the item
    max_mark: float = 1.0
    choice: str | None = None  # option(s) chosen, e.g. "A" or "A,C"; None if unanswered


@dataclass(frozen=True)
class DistractorRow:
    """How often one choice was made, and how well those who made it did.

    ``share = count / responses to the item``; ``mean_total_pct`` is the mean
    percent of the attempts that made this choice. ``choice`` is the chosen
    string as given, or ``UNANSWERED`` ("—") for responses without a choice.
    """

    choice: str
    count: int
    share: float
    mean_total_pct: float


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one item over the attempts that contained it.

    - ``facility`` = mean fraction, 0..1.
    - ``sd`` = sample SD of the fractions; None when ``count < 2``.
    - ``discrimination_index`` D = mean fraction of the upper group − mean
      fraction of the lower group. Attempts are ranked by percent (the same
      order as by total when every attempt has the same maximum), ties by
      ascending ``attempt_id``; each group holds
      ``g = min(max(1, round(n × group_fraction)), n // 2)`` attempts, so the
      groups never overlap. None when ``n < 2``.
    - ``item_total_correlation`` = Pearson r between the item score and the
      rest score (attempt total − item score), the *corrected* item–total
      correlation; None when ``n < 3`` or either variable is constant.
    - ``flags``: "too_easy" (facility > 0.95), "too_hard" (facility < 0.2),
      "weak_discrimination" (0 ≤ D < 0.2), "negative_discrimination" (D < 0).
    - ``distractors``: one row per distinct choice (sorted), then an
      unanswered row if any; empty unless some response carries a choice.
    """

    item_id: str
    count: int
    facility: float
    sd: float | None
    discrimination_index: float | None
    item_total_correlation: float | None
    flags: tuple[str, ...]
    distractors: tuple[DistractorRow, ...]


@dataclass(frozen=True)
class TestAnalysis:
    """Whole-test statistics, raw (marks) and as percent of each attempt's maximum.

    - ``mean``, ``median``, ``sd`` of the attempt totals (sd: sample, n − 1);
      ``mean_pct``, ``median_pct``, ``sd_pct`` of the attempt percents. All None
      without attempts; the SDs None with fewer than two.
    - ``reliability`` = Cronbach's α = k/(k − 1) × (1 − Σ var(item score) / var(total)),
      population variances, over the k items present in every attempt and the
      totals of those items only (with random draws the other items are left
      out). Equals KR-20 when all items are scored 0/1. None when k < 2,
      attempts < 2 or var(total) = 0.
    - ``sem`` = sd × sqrt(1 − α), in marks; None when α or sd is None.
    """

    __test__ = False

    attempts: int
    mean: float | None
    median: float | None
    sd: float | None
    mean_pct: float | None
    median_pct: float | None
    sd_pct: float | None
    reliability: float | None
    sem: float | None
    items: list[ItemStats]


@dataclass(frozen=True)
class _Attempt:
    attempt_id: int
    total: float
    pct: float
    responses: dict[str, ItemResponse]

    def score(self, item_id: str) -> float:
        response = self.responses[item_id]
        return response.fraction * response.max_mark


def analyse(responses: list[ItemResponse], *, group_fraction: float = 0.27) -> TestAnalysis:
    """Analyse graded responses; see ``TestAnalysis`` and ``ItemStats`` for the definitions.

    Raises ValueError for a fraction outside 0..1, a ``max_mark`` not above 0,
    an item answered twice in one attempt, or ``group_fraction`` outside (0, 0.5].
    """
    if not 0 < group_fraction <= 0.5:
        raise ValueError(f"group_fraction must be in (0, 0.5], not {group_fraction}")
    attempts = _group_attempts(responses)
    totals = [a.total for a in attempts]
    pcts = [a.pct for a in attempts]
    sd = _sample_sd(totals)
    common = sorted(set.intersection(*(set(a.responses) for a in attempts))) if attempts else []
    alpha = cronbach_alpha([[a.score(item_id) for item_id in common] for a in attempts])
    ranked = sorted(attempts, key=lambda a: (a.pct, a.attempt_id))
    items = [_item_stats(item_id, [a for a in ranked if item_id in a.responses], group_fraction)
             for item_id in sorted({r.item_id for r in responses})]
    return TestAnalysis(
        attempts=len(attempts),
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        sd=sd,
        mean_pct=statistics.fmean(pcts) if pcts else None,
        median_pct=statistics.median(pcts) if pcts else None,
        sd_pct=_sample_sd(pcts),
        reliability=alpha,
        sem=sd * math.sqrt(max(0.0, 1 - alpha)) if alpha is not None and sd is not None else None,
        items=items,
    )


def cronbach_alpha(scores: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's α of a score matrix, one row per attempt and one column per item.

    α = k/(k − 1) × (1 − Σᵢ var(column i) / var(row totals)), population
    variances. None when k < 2, fewer than two rows, or the totals are constant.
    """
    k = len(scores[0]) if scores else 0
    if k < 2 or len(scores) < 2:
        return None
    totals = [math.fsum(row) for row in scores]
    if _is_constant(totals):
        return None
    item_variance = math.fsum(statistics.pvariance([row[i] for row in scores]) for i in range(k))
    return k / (k - 1) * (1 - item_variance / statistics.pvariance(totals))


def _group_attempts(responses: list[ItemResponse]) -> list[_Attempt]:
    by_attempt: dict[int, dict[str, ItemResponse]] = {}
    for r in responses:
        if not 0 <= r.fraction <= 1:
            raise ValueError(f"fraction {r.fraction} of item {r.item_id!r} is outside 0..1")
        if not r.max_mark > 0:
            raise ValueError(f"max_mark {r.max_mark} of item {r.item_id!r} must be above 0")
        items = by_attempt.setdefault(r.attempt_id, {})
        if r.item_id in items:
            raise ValueError(f"item {r.item_id!r} appears twice in attempt {r.attempt_id}")
        items[r.item_id] = r
    attempts = []
    for attempt_id, items in sorted(by_attempt.items()):
        total = math.fsum(r.fraction * r.max_mark for r in items.values())
        maximum = math.fsum(r.max_mark for r in items.values())
        attempts.append(_Attempt(attempt_id, total, 100 * total / maximum, items))
    return attempts


def _item_stats(item_id: str, ranked: list[_Attempt], group_fraction: float) -> ItemStats:
    fractions = [a.responses[item_id].fraction for a in ranked]
    facility = statistics.fmean(fractions)
    discrimination = _discrimination(fractions, group_fraction)
    return ItemStats(item_id, len(ranked), facility, _sample_sd(fractions), discrimination,
                     _corrected_item_total(item_id, ranked), _flags(facility, discrimination),
                     _distractors(item_id, ranked))


def _discrimination(ranked_fractions: list[float], group_fraction: float) -> float | None:
    n = len(ranked_fractions)
    if n < 2:
        return None
    g = min(max(1, round(n * group_fraction)), n // 2)
    return statistics.fmean(ranked_fractions[-g:]) - statistics.fmean(ranked_fractions[:g])


def _corrected_item_total(item_id: str, attempts: list[_Attempt]) -> float | None:
    if len(attempts) < 3:
        return None
    item_scores = [a.score(item_id) for a in attempts]
    rest_scores = [a.total - s for a, s in zip(attempts, item_scores, strict=True)]
    if _is_constant(item_scores) or _is_constant(rest_scores):
        return None
    return statistics.correlation(item_scores, rest_scores)


def _flags(facility: float, discrimination: float | None) -> tuple[str, ...]:
    return tuple(name for name, applies in (
        ("too_easy", facility > TOO_EASY_ABOVE),
        ("too_hard", facility < TOO_HARD_BELOW),
        ("weak_discrimination", discrimination is not None and 0 <= discrimination < WEAK_DISCRIMINATION_BELOW),
        ("negative_discrimination", discrimination is not None and discrimination < 0),
    ) if applies)


def _distractors(item_id: str, attempts: list[_Attempt]) -> tuple[DistractorRow, ...]:
    pcts_by_choice: dict[str | None, list[float]] = {}
    for a in attempts:
        pcts_by_choice.setdefault(a.responses[item_id].choice, []).append(a.pct)
    if set(pcts_by_choice) <= {None}:
        return ()
    order = sorted(c for c in pcts_by_choice if c is not None) + ([None] if None in pcts_by_choice else [])
    return tuple(
        DistractorRow(UNANSWERED if choice is None else choice, len(pcts_by_choice[choice]),
                      len(pcts_by_choice[choice]) / len(attempts), statistics.fmean(pcts_by_choice[choice]))
        for choice in order
    )


def _sample_sd(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) >= 2 else None


def _is_constant(values: list[float]) -> bool:
    """True when the spread is within floating-point noise: max − min ≤ 1e-9 × max(1, max |x|)."""
    return max(values) - min(values) <= 1e-9 * max(1.0, *(abs(v) for v in values))
