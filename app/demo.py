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


# --- quiz history ----------------------------------------------------------------

# How often each demo agent answers right: some strong, some weak, some improving.
SKILL = {"KF1003": 0.72, "KF1004": 0.8, "KF1005": 0.88, "KF1006": 0.55, "KF1007": 0.95, "KF1008": 0.85,
         "KF1009": 0.62, "KF2002": 0.7, "KF2003": 0.84, "KF2004": 0.93, "KF2005": 0.5, "KF2006": 0.66,
         "KF2007": 0.86, "KF2009": 0.74, "KF3001": 0.82, "KF3002": 0.94, "KF3003": 0.58, "KF3004": 0.69,
         "KF3005": 0.9, "KF3007": 0.77, "KF3008": 0.91, "KF1002": 0.6, "KF2008": 0.65}
CASE_ANSWER = ("先向客户致歉并表示理解，确认订单和诉求；说明目前能做的处理和原因，给出明确的下一步与时间，"
               "需要其他部门处理的提交工单并记录，约定回访时间，最后确认客户是否还有其他问题。")


def _answer(slot, rng, skill):
    """A plausible answer: right with probability `skill`, else a wrong one."""
    payload, kind = slot.question_version.payload, slot.question_version.type_key
    right = rng.random() < skill
    if kind == "single_choice":
        options = payload["options"]
        good = [i for i, o in enumerate(options) if o["fraction"] == 1]
        bad = [i for i, o in enumerate(options) if o["fraction"] < 1] or good
        return rng.choice(good if right else bad)
    if kind == "multiple_choice":
        good = [i for i, o in enumerate(payload["options"]) if o["fraction"] > 0]
        return good if right else good[:-1] or [0]
    if kind == "true_false":
        return payload["correct"] if right else not payload["correct"]
    if kind == "fill_blank":
        return payload["answers"][0]["text"] if right else "不确定"
    if kind == "numeric":
        return str(payload["answers"][0]["value"] + (0 if right else 7))
    if kind in ("ordering", "matching"):
        size = len(payload["items"] if kind == "ordering" else payload["pairs"])
        order = list(range(size))
        if not right:
            rng.shuffle(order)
        return order
    return CASE_ANSWER if right else "先安抚客户，再看情况处理。"


def seed_quiz_history(today: date | None = None) -> int:
    """Several months of attempts for every demo agent without any: monthly
    quizzes (some failed and retaken), the onboarding certification for
    people already live, one new hire who failed once, and a few case-exam
    answers waiting for a trainer. Returns the number of attempts made."""
    import random

    from app.quiz.models import Attempt, Quiz

    today = today or date.today()
    quizzes = {q.slug: q for q in db.session.scalars(select(Quiz).where(Quiz.status == "active"))}
    if "onboarding-certification" not in quizzes:
        return 0
    monthly = sorted(slug for slug in quizzes if slug.startswith("monthly-"))
    made = 0
    for number, skill in SKILL.items():
        user = db.session.scalar(select(User).where(User.employee_no == number))
        if user is None or db.session.scalar(select(Attempt.id).where(Attempt.user_id == user.id).limit(1)):
            continue
        rng = random.Random(f"demo:{number}")

        def take(quiz, when, level, user=user, rng=rng):
            return _take(user, quiz, when, level, rng)

        if user.tier == Tier.ONBOARDING:
            take(quizzes["onboarding-certification"], _at(today - timedelta(days=6)), 0.45)
            made += 1
            continue
        cleared = user.cleared_for_live_at or _at(today - timedelta(days=200))
        # The onboarding certification happened when the person went live; keep
        # the original clearance date.
        kept = user.cleared_for_live_at
        certification = take(quizzes["onboarding-certification"], cleared - timedelta(days=2), max(skill, 0.85))
        made += 1
        if not certification.passed:
            take(quizzes["onboarding-certification"], cleared - timedelta(days=1), 0.97)
            made += 1
        user.cleared_for_live_at = kept
        for months_ago in range(4, 0, -1):
            when = _at(today - timedelta(days=30 * months_ago))
            level = min(0.97, skill + (0.04 * (4 - months_ago) if number in ("KF1006", "KF2005") else 0))
            slug = monthly[(months_ago + len(number)) % len(monthly)]
            attempt = take(quizzes[slug], when, level)
            made += 1
            if not attempt.passed and (attempt.quiz.attempts_allowed or 2) > 1:
                take(quizzes[slug], when + timedelta(days=2), min(0.97, level + 0.15))
                made += 1
        if "quarterly-case-exam" in quizzes and number in ("KF1003", "KF2002", "KF3001", "KF3004"):
            take(quizzes["quarterly-case-exam"], _at(today - timedelta(days=3)), skill)
            made += 1
    db.session.commit()
    return made


def _take(user, quiz, when: datetime, level: float, rng):
    """One finished attempt as the agent would have made it at `when`."""
    from app.quiz.models import Assignment
    from app.quiz.services import finalise, may_take, save_response, start_attempt

    if not may_take(user, quiz):
        db.session.add(Assignment(quiz_id=quiz.id, user_id=user.id))
        db.session.commit()
    attempt = start_attempt(user, quiz, now=when)
    for slot in attempt.slots:
        save_response(attempt, slot.position, _answer(slot, rng, level), seq=1,
                      now=when + timedelta(seconds=40 * (slot.position + 1)))
    finalise(attempt, "agent", when + timedelta(minutes=15))
    return attempt


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)
