"""Demo history for the scenario library: drill runs played through the real
engine, drill assignments, closed role-play sessions scored by several
raters (the same two supervisors across a team, so agreement can be shown)
and one open session waiting for sheets. Idempotent: does nothing once any
run or session exists, or when the content is not loaded."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from app.auth.models import Team, Tier, User
from app.extensions import db
from app.quiz.models import Assignment
from app.scenarios import services
from app.scenarios.models import DrillRun, RoleplayRater, RoleplaySession, Scenario

WEAK_REPLY = "好的，我这边帮您看一下，请您稍等，有结果会告诉您的。"
COMMENTS = {
    "high": ["开场自然，先复述了客户的诉求再给方案，节奏把握得好。", "给出的时间和跟进人都很具体，客户没有追问的余地。"],
    "mid": ["共情做到了，但方案说得有些笼统，可以直接给出时间点。", "中间有一次打断客户，注意先听完再回应。"],
    "low": ["客户第二次追问时还在解释流程，没有回应情绪。", "结束前没有确认客户是否还有其他问题，也没有约定回访。"],
}


def _when(day: date, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(14, 0), tzinfo=UTC) + timedelta(minutes=minutes)


def _play(user: User, scenario: Scenario, skill: float, rng: random.Random, day: date) -> DrillRun:
    run = services.start_run(user, scenario)
    spec = services.drill_spec(run.version)
    for count in range(40):
        if run.status != "in_progress":
            break
        node = spec.nodes[services.drills.RunState.from_json(run.state).node]
        if node.reply is not None:
            good = rng.random() < skill and node.reply.model_answer
            services.take_step(run, count, reply=node.reply.model_answer if good else WEAK_REPLY)
            continue
        ranked = sorted(range(len(node.choices)), key=lambda i: -sum(node.choices[i].points.values()))
        pick = ranked[0] if rng.random() < skill or count > 20 else rng.randrange(len(node.choices))
        services.take_step(run, count, choice=pick)
    db.session.execute(update(DrillRun).where(DrillRun.id == run.id).values(
        started_at=_when(day), finished_at=_when(day, 6) if run.status == "finished" else None))
    return run


def _level(criterion, quality: float, bias: float, rng: random.Random) -> int | None:
    """What one rater gives: the agent's true quality on this criterion, the
    rater's habitual leniency, a little noise."""
    if criterion.allow_na and rng.random() < 0.1:
        return None
    top = len(criterion.levels) - 1
    value = round(top * min(1.0, max(0.0, quality + bias + rng.gauss(0, 0.07))))
    if criterion.critical:
        value = max(value, 1)          # nobody in the demo leaks data
    return max(0, min(top, value))


