"""Reading and checking a user import file. Pure: no Flask, no database.

A file is a CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or an XLSX whose first
sheet starts with a header row. Headers may be English codes or Chinese
labels (see HEADER_ALIASES). Row numbers are spreadsheet row numbers: the
header is row 1, the first person is row 2.

Decisions:
- employee_no and name are required; every other column is optional.
- Columns we do not know are ignored and reported as a warning.
- An employee number that already exists is an error: the import creates
  people, editing happens on the user page.
- A non-onboarding agent without a "cleared for live" date is taken as cleared
  on the import day (they already take live contacts).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

REQUIRED_FIELDS = ("employee_no", "name")
FIELDS = (
    "employee_no", "name", "email", "role", "team", "hire_date", "tier",
    "ladder_level", "password", "locale", "cleared_for_live_on",
)

HEADER_ALIASES = {
    "employee_no": {"employee_no", "employee no", "employee number", "工号", "员工编号", "员工号"},
    "name": {"name", "姓名", "名字"},
    "email": {"email", "e-mail", "邮箱", "电子邮箱"},
    "role": {"role", "角色"},
    "team": {"team", "团队", "班组", "小组"},
    "hire_date": {"hire_date", "hire date", "入职日期"},
    "tier": {"tier", "层级", "培训层级"},
    "ladder_level": {"ladder_level", "ladder level", "level", "职级"},
    "password": {"password", "初始密码", "密码"},
    "locale": {"locale", "language", "语言"},
    "cleared_for_live_on": {"cleared_for_live_on", "cleared for live", "上岗日期"},
}

VALUE_ALIASES = {
    "role": {
        "agent": {"agent", "客服", "客服专员", "坐席"},
        "trainer": {"trainer", "培训师", "质检员", "培训/质检"},
        "manager": {"manager", "主管", "经理", "组长"},
        "admin": {"admin", "administrator", "管理员"},
    },
    "tier": {
        "onboarding": {"onboarding", "新员工", "入职培训"},
        "in_service": {"in_service", "in service", "在岗", "在职"},
        "elite": {"elite", "精英", "智囊团"},
    },
    "ladder_level": {
        "specialist": {"specialist", "客服专员", "专员"},
        "senior": {"senior", "资深专员", "资深"},
        "expert": {"expert", "服务专家", "专家"},
        "manager": {"manager", "服务经理"},
    },
    "locale": {
        "zh_CN": {"zh_cn", "zh", "zh-cn", "中文", "简体中文"},
        "en": {"en", "english", "英文", "英语"},
    },
}

EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
MIN_PASSWORD_LENGTH = 8
MAX_ROWS = 5000


class ImportFileError(Exception):
    """The file as a whole cannot be read. `code` and `params` describe why."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class UserRow:
    row: int
    employee_no: str
    name: str
    email: str | None
    role: str
    team: str | None
    hire_date: date | None
    tier: str
    ladder_level: str
    password: str | None
    locale: str | None
    cleared_for_live_on: date | None


@dataclass
class ImportReport:
    rows: list[UserRow]
    errors: list[RowError]
    ignored_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", str(text or "").replace("\ufeff", "")).strip().lower()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _decode_csv(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("bad_encoding")


