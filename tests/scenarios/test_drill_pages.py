"""The drill player through HTTP: start, resume, steps, double submits, bad
input, what the page shows before and after, debrief access, assignments."""

import re

import pytest
from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.quiz.models import Assignment
from app.scenarios.models import DrillRun
from tests.scenarios.samples import sync_samples

HX = {"HX-Request": "true"}


@pytest.fixture
def drill(app):
    return sync_samples()[0]


def start(client, drill) -> DrillRun:
    response = client.post_form(f"/scenarios/{drill.id}/run")
    assert response.status_code == 302
    run_id = int(re.search(r"/runs/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(DrillRun, run_id)


def shown_position(client, run, index: int) -> str:
    """The value of the button showing the file's choice `index` on the run page."""
    from app.scenarios.services import drill_spec

    run = db.session.get(DrillRun, run.id)
    text = drill_spec(run.version).nodes[run.state["node"]].choices[index].text
    page = client.get(f"/scenarios/runs/{run.id}").get_data(as_text=True)
    return re.search(r'name="choice" value="(\d+)" class="choice-button">' + re.escape(text) + "<", page).group(1)


def step(client, run, count, choice=None, **data):
    """Take a step; `choice` is the index in the file (mapped to the button shown)."""
    if choice is not None:
        data["choice"] = shown_position(client, run, int(choice))
    return client.post_form(f"/scenarios/runs/{run.id}/step", {"step": count, **data}, headers=HX)


def test_library_filters_and_preview(client, login_as, drill):
    login_as("agent")
    page = client.get("/scenarios/").get_data(as_text=True)
    assert "测试演练" in page and "测试角色扮演" in page
    filtered = client.get("/scenarios/?kind=drill&competency=emotion&situation=daily_inquiry&difficulty=1")
    assert "测试演练" in filtered.get_data(as_text=True) and "测试角色扮演" not in filtered.get_data(as_text=True)
    assert "测试演练" not in client.get("/scenarios/?situation=outage").get_data(as_text=True)
    assert client.get("/scenarios/?difficulty=abc&kind=<script>").status_code == 200
    assert client.get("/scenarios/?difficulty=²").status_code == 200
    preview = client.get(f"/scenarios/{drill.id}").get_data(as_text=True)
    assert "推给第三方" not in preview and "drill-outline" not in preview   # no spoilers for agents


def test_a_whole_run_with_a_reply_step_and_the_debrief(client, login_as, drill):
    agent = login_as("agent")
    run = start(client, drill)
    page = client.get(f"/scenarios/runs/{run.id}").get_data(as_text=True)
    assert "我的包裹到哪了？" in page and 'data-mood="anxious"' in page
    buttons = re.findall(r'name="choice" value="(\d+)" class="choice-button">([^<]+)<', page)
    assert [value for value, _ in buttons] == ["0", "1"]     # positions shown, not indexes in the file
    again = client.get(f"/scenarios/runs/{run.id}").get_data(as_text=True)
    assert re.findall(r'class="choice-button">([^<]+)<', again) == [text for _, text in buttons]  # stable
    # Choices are shown, their feedback and points are not.
    assert "您好，请提供订单号，我马上查。" in page and "先问候再收集信息" not in page and "推给第三方" not in page
    first = step(client, run, 0, choice="0")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "先问候再收集信息" in html and "reply-box" in html
    assert "抱歉让您久等" not in html and "不归我们管" not in html   # no model answer or rules before replying
    second = step(client, run, 1, reply="非常抱歉！包裹明天送到。")
    assert "drill-finished" in second.get_data(as_text=True)
    run = db.session.get(DrillRun, run.id)
    assert run.status == "finished" and run.ending == "resolved" and run.total == 6 and run.percent == 100
    assert run.user_id == agent.id and run.version.version == 1
    debrief = client.get(f"/scenarios/runs/{run.id}/debrief").get_data(as_text=True)
    assert "best-path" in debrief and "抱歉让您久等，包裹明天送到。" in debrief   # model answer revealed after
    assert re.search(r'class="rule-ok">✓\s*<strong>致歉</strong>[^<]*“抱歉”', debrief)
    # Replay starts a new run.
    again = start(client, drill)
    assert again.id != run.id and again.status == "in_progress"


def test_progress_survives_a_reload_and_the_run_resumes(client, login_as, drill):
    login_as("agent")
    run = start(client, drill)
    step(client, run, 0, choice="0")
    assert start(client, drill).id == run.id
    page = client.get(f"/scenarios/runs/{run.id}").get_data(as_text=True)
    assert "订单号 123，什么时候到？" in page and "reply-box" in page


def test_a_double_submit_changes_nothing(client, login_as, drill):
    login_as("agent")
    run = start(client, drill)
    first = shown_position(client, run, 0)
    client.post_form(f"/scenarios/runs/{run.id}/step", {"step": 0, "choice": first}, headers=HX)
    repeat = client.post_form(f"/scenarios/runs/{run.id}/step", {"step": 0, "choice": first}, headers=HX)
    assert repeat.status_code == 200 and "drill-notice" in repeat.get_data(as_text=True)
    run = db.session.get(DrillRun, run.id)
    assert run.step_count == 1 and len(run.steps) == 1 and run.steps[0]["text"] == "您好，请提供订单号，我马上查。"


@pytest.mark.parametrize("data, status", [
    ({"step": "0", "choice": "9"}, 422),
    ({"step": "0", "choice": "99999999999999999999"}, 422),
    ({"step": "0", "choice": "x"}, 422),
    ({"step": "0", "choice": "²"}, 422),
    ({"step": "²", "choice": "0"}, 400),
    ({"step": "0"}, 422),
    ({"step": "x", "choice": "0"}, 400),
    ({"choice": "0"}, 400),
])
def test_bad_choices_are_refused_without_changes(client, login_as, drill, data, status):  # raw posts
    login_as("agent")
    run = start(client, drill)
    response = client.post_form(f"/scenarios/runs/{run.id}/step", data, headers=HX)
    assert response.status_code == status
    assert db.session.get(DrillRun, run.id).step_count == 0


def test_an_empty_or_huge_reply_is_refused_and_the_draft_kept(client, login_as, drill):
    login_as("agent")
    run = start(client, drill)
    step(client, run, 0, choice="0")
    empty = step(client, run, 1, reply="   ")
    assert empty.status_code == 422
    huge = step(client, run, 1, reply="抱歉" * 1001)
    assert huge.status_code == 422 and "抱歉抱歉" in huge.get_data(as_text=True)
    assert db.session.get(DrillRun, run.id).step_count == 1


def test_without_htmx_a_step_redirects_to_the_run(client, login_as, drill):
    login_as("agent")
    run = start(client, drill)
    response = client.post_form(f"/scenarios/runs/{run.id}/step", {"step": 0, "choice": shown_position(client, run, 0)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/scenarios/runs/{run.id}")


def test_runs_are_private_and_debriefs_follow_the_team_scope(client, login_as, make_user, make_team, drill):
    team, other = make_team(), make_team()
    owner = make_user("agent", team=team)
    login_as(user=owner)
    run = start(client, drill)
    step(client, run, 0, choice="0")
    step(client, run, 1, reply="抱歉，明天到。")
    for intruder in (make_user("agent", team=team), make_user("trainer")):
        login_as(user=intruder)
        assert client.get(f"/scenarios/runs/{run.id}").status_code == 404
        assert step(client, run, 2, reply="抱歉").status_code == 404
    login_as(user=make_user("agent", team=team))
    assert client.get(f"/scenarios/runs/{run.id}/debrief").status_code == 404
    login_as("manager", team=other)
    assert client.get(f"/scenarios/runs/{run.id}/debrief").status_code == 404
    login_as("manager", team=team)
    assert client.get(f"/scenarios/runs/{run.id}/debrief").status_code == 200
    login_as("trainer")
    assert client.get(f"/scenarios/runs/{run.id}/debrief").status_code == 200


def test_staff_assign_a_drill_and_the_agent_sees_it(client, login_as, make_user, make_team, drill):
    team = make_team()
    agent = make_user("agent", team=team)
    login_as("manager", team=team)
    form = client.get(f"/scenarios/{drill.id}/assign")
    assert form.status_code == 200
    refused = client.post_form(f"/scenarios/{drill.id}/assign", {"employee_nos": "NOPE1"})
    assert "NOPE1" in refused.get_data(as_text=True)
    done = client.post_form(f"/scenarios/{drill.id}/assign", {"employee_nos": agent.employee_no,
                                                              "due_on": "2026-12-31"})
    assert done.status_code == 302
    assignment = db.session.scalar(select(Assignment).where(Assignment.scenario_id == drill.id))
    assert assignment.user_id == agent.id and assignment.quiz_id is None
    login_as(user=agent)
    page = client.get("/scenarios/").get_data(as_text=True)
    assert "assigned-drills" in page and "测试演练" in page
    # The quiz pages ignore drill assignments.
    assert client.get("/quizzes/").status_code == 200


def test_the_profile_lists_finished_runs_for_the_person_and_their_manager(client, login_as, make_user, make_team,
                                                                          drill):
    team = make_team()
    agent = make_user("agent", team=team)
    login_as(user=agent)
    run = start(client, drill)
    step(client, run, 0, choice="0")
    step(client, run, 1, reply="抱歉，明天到。")
    with client.application.test_request_context():
        profile = url_for("dashboard.person", user_id=agent.id)
    own = client.get(profile).get_data(as_text=True)
    assert 'data-testid="practice"' in own and f"/scenarios/runs/{run.id}/debrief" in own
    login_as("manager", team=team)
    assert f"/scenarios/runs/{run.id}/debrief" in client.get(profile).get_data(as_text=True)
    login_as("manager", team=make_team())
    assert client.get(profile).status_code == 404
