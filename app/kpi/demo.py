"""Twelve months of demo KPI, written as the files a manager would export —
one GBK CSV per month with Chinese headers and a row per agent per day, and
a monthly QA sample file — and loaded through the real importer. Some
agents improve, some decline, new hires have too few contacts to count.
Idempotent: does nothing once any KPI value exists."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, Tier, User
from app.extensions import db
from app.kpi.catalogue import seed_catalogue
from app.kpi.files import read_table
from app.kpi.importer import commit_import, file_hash, plan_import, suggest_mapping
from app.kpi.models import KpiValue

IMPROVING = {"KF1006", "KF2005", "KF3004"}
DECLINING = {"KF1009", "KF3003"}
HEADER = "工号,姓名,日期,接待人数,客户满意度,首次解决率,问题解决率,首次响应(秒),平均响应(秒),平均接待时长,投诉率,重复咨询率"


def _months(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return list(reversed(out))


def _skill(agent: User, base: float, index: int, count: int) -> float:
    drift = (index - (count - 1)) / (count - 1)          # −1 for the oldest month … 0 for the latest
    if agent.employee_no in IMPROVING:
        return min(0.97, base + 0.1 + 0.25 * drift)       # base − 0.15 → base + 0.1
    if agent.employee_no in DECLINING:
        return max(0.35, base - 0.15 - 0.25 * drift)      # base + 0.1 → base − 0.15
    return base


def _day_row(agent: User, day: date, skill: float, contacts: int, rng: random.Random, fractions: bool) -> str:
    noise = rng.gauss(0, 0.03)
    level = max(0.0, min(1.0, skill + noise))
    csat = 72 + 26 * level
    fcr = 70 + 27 * level
    resolution = 80 + 19 * level
    first_response = max(5, 60 - 48 * level + rng.gauss(0, 3))
    avg_response = max(12, 75 - 45 * level + rng.gauss(0, 4))
    handle = int(max(150, 560 - 300 * level + rng.gauss(0, 25)))
    complaint = max(0.0, 2.6 - 2.4 * level + rng.gauss(0, 0.2))
    repeat = max(0.0, 14 - 11 * level + rng.gauss(0, 1))
    # The formats real exports use: some months give rates as fractions, some as percentages.
    csat_cell = f"{csat / 100:.3f}" if fractions else f"{csat:.1f}%"
    return ",".join([
        agent.employee_no, agent.name, day.isoformat() if day.day % 3 else day.strftime("%Y/%m/%d"), str(contacts),
        csat_cell, f"{fcr:.1f}%", f"{resolution:.1f}%", f"{first_response:.0f}", f"{avg_response:.0f}",
        f"00:{handle // 60:02d}:{handle % 60:02d}", f"{complaint:.2f}%", f"{repeat:.1f}%"])


def demo_files(today: date | None = None, months: int = 12) -> list[tuple[str, bytes]]:
    """(file name, bytes) for each month, oldest first, then the QA file."""
    from app.demo import SKILL

    today = today or date.today()
    agents = list(db.session.scalars(select(User).where(User.role == Role.AGENT.value, User.is_active)
                                     .order_by(User.employee_no)))
    month_list = _months(today, months)
    files, qa_lines = [], ["工号,月份,指标,数值,样本数"]
    for index, first in enumerate(month_list):
        lines = [HEADER]
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        for agent in agents:
            rng = random.Random(f"kpi:{agent.employee_no}:{first.isoformat()}")
            hired = agent.hire_date or date(2020, 1, 1)
            if hired > last:
                continue
            new_hire = agent.tier == Tier.ONBOARDING
            skill = _skill(agent, SKILL.get(agent.employee_no, 0.7), index, months)
            day = max(first, hired)
            while day <= last:
                if day.weekday() < 6:                         # six working days a week
                    contacts = rng.randint(0, 2) if new_hire else rng.randint(18, 42)
                    lines.append(_day_row(agent, day, skill, contacts, rng, fractions=index % 2 == 1))
                day += timedelta(days=1)
            samples = 2 if new_hire else 8
            passed = sum(1 for _ in range(samples) if rng.random() < 0.55 + 0.45 * skill)
            qa_lines.append(f"{agent.employee_no},{first.strftime('%Y-%m')},质检合格率,"
                            f"{100 * passed / samples:.1f}%,{samples}")
        lines.append("汇总,,,,,,,,,,,")
        name = f"客服绩效日报_{first.isoformat()}至{last.isoformat()}.csv"
        files.append((name, ("\n".join(lines) + "\n").encode("gb18030")))
    files.append(("质检抽检结果.csv", ("\n".join(qa_lines) + "\n").encode("utf-8-sig")))
    return files


def seed_kpi_history(today: date | None = None) -> int:
    """Import the demo files; returns how many values were stored."""
    seed_catalogue()
    if db.session.scalar(select(KpiValue.id).limit(1)) is not None:
        return 0
    stored = 0
    for name, data in demo_files(today):
        table = read_table(name, data)
        mapping, _unmapped = suggest_mapping(table.headers)
        preview = plan_import(table, mapping)
        if preview.error_count:
            raise RuntimeError(f"demo KPI file {name}: {preview.errors[:3]}")
        result = commit_import(preview, None, source="demo", filename=name, digest=file_hash(data), mapping=mapping)
        stored += result.added + result.replaced
    return stored