def read_table(filename: str, content: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    """Header cells and (row number, cells) for each non-blank row."""
    if not content:
        raise ImportFileError("empty_file")
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        rows = _read_xlsx(content)
    elif suffix in ("csv", "txt"):
        text = _decode_csv(content)
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise ImportFileError("bad_csv", detail=str(exc)) from exc
    else:
        raise ImportFileError("unknown_format", suffix=suffix or filename)
    numbered = [(i, r) for i, r in enumerate(rows, start=1) if any(_cell_text(c) for c in r)]
    if not numbered:
        raise ImportFileError("empty_file")
    (_, header), body = numbered[0], numbered[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError("too_many_rows", limit=MAX_ROWS)
    return [_cell_text(h) for h in header], body


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("bad_xlsx") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError("too_many_rows", limit=MAX_ROWS)
        return rows
    finally:
        workbook.close()


def map_headers(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the headers that match no field."""
    lookup = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
    mapping, ignored, seen = {}, [], set()
    for index, cell in enumerate(header):
        name = lookup.get(_normalise_header(cell))
        if name is None:
            if cell:
                ignored.append(cell)
            continue
        if name in seen:
            raise ImportFileError("duplicate_column", column=cell)
        seen.add(name)
        mapping[index] = name
    missing = [f for f in REQUIRED_FIELDS if f not in seen]
    if missing:
        raise ImportFileError("missing_columns", columns=", ".join(missing))
    return mapping, ignored


def parse_date(text: str) -> date:
    match = DATE_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


def _choice(field_name: str, text: str) -> str | None:
    wanted = text.strip().lower()
    for code, aliases in VALUE_ALIASES[field_name].items():
        if wanted in {a.lower() for a in aliases}:
            return code
    return None


def validate_rows(
    header: list[str],
    body: list[tuple[int, list]],
    *,
    existing_employee_nos: set[str],
    existing_emails: set[str],
    team_names: set[str],
    today: date,
) -> ImportReport:
    mapping, ignored = map_headers(header)
    errors: list[RowError] = []
    rows: list[UserRow] = []
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    existing_lower = {e.lower() for e in existing_emails}

    for row_no, cells in body:
        values = {name: _cell_text(cells[i]) if i < len(cells) else "" for i, name in mapping.items()}
        for name in FIELDS:
            values.setdefault(name, "")
        row_errors: list[RowError] = []

        def err(field_name, code, **params):
            row_errors.append(RowError(row_no, field_name, code, params))  # noqa: B023

        number = values["employee_no"]
        if not number:
            err("employee_no", "required")
        elif not EMPLOYEE_NO_RE.match(number):
            err("employee_no", "bad_employee_no", value=number)
        elif number in existing_employee_nos:
            err("employee_no", "employee_no_exists", value=number)
        elif number in seen_numbers:
            err("employee_no", "duplicate_in_file", value=number, other_row=seen_numbers[number])
        else:
            seen_numbers[number] = row_no

        if not values["name"]:
            err("name", "required")
        elif len(values["name"]) > 80:
            err("name", "too_long", limit=80)

        email = values["email"].lower() or None
        if email:
            if not EMAIL_RE.match(email):
                err("email", "bad_email", value=values["email"])
            elif email in existing_lower:
                err("email", "email_exists", value=values["email"])
            elif email in seen_emails:
                err("email", "duplicate_in_file", value=values["email"], other_row=seen_emails[email])
            else:
                seen_emails[email] = row_no

        choices = {}
        for name, default in (("role", "agent"), ("tier", "onboarding"),
                              ("ladder_level", "specialist"), ("locale", None)):
            if not values[name]:
                choices[name] = default
                continue
            choices[name] = _choice(name, values[name])
            if choices[name] is None:
                err(name, "bad_choice", value=values[name], allowed=", ".join(
                    f"{code}/{next(a for a in sorted(aliases) if not a.isascii())}"
                    for code, aliases in VALUE_ALIASES[name].items()))

        team = values["team"] or None
        if team and team not in team_names:
            err("team", "unknown_team", value=team)

        dates = {}
        for name in ("hire_date", "cleared_for_live_on"):
            dates[name] = None
            if values[name]:
                try:
                    dates[name] = parse_date(values[name])
                except ValueError:
                    err(name, "bad_date", value=values[name])
                else:
                    if dates[name] > today:
                        err(name, "future_date", value=values[name])

        password = values["password"] or None
        if password and len(password) < MIN_PASSWORD_LENGTH:
            err("password", "short_password", limit=MIN_PASSWORD_LENGTH)

        if row_errors:
            errors.extend(row_errors)
            continue
        cleared = dates["cleared_for_live_on"]
        if cleared is None and choices["role"] == "agent" and choices["tier"] != "onboarding":
            cleared = today
        rows.append(UserRow(
            row=row_no, employee_no=number, name=values["name"], email=email,
            role=choices["role"], team=team, hire_date=dates["hire_date"],
            tier=choices["tier"], ladder_level=choices["ladder_level"],
            password=password, locale=choices["locale"], cleared_for_live_on=cleared,
        ))
    if not body:
        errors.append(RowError(1, "", "no_rows"))
    return ImportReport(rows=rows, errors=errors, ignored_columns=ignored)
