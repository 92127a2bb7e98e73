"""Writes about people: log-in, passwords, users, teams, the audit trail.

Each public function validates, writes, leaves an audit row and commits once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import AuditLog, LadderLevel, LoginSession, Role, Team, Tier, User
from app.auth.user_import import MIN_PASSWORD_LENGTH, ImportFileError, ImportReport, RowError
from app.db_types import utcnow
from app.errors import DomainError
from app.extensions import db

_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash that never matches, checked when the account does not exist so
    that timing does not reveal which employee numbers are real."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _dummy_hashes[method]


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def generate_temporary_password() -> str:
    return secrets.token_urlsafe(9)


_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")


def find_by_employee_numbers(text: str, within=None) -> tuple[list[User], list[str]]:
    """People named in a typed list of employee numbers — separated by
    commas (， or ,), 、, semicolons or spaces; matched ignoring case — in
    the order given, without repeats, optionally within a SELECT of users.
    Returns (found, the numbers as typed that matched nobody)."""
    wanted = list(dict.fromkeys(n for n in _NUMBER_SEPARATORS.split(text or "") if n))
    if not wanted:
        return [], []
    query = (within if within is not None else select(User)).where(
        func.upper(User.employee_no).in_([n.upper() for n in wanted]))
    found = {u.employee_no.upper(): u for u in db.session.scalars(query)}
    people = list(dict.fromkeys(found[n.upper()] for n in wanted if n.upper() in found))
    return people, [n for n in wanted if n.upper() not in found]


def record_audit(actor: User | None, action: str, entity_type: str, entity_id,
                 before: dict | None = None, after: dict | None = None) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None, action=action,
        entity_type=entity_type, entity_id=None if entity_id is None else str(entity_id),
        before=before, after=after,
    )
    db.session.add(entry)
    return entry


def user_snapshot(user: User) -> dict:
    """The audited fields of a user (never the password hash)."""
    return {
        "employee_no": user.employee_no, "name": user.name, "email": user.email,
        "role": user.role, "team_id": user.team_id,
        "hire_date": user.hire_date.isoformat() if user.hire_date else None,
        "tier": user.tier, "ladder_level": user.ladder_level,
        "cleared_for_live_at": user.cleared_for_live_at.isoformat() if user.cleared_for_live_at else None,
        "is_active": user.is_active, "locale": user.locale,
    }


def team_snapshot(team: Team) -> dict:
    return {"name": team.name, "description": team.description,
            "manager_ids": sorted(m.id for m in team.managers)}


def find_login_user(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return db.session.scalar(
        select(User).where((User.employee_no == identifier) | (func.lower(User.email) == identifier.lower()))
    )


def authenticate(identifier: str, password: str) -> User:
    """The active user with these credentials, or DomainError."""
    user = find_login_user(identifier)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        raise DomainError(_("Unknown employee number or wrong password."))
    if not check_password_hash(user.password_hash, password or ""):
        raise DomainError(_("Unknown employee number or wrong password."))
    if not user.is_active:
        raise DomainError(_("This account has been deactivated. Ask your administrator."))
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _session_lifetime() -> timedelta:
    """A login session lives as long as its remember-me cookie could."""
    return timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])


def start_session(user: User) -> str:
    """Open a login session for `user` on this device and return the id the
    cookies carry. The person's ended and expired sessions are cleared."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(LoginSession.__table__.delete().where(
        LoginSession.user_id == user.id,
        (LoginSession.ended_at.is_not(None)) | (LoginSession.created_at < now - _session_lifetime())))
    db.session.add(LoginSession(user_id=user.id, key_hash=_key_hash(key), created_at=now))
    db.session.commit()
    user.session_key = key
    return user.get_id()


def load_session_user(cookie_id: str) -> User | None:
    """The active user of a live login session named by a cookie's id
    (`user.version.key`), or None: one query whatever the outcome."""
    try:
        raw_id, raw_version, key = cookie_id.split(".", 2)
        pk, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    if not key:
        return None
    user = db.session.scalar(
        select(User).join(LoginSession, LoginSession.user_id == User.id).where(
            User.id == pk, User.is_active.is_(True), User.session_version == version,
            LoginSession.key_hash == _key_hash(key), LoginSession.ended_at.is_(None),
            LoginSession.created_at >= utcnow() - _session_lifetime()))
    if user is not None:
        user.session_key = key
    return user


def end_session(user: User) -> None:
    """Sign this device out: its session and remember-me cookies stop working."""
    if user.session_key:
        db.session.execute(LoginSession.__table__.update().where(
            LoginSession.user_id == user.id, LoginSession.key_hash == _key_hash(user.session_key),
            LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))
        db.session.commit()


