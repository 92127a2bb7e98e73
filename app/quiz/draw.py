"""Choosing an attempt's questions. Pure: candidates in, slots out.

A quiz is a list of sections. A fixed section lists question uids; a draw
section picks `count` questions matching its rule. Within one attempt no
question appears twice (fixed ones included), and a draw prefers questions
the agent has not seen on earlier attempts, falling back to seen ones only
when the unseen are too few. The random generator is seeded per attempt, so
the same seed gives the same draw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    uid: str
    version_id: int
    area: str
    category: str
    tags: tuple[str, ...]
    type_key: str
    competency: str
    difficulty: int


@dataclass(frozen=True)
class DrawRule:
    count: int
    category: str = ""           # an area or a path; sub-categories included
    tags: tuple[str, ...] = ()   # any of these
    types: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()
    difficulty_min: int = 1
    difficulty_max: int = 5

    def matches(self, c: Candidate) -> bool:
        if self.category and not (c.category == self.category or c.category.startswith(self.category + "/")):
            return False
        if self.tags and not set(self.tags) & set(c.tags):
            return False
        if self.types and c.type_key not in self.types:
            return False
        if self.competencies and c.competency not in self.competencies:
            return False
        return self.difficulty_min <= c.difficulty <= self.difficulty_max


@dataclass(frozen=True)
class Section:
    mark: float = 1.0
    fixed: tuple[str, ...] = ()
    rule: DrawRule | None = None


@dataclass(frozen=True)
class DrawnSlot:
    uid: str
    version_id: int
    mark: float
    section: int


class DrawError(ValueError):
    def __init__(self, section: int, message: str):
        super().__init__(f"section {section + 1}: {message}")
        self.section = section


def draw_attempt(sections: list[Section], candidates: list[Candidate], seen: set[str],
                 seed: int | str, *, shuffle: bool = False) -> list[DrawnSlot]:
    rng = random.Random(f"draw:{seed}")
    by_uid = {c.uid: c for c in candidates}
    used = {uid for s in sections for uid in s.fixed}  # fixed questions are never drawn again
    slots: list[DrawnSlot] = []
    for index, section in enumerate(sections):
        for uid in section.fixed:
            if uid not in by_uid:
                raise DrawError(index, f"question {uid} is not in the bank or is retired")
            slots.append(DrawnSlot(uid, by_uid[uid].version_id, section.mark, index))
        if section.rule is None:
            continue
        pool = [c for c in candidates if c.uid not in used and section.rule.matches(c)]
        if len(pool) < section.rule.count:
            raise DrawError(index, f"needs {section.rule.count} questions, only {len(pool)} match")
        unseen = [c for c in pool if c.uid not in seen]
        again = [c for c in pool if c.uid in seen]
        rng.shuffle(unseen)
        rng.shuffle(again)
        for c in (unseen + again)[: section.rule.count]:
            used.add(c.uid)
            slots.append(DrawnSlot(c.uid, c.version_id, section.mark, index))
    if shuffle:
        rng.shuffle(slots)
    return slots
