"""scenarios/ as files: the shipped content, error reports, syncing and versions."""

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scenarios import drills
from app.scenarios.content import load_scenarios
from app.scenarios.models import DrillRun, Scenario
from app.scenarios.schema import SITUATIONS
from app.scenarios.services import start_run, sync_content, take_step
from tests.scenarios import samples

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_shipped_content_loads_without_errors_and_covers_the_library():
    loaded = load_scenarios(SHIPPED)
    assert [str(e) for e in loaded.errors] == []
    assert {r.spec.id for r in loaded.rubrics} >= {"roleplay-observation", "chat-qa", "call-qa"}
    drill_specs = [s.spec for s in loaded.scenarios if s.spec.kind == "drill"]
    roleplays = [s.spec for s in loaded.scenarios if s.spec.kind == "roleplay"]
    assert len(loaded.scenarios) >= 12
    assert len(drill_specs) >= 8
    assert sum(1 for d in drill_specs if any(n.reply for n in d.nodes.values())) >= 4
    assert len(roleplays) >= 4
    assert {s.spec.situation for s in loaded.scenarios} == set(SITUATIONS)
    assert all(r.rubric == "roleplay-observation" for r in roleplays)


def test_every_shipped_drill_is_winnable_and_its_best_path_resolves():
    for loaded in load_scenarios(SHIPPED).scenarios:
        if loaded.spec.kind != "drill":
            continue
        best = drills.maximum(loaded.spec)
        assert best.total > 0, loaded.spec.id
        assert best.path.ending == "resolved", loaded.spec.id
        assert {node.ending for node in loaded.spec.nodes.values()} >= {"resolved", "lost"}, loaded.spec.id


def write(root: Path, folder: str, name: str, text: str) -> None:
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_errors_name_the_file_the_line_and_the_node(tmp_path):
    root = tmp_path / "scenarios"
    write(root, "drills", "broken.yaml", samples.DRILL.replace("next: done", "next: finished"))
    write(root, "drills", "island.yaml", samples.DRILL.replace("id: test-drill", "id: island") + textwrap.indent(
        textwrap.dedent("""
        island:
          choices: [{text: 回来, next: done}]
        """), "  "))
    loaded = load_scenarios(root)
    lines = samples.DRILL.splitlines()
    reply_line = next(i for i, line in enumerate(lines) if line.strip() == "reply:") + 1
    done_line = next(i for i, line in enumerate(lines) if line.strip() == "done:") + 1
    island_line = len(lines) + 2
    assert [str(e) for e in loaded.errors] == [
        f"scenarios/drills/broken.yaml:{reply_line}: reply: reply goes to unknown node finished",
        f"scenarios/drills/broken.yaml:{done_line}: done: unreachable: no route from the start node leads here",
        f"scenarios/drills/island.yaml:{island_line}: island: unreachable: no route from the start node leads here",
    ]
    assert loaded.scenarios == []


def test_schema_errors_point_at_the_field_and_roleplays_need_a_known_rubric(tmp_path):
    root = tmp_path / "scenarios"
    write(root, "drills", "bad.yaml", samples.DRILL.replace("emotion: anxious", "emotion: furious"))
    write(root, "roleplays", "card.yaml", samples.ROLEPLAY)
    errors = [str(e) for e in load_scenarios(root).errors]
    line = next(i for i, text in enumerate(samples.DRILL.splitlines()) if "emotion: anxious" in text) + 1
    assert errors[0].startswith(f"scenarios/drills/bad.yaml:{line}: nodes.open.emotion: Input should be 'calm'")
    assert errors[1] == "scenarios/roleplays/card.yaml:8: rubric: no rubric test-sheet in rubrics/"


def test_content_sync_check_reports_and_loads_nothing(app, runner, tmp_path):
    root = tmp_path / "scenarios"
    write(root, "drills", "broken.yaml", samples.DRILL.replace("next: done", "next: finished"))
    app.config["SCENARIOS_DIR"] = str(root)
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "unknown node finished" in result.output
    assert db.session.scalar(select(Scenario)) is None


def test_sync_is_idempotent_versions_changes_and_retires(app, make_user):
    first = sync_content(samples.content())
    assert first["rubrics_added"] == 1 and first["scenarios_added"] == 2
    assert sync_content(samples.content())["unchanged"] == 3
    drill = db.session.scalar(select(Scenario).where(Scenario.slug == "test-drill"))
    agent = make_user("agent")
    run = start_run(agent, drill)
    take_step(run, 0, choice=0)
    changed = samples.DRILL.replace("我的包裹到哪了？", "我的快递到哪了？")
    counts = sync_content(samples.content(drill=changed))
    assert counts["scenarios_new_version"] == 1
    db.session.refresh(drill)
    assert [v.version for v in drill.versions] == [1, 2] and drill.current_version.version == 2
    run = db.session.get(DrillRun, run.id)
    assert run.version.version == 1                      # the run keeps the version it started on
    assert start_run(agent, drill).id == run.id          # and resumes on it
    content = samples.content()
    content.scenarios = [s for s in content.scenarios if s.spec.id != "test-roleplay"]
    assert sync_content(content)["retired"] == 1
    assert db.session.scalar(select(Scenario.status).where(Scenario.slug == "test-roleplay")) == "retired"


def test_numbers_in_rubrics_and_drills_must_be_finite(tmp_path):
    root = tmp_path / "scenarios"
    write(root, "rubrics", "sheet.yaml", samples.RUBRIC.replace("weight: 3", "weight: .nan"))
    write(root, "drills", "drill.yaml", samples.DRILL.replace("points: {communication: 2}",
                                                              "points: {communication: .inf}"))
    errors = load_scenarios(root).errors
    rubric_line = next(i for i, text in enumerate(samples.RUBRIC.splitlines()) if "weight: 3" in text) + 1
    drill_line = next(i for i, text in enumerate(samples.DRILL.splitlines()) if "communication: 2}" in text) + 1
    assert [(e.path, e.line, e.field) for e in errors] == [
        ("scenarios/rubrics/sheet.yaml", rubric_line, "criteria.1.weight"),
        ("scenarios/drills/drill.yaml", drill_line, "nodes.open.choices.0.points.communication")]
    assert all("finite" in e.message for e in errors)


@pytest.mark.parametrize("points", ["1e308", "-1e308", "101"])
def test_choice_points_stay_within_a_hundred(tmp_path, points):
    root = tmp_path / "scenarios"
    write(root, "drills", "drill.yaml", samples.DRILL.replace("points: {communication: 2}",
                                                              f"points: {{communication: {points}}}"))
    errors = load_scenarios(root).errors
    assert [e.field for e in errors] == ["nodes.open.choices.0.points.communication"]