def _end_other_sessions(user: User) -> None:
    """Every session of `user` but the current one ends (password changed,
    reset or account deactivated); session_version already refuses them."""
    query = LoginSession.__table__.update().where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    if user.session_key:
        query = query.where(LoginSession.key_hash != _key_hash(user.session_key))
    db.session.execute(query.values(ended_at=utcnow()))


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current_password or ""):
        raise DomainError(_("The current password is wrong."), field="current_password")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="new_password")
    if check_password_hash(user.password_hash, new_password):
        raise DomainError(_("Choose a password different from the current one."), field="new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.session_version += 1
    _end_other_sessions(user)
    record_audit(user, "user.password_changed", "user", user.id)
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


@dataclass
class UserData:
    employee_no: str
    name: str
    email: str | None
    role: str
    team_id: int | None
    hire_date: date | None
    tier: str
    ladder_level: str
    cleared_for_live_on: date | None
    locale: str | None


def _check_unique(data: UserData, user_id: int | None = None) -> None:
    clash = db.session.scalar(select(User).where(User.employee_no == data.employee_no))
    if clash is not None and clash.id != user_id:
        raise DomainError(_("Employee number %(no)s is already in use.", no=data.employee_no), field="employee_no")
    if data.email:
        clash = db.session.scalar(select(User).where(func.lower(User.email) == data.email.lower()))
        if clash is not None and clash.id != user_id:
            raise DomainError(_("The email %(email)s is already in use.", email=data.email), field="email")


def _as_datetime(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0, 0), tzinfo=UTC) if day else None


def _apply(user: User, data: UserData) -> None:
    user.employee_no = data.employee_no
    user.name = data.name
    user.email = data.email.lower() if data.email else None
    user.role = Role(data.role).value
    user.team_id = data.team_id
    user.hire_date = data.hire_date
    user.tier = Tier(data.tier).value
    user.ladder_level = LadderLevel(data.ladder_level).value
    if data.cleared_for_live_on is None:
        user.cleared_for_live_at = None
    elif user.cleared_for_live_at is None or user.cleared_for_live_at.date() != data.cleared_for_live_on:
        user.cleared_for_live_at = _as_datetime(data.cleared_for_live_on)
    user.locale = data.locale


def create_user(actor: User, data: UserData, password: str | None) -> tuple[User, str | None]:
    """The new user, and the temporary password when none was given."""
    _check_unique(data)
    temporary = None
    if not password:
        password = temporary = generate_temporary_password()
    user = User(password_hash=hash_password(password), must_change_password=True)
    _apply(user, data)
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.created", "user", user.id, None, user_snapshot(user))
    db.session.commit()
    return user, temporary


def update_user(actor: User, user: User, data: UserData) -> None:
    _check_unique(data, user.id)
    if user.id == actor.id and data.role != Role.ADMIN:
        raise DomainError(_("You cannot take the administrator role from yourself."), field="role")
    before = user_snapshot(user)
    if user.role == Role.MANAGER and data.role != Role.MANAGER and user.managed_teams:
        # Only managers manage teams: the role change hands their teams back.
        before["managed_team_ids"] = sorted(t.id for t in user.managed_teams)
        user.managed_teams = []
    _apply(user, data)
    after = user_snapshot(user)
    if "managed_team_ids" in before:
        after["managed_team_ids"] = []
    if before != after:
        record_audit(actor, "user.updated", "user", user.id, before, after)
    db.session.commit()


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        user.session_version += 1  # signs the user out everywhere
        _end_other_sessions(user)
    record_audit(actor, "user.activated" if active else "user.deactivated", "user", user.id,
                 {"is_active": not active}, {"is_active": active})
    db.session.commit()


def reset_password(actor: User, user: User) -> str:
    temporary = generate_temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_version += 1
    user.session_key = None
    _end_other_sessions(user)
    record_audit(actor, "user.password_reset", "user", user.id)
    db.session.commit()
    return temporary


def _manager_users(manager_ids: list[int]) -> list[User]:
    if not manager_ids:
        return []
    managers = list(db.session.scalars(select(User).where(User.id.in_(manager_ids))))
    if len(managers) != len(set(manager_ids)) or any(m.role != Role.MANAGER for m in managers):
        raise DomainError(_("Only users with the manager role can manage a team."), field="manager_ids")
    return managers


