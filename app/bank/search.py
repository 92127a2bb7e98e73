"""Full-text search over questions that works for Chinese.

SQLite: an FTS5 table with the trigram tokenizer (any substring of three or
more characters). PostgreSQL: a pg_trgm GIN index on the same column, used
by ILIKE. Queries of one or two characters fall back to a plain substring
match, which both databases answer without the index.
"""

from __future__ import annotations

from sqlalchemy import Integer, Select, column, text

from app.bank.models import Question
from app.extensions import db


def searchable_text(type_key: str, title: str, stem: str, payload: dict, tags, category: str) -> str:
    parts = [title, stem, category, " ".join(tags)]
    for option in payload.get("options", []):
        parts.append(option["text"])
    parts.extend(payload.get("items", []))
    for pair in payload.get("pairs", []):
        parts.extend((pair["left"], pair["right"]))
    parts.extend(payload.get("distractors", []))
    return "\n".join(p for p in parts if p)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def apply_search(query: Select, term: str) -> Select:
    """Narrow a SELECT of Question to those matching every word of `term`."""
    term = "".join(ch for ch in term if ch.isprintable() or ch == " ")  # no NUL or control characters
    words = [w for w in term.split() if w]
    sqlite = db.engine.dialect.name == "sqlite"
    for word in words:
        if sqlite and len(word) >= 3:
            matches = text("SELECT rowid FROM question_fts WHERE question_fts MATCH :phrase")
            query = query.where(Question.id.in_(
                matches.bindparams(phrase=_fts_phrase(word)).columns(column("rowid", Integer))
            ))
        else:
            query = query.where(Question.search_text.ilike(f"%{_escape_like(word)}%", escape="\\"))
    return query
