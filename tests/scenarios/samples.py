"""Small scenario content for tests, built in memory (the shipped files are
tested in test_shipped_content.py)."""

from __future__ import annotations

import textwrap

import yaml

from app.scenarios.content import LoadedContent, LoadedRubric, LoadedScenario
from app.scenarios.drills import maximum
from app.scenarios.schema import DrillSpec, RoleplaySpec, RubricSpec

RUBRIC = textwrap.dedent("""
    id: test-sheet
    kind: observation
    title_zh: 测试观察表
    title_en: Test sheet
    criteria:
      - code: greet
        label_zh: 问候
        label_en: Greeting
        competency: communication
        weight: 1
        levels: [{points: 0, zh: 无, en: none}, {points: 2, zh: 有, en: present}]
      - code: solve
        label_zh: 解决
        label_en: Solving
        competency: problem_solving
        weight: 3
        allow_na: true
        levels: [{points: 0, zh: 无, en: none}, {points: 1, zh: 部分, en: part}, {points: 2, zh: 完整, en: full}]
      - code: privacy
        label_zh: 隐私
        label_en: Privacy
        competency: compliance
        weight: 1
        critical: true
        levels: [{points: 0, zh: 泄露, en: leaked}, {points: 1, zh: 合规, en: compliant}]
""")

DRILL = textwrap.dedent("""
    id: test-drill
    title_zh: 测试演练
    title_en: Test drill
    summary_zh: 一个用于测试的小演练
    summary_en: A small drill for tests
    situation: daily_inquiry
    difficulty: 1
    competencies: [communication, emotion]
    start: open
    nodes:
      open:
        emotion: anxious
        customer: 我的包裹到哪了？
        choices:
          - text: 您好，请提供订单号，我马上查。
            points: {communication: 2}
            mood: -1
            feedback: 先问候再收集信息。
            next: reply
          - text: 去问快递。
            points: {communication: -1}
            mood: 2
            feedback: 推给第三方。
            next:
              - if: {mood_at_least: angry}
                to: lost
              - to: reply
      reply:
        customer: 订单号 123，什么时候到？
        reply:
          prompt: 致歉并给出时间
          min_chars: 6
          max_chars: 200
          required:
            - code: apology
              label: 致歉
              any: [抱歉, 不好意思]
              competency: emotion
              points: 2
              missing: 先致歉。
            - code: time
              label: 时间
              any: [今天, 明天]
              patterns: ['\\d+(小时|天)']
              competency: communication
              points: 1
          forbidden:
            - code: blame
              label: 推卸
              any: [不归我们管]
              penalty: -2
          next: done
          next_if_failed: open
          mood_if_failed: 1
          model_answer: 抱歉让您久等，包裹明天送到。
      done:
        ending: resolved
        emotion: calm
        customer: 谢谢。
        points: {communication: 1}
      lost:
        ending: lost
        emotion: angry
        customer: 算了。
""")

ROLEPLAY = textwrap.dedent("""
    id: test-roleplay
    title_zh: 测试角色扮演
    title_en: Test role-play
    situation: complaint_escalation
    difficulty: 3
    competencies: [emotion]
    rubric: test-sheet
    customer_brief:
      persona: 老客户
      situation: 退款迟迟未到
      hidden_facts: [银行卡已注销]
      mood: 被敷衍时更生气
      opening_line: 我的退款呢？
    agent_brief:
      situation: 退款显示已原路退回
      goal: 查清原因并给出时间
      resources: [退款查询工具]
""")


def drill_spec(text: str = DRILL) -> DrillSpec:
    return DrillSpec.model_validate(yaml.safe_load(text))


def content(drill: str = DRILL, rubric: str = RUBRIC, roleplay: str = ROLEPLAY) -> LoadedContent:
    spec = drill_spec(drill)
    best = maximum(spec)
    return LoadedContent(
        rubrics=[LoadedRubric(RubricSpec.model_validate(yaml.safe_load(rubric)), "scenarios/rubrics/test.yaml")],
        scenarios=[LoadedScenario(spec, "scenarios/drills/test.yaml", best.total, best.competencies),
                   LoadedScenario(RoleplaySpec.model_validate(yaml.safe_load(roleplay)),
                                  "scenarios/roleplays/test.yaml")])


def sync_samples():
    """Load the samples into the database; returns (drill, roleplay, rubric) rows."""
    from sqlalchemy import select

    from app.extensions import db
    from app.scenarios.models import Rubric, Scenario
    from app.scenarios.services import sync_content

    sync_content(content())
    drill = db.session.scalar(select(Scenario).where(Scenario.slug == "test-drill"))
    roleplay = db.session.scalar(select(Scenario).where(Scenario.slug == "test-roleplay"))
    rubric = db.session.scalar(select(Rubric).where(Rubric.slug == "test-sheet"))
    return drill, roleplay, rubric