def save_team(actor: User, team: Team | None, name: str, description: str, manager_ids: list[int]) -> Team:
    name = name.strip()
    clash = db.session.scalar(select(Team).where(Team.name == name))
    if clash is not None and (team is None or clash.id != team.id):
        raise DomainError(_("A team named %(name)s already exists.", name=name), field="name")
    managers = _manager_users(manager_ids)
    before = team_snapshot(team) if team else None
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    team.name = name
    team.description = description.strip()
    team.managers = managers
    db.session.flush()
    after = team_snapshot(team)
    if before != after:
        record_audit(actor, "team.created" if before is None else "team.updated", "team", team.id, before, after)
    db.session.commit()
    return team


# --- user import -----------------------------------------------------------

def describe_row_error(error: RowError) -> str:
    p = error.params
    messages = {
        "required": lambda: _("this field is required"),
        "bad_employee_no": lambda: _("“%(value)s” is not a valid employee number (letters, digits, - and _, up to 32)", **p),
        "employee_no_exists": lambda: _("employee number %(value)s already exists", **p),
        "duplicate_in_file": lambda: _("“%(value)s” also appears in row %(other_row)d", **p),
        "too_long": lambda: _("longer than %(limit)d characters", **p),
        "bad_email": lambda: _("“%(value)s” is not a valid email address", **p),
        "email_exists": lambda: _("email %(value)s is already in use", **p),
        "bad_choice": lambda: _("“%(value)s” is not one of: %(allowed)s", **p),
        "unknown_team": lambda: _("no team is named “%(value)s”", **p),
        "bad_date": lambda: _("“%(value)s” is not a date (use YYYY-MM-DD)", **p),
        "future_date": lambda: _("%(value)s is in the future", **p),
        "short_password": lambda: _("passwords need at least %(limit)d characters", **p),
        "no_rows": lambda: _("the file has a header but no people"),
    }
    return messages[error.code]()


def describe_file_error(error: ImportFileError) -> str:
    p = error.params
    messages = {
        "empty_file": lambda: _("The file is empty."),
        "bad_encoding": lambda: _("The file is neither UTF-8 nor GBK text."),
        "bad_csv": lambda: _("The CSV cannot be read: %(detail)s", **p),
        "unknown_format": lambda: _("Unsupported file type “%(suffix)s”: upload a .csv or .xlsx file.", **p),
        "bad_xlsx": lambda: _("The file is not a valid XLSX workbook."),
        "too_many_rows": lambda: _("The file has more than %(limit)d rows; split it.", **p),
        "duplicate_column": lambda: _("The column “%(column)s” appears twice.", **p),
        "missing_columns": lambda: _("Required columns are missing: %(columns)s.", **p),
    }
    return messages[error.code]()


def check_user_import(filename: str, content: bytes) -> ImportReport:
    """Parse and validate against the database; raises ImportFileError."""
    from app.auth.user_import import read_table, validate_rows

    header, body = read_table(filename, content)
    return validate_rows(
        header, body,
        existing_employee_nos=set(db.session.scalars(select(User.employee_no))),
        existing_emails={e for e in db.session.scalars(select(User.email)) if e},
        team_names=set(db.session.scalars(select(Team.name))),
        today=date.today(),
    )


@dataclass
class ImportResult:
    created: list[User]
    temporary_passwords: dict[str, str]


def import_users(actor: User | None, filename: str, content: bytes) -> ImportResult:
    """All or nothing: any row error raises DomainError and writes nothing."""
    report = check_user_import(filename, content)
    if not report.ok:
        raise DomainError(_("The file has %(n)d errors; nothing was imported.", n=len(report.errors)))
    teams = {t.name: t.id for t in db.session.scalars(select(Team))}
    created, passwords = [], {}
    try:
        for row in report.rows:
            password = row.password
            if not password:
                password = passwords[row.employee_no] = generate_temporary_password()
            user = User(password_hash=hash_password(password), must_change_password=True)
            _apply(user, UserData(
                employee_no=row.employee_no, name=row.name, email=row.email, role=row.role,
                team_id=teams.get(row.team) if row.team else None, hire_date=row.hire_date,
                tier=row.tier, ladder_level=row.ladder_level,
                cleared_for_live_on=row.cleared_for_live_on, locale=row.locale,
            ))
            db.session.add(user)
            created.append(user)
        db.session.flush()
        for user in created:
            record_audit(actor, "user.imported", "user", user.id, None, user_snapshot(user))
        record_audit(actor, "users.import", "import", None, None,
                     {"file": filename, "created": len(created)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(created=created, temporary_passwords=passwords)
