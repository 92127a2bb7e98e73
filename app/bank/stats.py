"""Text arithmetic for the bank: stem similarity and version diffs. Pure."""

from __future__ import annotations

import difflib
import json
import unicodedata

from app.bank.types.base import normalise_text


def _grams(text: str, size: int = 2) -> set[str]:
    value = "".join(ch for ch in normalise_text(text) if not unicodedata.category(ch).startswith(("P", "Z")))
    if len(value) < size:
        return {value} if value else set()
    return {value[i:i + size] for i in range(len(value) - size + 1)}


def stem_similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams, punctuation and spaces ignored:
    1.0 for the same wording, about 0.8 for one changed word in a sentence."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def near_duplicates(stem: str, candidates: list[tuple[int, str]], threshold: float = 0.8,
                    limit: int = 5) -> list[tuple[int, float]]:
    scored = [(cid, stem_similarity(stem, other)) for cid, other in candidates]
    scored = [(cid, score) for cid, score in scored if score >= threshold]
    return sorted(scored, key=lambda x: -x[1])[:limit]


def version_lines(version: dict) -> list[str]:
    """A readable text form of a version for diffing."""
    lines = [f"type: {version['type_key']}", f"title: {version['title']}", f"format: {version['stem_format']}",
             "stem:", *version["stem"].splitlines(), "explanation:", *version["explanation"].splitlines(), "payload:"]
    lines += json.dumps(version["payload"], ensure_ascii=False, indent=2, sort_keys=True).splitlines()
    return lines


def diff_versions(old: dict, new: dict) -> list[tuple[str, str]]:
    """(op, line) with op in ' ', '-', '+'."""
    out = []
    for line in difflib.ndiff(version_lines(old), version_lines(new)):
        if line.startswith("? "):
            continue
        out.append((line[0], line[2:]))
    return out
