"""The demo organisation: an admin, a trainer, two managers, three teams and
26 agents across every tier. Idempotent: people and teams are matched by
employee number and team name, and only what is missing is created, so a
demo account someone changed is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import LadderLevel, Role, Team, Tier, User
from app.auth.services import hash_password
from app.extensions import db

DEMO_PASSWORD = "agentpath-demo"

TEAMS = [
    ("售前咨询组", "负责商品咨询、下单前疑问与活动规则解答。", ["M001"]),
    ("售后服务组", "负责退换货、退款进度与物流异常处理。", ["M001", "M002"]),
    ("投诉处理组", "负责升级投诉、安抚情绪与跨部门协调。", ["M002"]),
]

STAFF = [
    ("A001", "系统管理员", Role.ADMIN, None),
    ("T001", "钱思雨", Role.TRAINER, None),
    ("M001", "郑浩然", Role.MANAGER, None),
    ("M002", "冯雅琴", Role.MANAGER, None),
]

# employee no, name, team, tier, ladder level, months since hire
AGENTS = [
    ("KF1001", "林晓雯", "售前咨询组", Tier.ONBOARDING, LadderLevel.SPECIALIST, 0),
    ("KF1002", "陈嘉豪", "售前咨询组", Tier.ONBOARDING, LadderLevel.SPECIALIST, 1),
    ("KF1003", "黄诗涵", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 8),
    ("KF1004", "吴俊杰", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 14),
    ("KF1005", "刘芷若", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SENIOR, 26),
    ("KF1006", "赵一鸣", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 19),
    ("KF1007", "孙悦彤", "售前咨询组", Tier.ELITE, LadderLevel.EXPERT, 45),
    ("KF1008", "周子轩", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SENIOR, 31),
    ("KF1009", "徐梦洁", "售前咨询组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 5),
    ("KF2001", "马天宇", "售后服务组", Tier.ONBOARDING, LadderLevel.SPECIALIST, 0),
    ("KF2002", "胡欣怡", "售后服务组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 11),
    ("KF2003", "朱文博", "售后服务组", Tier.IN_SERVICE, LadderLevel.SENIOR, 28),
    ("KF2004", "高婉清", "售后服务组", Tier.ELITE, LadderLevel.EXPERT, 52),
    ("KF2005", "林浩宇", "售后服务组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 16),
    ("KF2006", "何静怡", "售后服务组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 7),
    ("KF2007", "罗子涵", "售后服务组", Tier.IN_SERVICE, LadderLevel.SENIOR, 35),
    ("KF2008", "梁思远", "售后服务组", Tier.ONBOARDING, LadderLevel.SPECIALIST, 1),
    ("KF2009", "宋雨桐", "售后服务组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 21),
    ("KF3001", "谢明轩", "投诉处理组", Tier.IN_SERVICE, LadderLevel.SENIOR, 24),
    ("KF3002", "唐语嫣", "投诉处理组", Tier.ELITE, LadderLevel.EXPERT, 60),
    ("KF3003", "韩志强", "投诉处理组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 13),
    ("KF3004", "曹佳琪", "投诉处理组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 9),
    ("KF3005", "彭宇航", "投诉处理组", Tier.ELITE, LadderLevel.SENIOR, 40),
    ("KF3006", "邓可欣", "投诉处理组", Tier.ONBOARDING, LadderLevel.SPECIALIST, 0),
    ("KF3007", "许博文", "投诉处理组", Tier.IN_SERVICE, LadderLevel.SPECIALIST, 17),
    ("KF3008", "蒋晓萌", "投诉处理组", Tier.ELITE, LadderLevel.EXPERT, 48),
]


@dataclass
class SeedResult:
    created_users: int
    created_teams: int
    logins: list[tuple[str, str, str]]


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


def seed_demo(today: date | None = None) -> SeedResult:
    today = today or date.today()
    password_hash = hash_password(DEMO_PASSWORD)
    existing = {u.employee_no: u for u in db.session.scalars(select(User))}
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    created_users = created_teams = 0

    for number, name, role, _team in STAFF:
        if number not in existing:
            existing[number] = User(
                employee_no=number, name=name, role=role.value, password_hash=password_hash,
                email=f"{number.lower()}@demo.agentpath.local", tier=Tier.IN_SERVICE.value,
                ladder_level=LadderLevel.MANAGER.value if role == Role.MANAGER else LadderLevel.EXPERT.value,
                hire_date=_months_ago(today, 60),
            )
            db.session.add(existing[number])
            created_users += 1

    for team_name, description, manager_numbers in TEAMS:
        if team_name not in teams:
            teams[team_name] = Team(name=team_name, description=description,
                                    managers=[existing[n] for n in manager_numbers])
            db.session.add(teams[team_name])
            created_teams += 1

    for number, name, team_name, tier, level, months in AGENTS:
        if number in existing:
            continue
        hired = _months_ago(today, months)
        cleared = None
        if tier != Tier.ONBOARDING:
            cleared = datetime.combine(hired + timedelta(days=21), time(9, 0), tzinfo=UTC)
        db.session.add(User(
            employee_no=number, name=name, role=Role.AGENT.value, team=teams[team_name],
            password_hash=password_hash, hire_date=hired, tier=tier.value,
            ladder_level=level.value, cleared_for_live_at=cleared,
        ))
        created_users += 1

    db.session.commit()
    logins = [(n, name, role.value) for n, name, role, _ in STAFF]
    logins += [("KF1003", "黄诗涵", "agent"), ("KF1001", "林晓雯", "agent (onboarding)")]
    return SeedResult(created_users, created_teams, logins)