def seed_scenario_history(today: date | None = None) -> tuple[int, int]:
    """Returns (drill runs, role-play sessions) created."""
    from app.demo import SKILL

    today = today or date.today()
    drills = {s.slug: s for s in db.session.scalars(select(Scenario).where(
        Scenario.kind == "drill", Scenario.status == "active"))}
    cards = {s.slug: s for s in db.session.scalars(select(Scenario).where(
        Scenario.kind == "roleplay", Scenario.status == "active"))}
    if not drills or not cards or db.session.scalar(select(DrillRun.id).limit(1)) \
            or db.session.scalar(select(RoleplaySession.id).limit(1)):
        return 0, 0
    people = {u.employee_no: u for u in db.session.scalars(select(User))}
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    trainer, m1, m2 = people.get("T001"), people.get("M001"), people.get("M002")
    if not (trainer and m1 and m2):
        return 0, 0

    if "order-status" in drills and "售前咨询组" in teams:
        db.session.add(Assignment(scenario_id=drills["order-status"].id, team_id=teams["售前咨询组"].id,
                                  due_on=today + timedelta(days=7), created_by_id=m1.id))
    if "identity-change" in drills:
        db.session.add(Assignment(scenario_id=drills["identity-change"].id, tier=Tier.ONBOARDING.value,
                                  created_by_id=trainer.id))
    db.session.commit()

    runs = 0
    slugs = sorted(drills)
    for number, skill in sorted(SKILL.items()):
        user = people.get(number)
        if user is None:
            continue
        rng = random.Random(f"drills:{number}")
        for k, slug in enumerate(rng.sample(slugs, 3)):
            day = today - timedelta(days=40 - 12 * k)
            _play(user, drills[slug], skill - 0.1, rng, day)
            runs += 1
            if rng.random() < 0.5:       # a second go, usually better
                _play(user, drills[slug], min(0.98, skill + 0.1), rng, day + timedelta(days=2))
                runs += 1

    sessions = 0
    plan = [  # (card, agent, observers, days ago, customer player)
        ("vip-complaint", "KF2002", ["M001", "T001", "KF2003"], 20, "KF2007"),
        ("vip-complaint", "KF2005", ["M001", "T001", "KF2009"], 20, "KF2003"),
        ("angry-callback", "KF2006", ["M001", "T001", "KF2007"], 13, "KF2009"),
        ("angry-callback", "KF2009", ["M001", "T001", "KF2006"], 13, "KF2002"),
        ("custom-request", "KF2003", ["M001", "T001"], 6, "KF2005"),
        ("outage-callcentre", "KF3003", ["M002", "KF3001", "KF3005"], 9, "KF3007"),
        ("outage-callcentre", "KF3004", ["M002", "KF3002"], 9, "KF3007"),
    ]
    bias = {"M001": 0.0, "T001": -0.05, "M002": 0.02}
    for slug, agent_no, observer_nos, days_ago, player_no in plan:
        if slug not in cards or agent_no not in people:
            continue
        held = today - timedelta(days=days_ago)
        session = services.create_session(m1 if people[agent_no].team.name == "售后服务组" else m2, cards[slug],
                                          people[agent_no], [people[n] for n in observer_nos], held,
                                          people.get(player_no))
        criteria = services.rubric_criteria(session.rubric_version)
        rng = random.Random(f"roleplay:{slug}:{agent_no}")
        skill = SKILL.get(agent_no, 0.7)
        strengths = {c.code: skill + rng.gauss(0, 0.2) for c in criteria}   # what this agent does well or not
        for number in observer_nos:
            ratings = {c.code: _level(c, strengths[c.code], bias.get(number, 0.06), rng) for c in criteria}
            tier = "high" if skill >= 0.8 else "mid" if skill >= 0.65 else "low"
            services.submit_sheet(session, people[number], ratings, rng.choice(COMMENTS[tier]))
        db.session.execute(update(RoleplayRater).where(RoleplayRater.session_id == session.id).values(
            submitted_at=_when(held, 30)))
        services.close_session(session, session.created_by, "整体表现稳定；下次重点练习在客户打断时先回应情绪再给方案。"
                               if skill >= 0.7 else "先把共情和确认需求练扎实，方案要给出具体的时间和负责人。")
        db.session.execute(update(RoleplaySession).where(RoleplaySession.id == session.id).values(
            created_at=_when(held), closed_at=_when(held, 45)))
        sessions += 1
    if "vip-complaint" in cards and {"KF3001", "KF3008", "KF3002"} <= people.keys():
        waiting = services.create_session(m2, cards["vip-complaint"], people["KF3001"],
                                          [m2, people["KF3008"]], today, people["KF3002"])
        criteria = services.rubric_criteria(waiting.rubric_version)
        rng = random.Random("roleplay:open")
        services.submit_sheet(waiting, people["KF3008"],
                              {c.code: _level(c, 0.82 + rng.gauss(0, 0.15), 0.05, rng) for c in criteria},
                              "安抚到位，补偿方案可以更早提出。")
        sessions += 1
    db.session.commit()
    return runs, sessions
