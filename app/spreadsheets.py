"""Spreadsheet exports that every spreadsheet program opens safely.

Excel (and openpyxl, which refuses to write them) rejects sheet titles with
`/ \\ ? * [ ] :`, longer than 31 characters (counted in UTF-16 units), blank,
starting or ending with an apostrophe, equal to the reserved "History", or
repeating another sheet's title in any letter case. Titles come from what
trainers type, so they are cleaned rather than refused.

A cell that starts with `= + - @` (or a tab / carriage return) is read as a
formula when the file is opened — CSV injection — so such text gets a
leading apostrophe. XML cannot hold most control characters; they are
dropped from XLSX cells.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

SHEET_TITLE_LIMIT = 31
RESERVED_TITLES = frozenset({"history"})
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# brackets keep their meaning as parentheses; the other forbidden marks become
# a dash (separators) or go (wildcards)
_TITLE_REPLACEMENTS = str.maketrans({"[": "(", "]": ")", "/": "-", "\\": "-", ":": "-", "*": "", "?": ""})
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _clip(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-16 units, never half a character."""
    out, used = [], 0
    for ch in text:
        used += _utf16_units(ch)
        if used > limit:
            break
        out.append(ch)
    return "".join(out)


def _tidy(text: str) -> str:
    text = " ".join(text.split())                      # tabs, newlines, runs of spaces → one space
    return text.strip().strip("'").strip()


def sheet_title(text: str, taken: set[str] | None = None, fallback: str = "Sheet") -> str:
    """A sheet title made from `text` that Excel and openpyxl accept.

    `taken` holds the case-folded titles already in the workbook; the new
    title is added to it, numbered " (2)", " (3)" … if it would repeat one.
    """
    taken = set() if taken is None else taken
    cleaned = "".join(ch if ch.isprintable() else " " for ch in (text or "").translate(_TITLE_REPLACEMENTS))
    base = _tidy(_clip(_tidy(cleaned), SHEET_TITLE_LIMIT)) or fallback
    title, number = base, 1
    while title.casefold() in taken or title.casefold() in RESERVED_TITLES:
        number += 1
        suffix = f" ({number})"
        title = _tidy(_clip(base, SHEET_TITLE_LIMIT - len(suffix))) + suffix
    taken.add(title.casefold())
    return title


def neutralise(value):
    """Text that would start a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _xlsx_cell(value):
    # Control characters go first: "\x01=HYPERLINK(…)" must not become a formula once they are gone.
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)
    return neutralise(value)


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]]) -> bytes:
    """A workbook of (title, header, rows) sheets, titles cleaned and cells neutralised."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    taken: set[str] = set()
    for title, header, rows in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.append([_xlsx_cell(v) for v in header])
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    """CSV with cells neutralised, UTF-8 with a BOM so that Excel reads Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(v) for v in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return "\ufeff" + buffer.getvalue()
