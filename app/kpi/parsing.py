"""Reading the cells of KPI exports. Pure.

Values come as `92.5%`, `0.925`, `1,234`, `00:03:25`, `3分25秒`, `9秒`,
`2分钟`, empty cells or placeholders such as `延迟统计` / `-`; dates as
`2026-10-05`, `2026/10/5`, `2026年10月5日`, `20261005`, `2026-10`,
`2026年10月`, Excel dates, or a range `2026-10-01至2026-10-31`. Errors are
ValueError with a message meant for the person who made the file.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from app.kpi.limits import FIRST_YEAR
from app.kpi.messages import N_, KpiProblem


class ParseError(KpiProblem):
    """A cell that cannot be read as what its column holds."""


EMPTY = {"", "-", "--", "—", "n/a", "na", "null", "none", "延迟统计", "暂无", "无", "/"}

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_CLOCK = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d))?(\.\d+)?$")
_CHINESE_DURATION = re.compile(
    r"^(?:(\d+(?:\.\d+)?)(?:小时|时|h))?(?:(\d+(?:\.\d+)?)(?:分钟|分|min|m))?(?:(\d+(?:\.\d+)?)(?:秒钟|秒|s|sec))?$")


def clean(text) -> str:
    """NFKC (full-width digits and signs to ASCII), trimmed, no thin spaces."""
    if text is None:
        return ""
    text = str(text)
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).replace("\u00a0", " ").strip()


def is_empty(text) -> bool:
    return clean(text).lower() in EMPTY


def finite(number, text=None) -> float:
    """The number as a float; infinity, NaN and integers too large for a
    float (JSON allows 1e999 and 400 digits) are a ParseError."""
    try:
        value = float(number)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        shown = str(number if text is None else text)
        raise ParseError(N_("not a finite number: %(text)s"), text=shown if len(shown) <= 24 else shown[:20] + "…")
    return value


def parse_number(text) -> float | None:
    """A plain number, thousands separators allowed; None for an empty cell."""
    if isinstance(text, bool):
        raise ParseError(N_("not a number: %(text)s"), text=repr(text))
    if isinstance(text, int | float):
        return finite(text)
    value = clean(text)
    if value.isdigit():                       # the common case, fast
        return finite(value)
    if value.lower() in EMPTY:
        return None
    if not _NUMBER.match(value):
        raise ParseError(N_("not a number: %(text)s"), text=repr(value))
    return finite(value.replace(",", ""), value)


def parse_percent(text, fraction_column: bool = False) -> tuple[float | None, bool]:
    """A rate as a percentage (92.5). Returns (value, had % sign). A bare
    number is read as a fraction (0.925 → 92.5) when `fraction_column` says
    the column holds fractions (decided by the caller over the whole column)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return (finite(text) * 100 if fraction_column else finite(text)), False
    value = clean(text)
    if value.lower() in EMPTY:
        return None, False
    if value.endswith("%"):
        number = parse_number(value[:-1].strip())
        if number is None:
            raise ParseError(N_("not a percentage: %(text)s"), text=repr(value))
        return number, True
    number = parse_number(value)
    return (number * 100 if fraction_column and number is not None else number), False


def parse_seconds(text) -> float | None:
    """A duration in seconds: `205`, `205.5`, `00:03:25`, `3:25`, `3分25秒`,
    `9秒`, `2分钟`, `1小时2分`. Excel times (fractions of a day) arrive as
    datetime.time or timedelta from openpyxl."""
    if hasattr(text, "hour") and hasattr(text, "minute") and not isinstance(text, datetime):
        return text.hour * 3600 + text.minute * 60 + text.second + text.microsecond / 1e6
    if isinstance(text, timedelta):
        return text.total_seconds()
    if isinstance(text, int | float) and not isinstance(text, bool):
        return finite(text)
    value = clean(text).replace(" ", "")
    if value.lower() in EMPTY:
        return None
    clock = _CLOCK.match(value)
    if clock:
        first, second, third, fraction = clock.groups()
        if third is None:          # m:ss
            return finite(int(first) * 60 + int(second) + float(fraction or 0), value)
        return finite(int(first) * 3600 + int(second) * 60 + int(third) + float(fraction or 0), value)
    duration = _CHINESE_DURATION.match(value)
    if duration and any(duration.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in duration.groups())
        return finite(hours * 3600 + minutes * 60 + seconds, value)
    if not _NUMBER.match(value):
        raise ParseError(N_("not a duration: %(text)s (use seconds, hh:mm:ss or 3分25秒)"), text=repr(value))
    return parse_number(value)


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
]
_RANGE = re.compile(r"^(.+?)\s*(?:至|到|~|～|—|–|\s-\s|/)\s*(.+)$")


def parse_period(text) -> tuple[date, date]:
    """The first and last day a cell covers: a day, a month or a range.
    Raises ValueError for anything else, including impossible dates and
    years before FIRST_YEAR."""
    first, last = _period(text)
    if first.year < FIRST_YEAR:
        raise ParseError(N_("implausible year in %(text)s (from %(year)d on)"),
                         text=repr(first.isoformat() if isinstance(text, date) else clean(text)), year=FIRST_YEAR)
    return first, last


def _period(text) -> tuple[date, date]:
    if isinstance(text, datetime):
        return text.date(), text.date()
    if isinstance(text, date):
        return text, text
    value = clean(text)
    if not value:
        raise ParseError(N_("empty date"))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            day = _date(*match.groups(), original=value)
            return day, day
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(value)
        if match:
            first = _date(match.group(1), match.group(2), "1", original=value)
            return first, month_end(first)
    ranged = _RANGE.match(value)
    if ranged:
        start, _ = _period(ranged.group(1))
        _, end = _period(ranged.group(2))
        if end < start:
            raise ParseError(N_("the range %(text)s ends before it starts"), text=repr(value))
        return start, end
    raise ParseError(N_("not a date or month: %(text)s (use 2026-10-05, 2026-10 or 2026年10月)"), text=repr(value))


def _date(year, month, day, original: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ParseError(N_("no such date: %(text)s"), text=repr(original)) from None


def month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def month_of(start: date, end: date) -> date:
    """The month a row belongs to (its first day); a row spanning two
    months cannot be rolled up and is refused."""
    if (start.year, start.month) != (end.year, end.month):
        raise ParseError(N_("%(start)s to %(end)s spans more than one month"), start=start.isoformat(),
                         end=end.isoformat())
    return start.replace(day=1)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used: the one given, else UTF-8 (with or
    without BOM), else GB18030 (a superset of GBK and GB2312)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            raise ParseError(N_("the file is not valid %(encoding)s"), encoding=encoding) from None
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("gb18030"), "gb18030"
    raise ParseError(N_("the file's encoding is not UTF-8 or GBK/GB18030; save it as UTF-8 CSV or XLSX"))
