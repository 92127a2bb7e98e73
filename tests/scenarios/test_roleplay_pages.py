"""Live role-play sessions through HTTP: who may set one up, blind sheets,
double submits, bad sheets, closing, what the agent sees, agreement."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scenarios.models import RoleplayRater, RoleplaySession
from app.scenarios.services import create_session, submit_sheet
from tests.scenarios.samples import sync_samples

# Level indexes of the sample sheet: greet 0–1 (0/2 pts), solve 0–2 or "na" (0/1/2), privacy 0–1 (critical).
FULL = {"c_greet": "1", "c_solve": "2", "c_privacy": "1"}
HALF = {"c_greet": "0", "c_solve": "1", "c_privacy": "1"}


@pytest.fixture
def world(app, make_user, make_team):
    _, roleplay, rubric = sync_samples()
    team = make_team()
    manager = make_user("manager")
    team.managers.append(manager)
    db.session.commit()
    people = {
        "agent": make_user("agent", team=team, name="被评坐席"),
        "peer": make_user("agent", team=team, name="同组同事"),
        "peer2": make_user("agent", team=team, name="另一同事"),
        "outsider": make_user("agent", team=make_team(), name="外组坐席"),
        "manager": manager,
        "trainer": make_user("trainer", name="培训师"),
    }
    return roleplay, rubric, team, people


def new_session(world, observers=("trainer", "peer"), creator="manager") -> RoleplaySession:
    roleplay, _, _, people = world
    return create_session(people[creator], roleplay, people["agent"], [people[o] for o in observers],
                          date(2026, 12, 1), people["peer2"])


def sheet(client, session, data, comment=""):
    return client.post_form(f"/scenarios/roleplays/{session.id}/sheet", {**data, "comment": comment})


def test_a_manager_sets_up_a_session_in_the_browser(client, login_as, world):
    roleplay, _, _, people = world
    login_as(user=people["manager"])
    assert client.get(f"/scenarios/roleplays/new?scenario={roleplay.id}").status_code == 200
    response = client.post_form("/scenarios/roleplays/new", {
        "scenario_id": roleplay.id, "agent": people["agent"].employee_no,
        "observers": f"{people['trainer'].employee_no}，{people['peer'].employee_no}",
        "customer_player": people["peer2"].employee_no, "held_on": "2026-12-01", "supervisor_weight": "3"})
    assert response.status_code == 302
    session = db.session.scalar(select(RoleplaySession))
    assert session.agent_id == people["agent"].id and session.supervisor_weight == 3
    assert {(r.user_id, r.is_supervisor) for r in session.raters} == {(people["trainer"].id, True),
                                                                       (people["peer"].id, False)}


@pytest.mark.parametrize("creator, fields, message", [
    ("manager", {"agent": "outsider"}, "agents in your own team"),
    ("peer", {"agent": "outsider"}, "agents in your own team"),
    ("manager", {"observers": "outsider"}, "teammates"),
    ("manager", {"observers": "agent"}, "cannot observe"),
    ("manager", {"agent": "trainer"}, "Only an active agent"),
    ("manager", {"observers": "NOBODY9"}, "NOBODY9"),
])
def test_who_may_be_set_up_is_checked_on_the_server(client, login_as, world, creator, fields, message):
    roleplay, _, _, people = world
    people[creator].locale = "en"      # the messages are checked in English
    db.session.commit()
    login_as(user=people[creator])
    data = {"scenario_id": roleplay.id, "agent": "agent", "observers": "peer", "held_on": "2026-12-01"}
    data.update(fields)
    for key in ("agent", "observers"):
        data[key] = people[data[key]].employee_no if data[key] in people else data[key]
    response = client.post_form("/scenarios/roleplays/new", data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(RoleplaySession)) is None


def test_peers_set_up_sessions_for_their_own_team(client, login_as, world):
    roleplay, _, _, people = world
    login_as(user=people["peer"])
    response = client.post_form("/scenarios/roleplays/new", {
        "scenario_id": roleplay.id, "agent": people["agent"].employee_no,
        "observers": f"{people['peer'].employee_no},{people['peer2'].employee_no}", "held_on": "2026-12-01"})
    assert response.status_code == 302
    assert db.session.scalar(select(RoleplaySession)).created_by_id == people["peer"].id


def test_scoring_is_blind_until_ones_own_sheet_is_in(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["trainer"])
    assert sheet(client, session, FULL, "开场很好").status_code == 302
    login_as(user=people["peer"])
    before = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert "sheet-form" in before and "blind-note" in before
    assert 'data-testid="sheets"' not in before and "开场很好" not in before and "100.0" not in before
    assert sheet(client, session, HALF).status_code == 302
    after = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert 'data-testid="sheets"' in after and "开场很好" in after and "100.0" in after
    # The assessed agent sees neither sheets nor a result while the session is open.
    login_as(user=people["agent"])
    page = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert "result-pending" in page and 'data-testid="sheets"' not in page and "开场很好" not in page
    assert "银行卡已注销" not in page          # nor the customer's hidden facts


def test_a_submitted_sheet_is_final_and_a_double_submit_changes_nothing(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["peer"])
    sheet(client, session, FULL, "第一次")
    second = sheet(client, session, HALF, "第二次")
    assert second.status_code == 302
    rater = db.session.scalar(select(RoleplayRater).where(RoleplayRater.user_id == people["peer"].id))
    assert rater.comment == "第一次" and rater.percent == 100


def test_an_incomplete_sheet_names_the_criterion_and_keeps_what_was_chosen(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["peer"])
    response = sheet(client, session, {"c_greet": "1", "c_solve": "7", "c_privacy": "²"}, "保留我")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'criterion-solve".*?has-error|has-error.*?criterion-solve', html, re.S)
    assert 'name="c_greet" value="1" checked' in html and "保留我" in html
    rater = db.session.scalar(select(RoleplayRater).where(RoleplayRater.user_id == people["peer"].id))
    assert rater.submitted_at is None


def test_not_an_observer_cannot_submit_and_an_outsider_cannot_even_look(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["peer2"])      # plays the customer, does not score
    assert client.get(f"/scenarios/roleplays/{session.id}").status_code == 200
    assert sheet(client, session, FULL).status_code == 403
    login_as(user=people["outsider"])
    assert client.get(f"/scenarios/roleplays/{session.id}").status_code == 404
    assert sheet(client, session, FULL).status_code == 404


def test_closing_weighs_supervisors_and_shows_the_agent_the_aggregate(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["trainer"])      # supervisor, weight 2: 100
    sheet(client, session, FULL, "开场规范")
    login_as(user=people["peer"])         # peer, weight 1: greet 0/1, solve 1/3·… → (0·1 + 0.5·3 + 1·1)/5 = 50
    sheet(client, session, HALF, "方案不够具体")
    assert client.post_form(f"/scenarios/roleplays/{session.id}/close", {}).status_code == 403
    login_as(user=people["agent"])
    assert client.post_form(f"/scenarios/roleplays/{session.id}/close", {}).status_code == 403
    login_as(user=people["manager"])
    closed = client.post_form(f"/scenarios/roleplays/{session.id}/close", {"summary": "整体不错"})
    assert closed.status_code == 302
    session = db.session.get(RoleplaySession, session.id)
    assert session.status == "closed"
    assert session.result["percent"] == pytest.approx((100 * 2 + 50 * 1) / 3)
    login_as(user=people["agent"])
    page = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert "session-result" in page and "83.3" in page and "整体不错" in page
    assert "开场规范" in page and "方案不够具体" in page
    assert "培训师" not in page.split('data-testid="comments"')[1].split("</ul>")[0]   # comments without names
    assert 'data-testid="sheets"' not in page
    assert "银行卡已注销" in page          # the customer's brief opens for the debrief
    # A late sheet after closing changes nothing.
    login_as(user=people["peer"])
    assert sheet(client, session, FULL).status_code == 302
    assert db.session.get(RoleplaySession, session.id).result["raters"] == 2


def test_a_critical_failure_zeroes_that_sheet_and_is_reported(client, login_as, world):
    _, _, _, people = world
    session = new_session(world, observers=("trainer",))
    login_as(user=people["trainer"])
    sheet(client, session, {**FULL, "c_privacy": "0"})
    client.post_form(f"/scenarios/roleplays/{session.id}/close", {})
    session = db.session.get(RoleplaySession, session.id)
    assert session.result["percent"] == 0 and session.result["critical_failures"] == {"privacy": 1}
    assert session.result["competencies"]["communication"] == 100


def test_closing_needs_a_sheet(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["manager"])
    client.post_form(f"/scenarios/roleplays/{session.id}/close", {})
    assert db.session.get(RoleplaySession, session.id).status == "open"


def test_agreement_shows_on_the_session_and_across_sessions(client, login_as, world, make_user):
    roleplay, rubric, team, people = world
    scores = [(FULL, FULL), (HALF, {"c_greet": "0", "c_solve": "0", "c_privacy": "1"}),
              ({"c_greet": "1", "c_solve": "1", "c_privacy": "1"}, {"c_greet": "1", "c_solve": "1", "c_privacy": "1"})]
    for a, b in scores:
        session = new_session(world)
        for who, data in (("trainer", a), ("peer", b)):
            submit_sheet(session, people[who], {k[2:]: (None if v == "na" else int(v)) for k, v in data.items()}, "")
        login_as(user=people["trainer"])
        client.post_form(f"/scenarios/roleplays/{session.id}/close", {})
    page = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert 'data-testid="agreement"' in page
    login_as(user=people["manager"])
    agreement = client.get(f"/scenarios/rubrics/{rubric.id}").get_data(as_text=True)
    assert "agreement-table" in agreement and "ICC(2,1)" in agreement
    login_as(user=people["agent"])
    assert "agreement-table" not in client.get(f"/scenarios/rubrics/{rubric.id}").get_data(as_text=True)


def test_session_lists_are_scoped(client, login_as, world):
    _, _, _, people = world
    new_session(world)
    login_as(user=people["outsider"])
    assert "被评坐席" not in client.get("/scenarios/roleplays").get_data(as_text=True)
    login_as(user=people["peer"])
    assert "被评坐席" in client.get("/scenarios/roleplays").get_data(as_text=True)


def test_na_is_refused_where_the_rubric_does_not_allow_it(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["peer"])
    response = sheet(client, session, {**FULL, "c_greet": "na"})
    assert response.status_code == 422 and 'value="na"' not in response.get_data(as_text=True).split(
        'criterion-greet')[1].split("</fieldset>")[0]
    assert sheet(client, session, {**FULL, "c_solve": "na"}).status_code == 302   # solve allows N/A
    rater = db.session.scalar(select(RoleplayRater).where(RoleplayRater.user_id == people["peer"].id))
    assert rater.ratings["solve"] is None and rater.percent == 100


def test_an_agent_who_set_up_their_own_assessment_cannot_close_it(client, login_as, world):
    _, _, _, people = world
    session = new_session(world, observers=("peer",), creator="agent")
    submit_sheet(session, people["peer"], {"greet": 1, "solve": 2, "privacy": 1}, "")
    login_as(user=people["agent"])
    assert "close-form" not in client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True)
    assert client.post_form(f"/scenarios/roleplays/{session.id}/close", {}).status_code == 403
    login_as(user=people["peer"])    # a teammate who set one up may close it once two sheets are in
    other = new_session(world, observers=("peer2", "peer"), creator="peer")
    submit_sheet(other, people["peer2"], {"greet": 1, "solve": 2, "privacy": 1}, "")
    assert client.post_form(f"/scenarios/roleplays/{other.id}/close", {}).status_code == 403
    submit_sheet(other, people["peer"], {"greet": 1, "solve": 1, "privacy": 1}, "")
    assert client.post_form(f"/scenarios/roleplays/{other.id}/close", {}).status_code == 302
    assert db.session.get(RoleplaySession, other.id).status == "closed"


def test_a_manager_of_another_team_cannot_be_named_observer(client, login_as, world, make_user):
    roleplay, _, _, people = world
    stranger = make_user("manager")       # manages no team of the agent
    people["peer"].locale = "en"
    db.session.commit()
    login_as(user=people["peer"])
    response = client.post_form("/scenarios/roleplays/new", {
        "scenario_id": roleplay.id, "agent": people["agent"].employee_no,
        "observers": stranger.employee_no, "held_on": "2026-12-01"})
    assert response.status_code == 200 and "trainers or admins" in response.get_data(as_text=True)
    assert db.session.scalar(select(RoleplaySession)) is None


def test_employee_numbers_may_be_separated_by_dun_and_typed_in_any_case(client, login_as, world):
    roleplay, _, _, people = world
    login_as(user=people["manager"])
    response = client.post_form("/scenarios/roleplays/new", {
        "scenario_id": roleplay.id, "agent": people["agent"].employee_no.lower(),
        "observers": f"{people['trainer'].employee_no.lower()}、{people['peer'].employee_no} ;",
        "held_on": "2026-12-01"})
    assert response.status_code == 302
    assert len(db.session.scalar(select(RoleplaySession)).raters) == 2


def test_the_agreement_block_is_the_largest_complete_one():
    from types import SimpleNamespace as NS

    from app.scenarios.services import agreement_across

    scored = {"A": [1, 2, 3], "B": [1, 2, 3, 4], "C": [1, 4, 5, 6], "D": [2, 4, 5, 6]}
    users = {name: NS(id=i, name=name) for i, name in enumerate(scored)}
    sessions = [NS(id=s, raters=[NS(user_id=users[n].id, user=users[n], submitted_at=1, percent=50 + 7 * s + len(n))
                                 for n, done in scored.items() if s in done]) for s in range(1, 7)]
    table = agreement_across(sessions)
    assert len(table.sessions) == 3 and len(table.raters) == 2
    assert table.icc is not None and table.dropped_sessions == 3


def test_a_fresh_sheet_starts_unrated(client, login_as, world):
    _, _, _, people = world
    session = new_session(world)
    login_as(user=people["peer"])
    form = client.get(f"/scenarios/roleplays/{session.id}").get_data(as_text=True).split('data-testid="sheet-form"')[1]
    assert 'type="radio"' in form and "checked" not in form.split("</form>")[0]


@pytest.mark.parametrize("value", ["", "-1", "1e999", "nan", "inf", "99999999999999999999", "1.0", "２"])
def test_a_sheet_refusal_names_each_unrated_criterion(client, login_as, world, value):
    _, _, _, people = world
    people["peer"].locale = "en"
    db.session.commit()
    session = new_session(world)
    login_as(user=people["peer"])
    response = sheet(client, session, {"c_greet": "1", "c_solve": value})      # privacy forgotten
    assert response.status_code == 422
    alert = response.get_data(as_text=True).split('role="alert"')[1].split("</p>")[0]
    assert "Solving" in alert and "Privacy" in alert and "Greeting" not in alert
    rater = db.session.scalar(select(RoleplayRater).where(RoleplayRater.user_id == people["peer"].id))
    assert rater.submitted_at is None


@pytest.mark.parametrize("value", ["nan", "inf", "1e999", "-1", "99999999999999999999"])
def test_the_supervisor_weight_is_a_finite_number_in_range(client, login_as, world, value):
    roleplay, _, _, people = world
    people["manager"].locale = "en"
    db.session.commit()
    login_as(user=people["manager"])
    response = client.post_form("/scenarios/roleplays/new", {
        "scenario_id": roleplay.id, "agent": people["agent"].employee_no, "observers": people["trainer"].employee_no,
        "held_on": "2026-12-01", "supervisor_weight": value})
    assert response.status_code == 200
    weight_field = response.get_data(as_text=True).split('name="supervisor_weight"')[1].split("</div>")[0]
    assert "Number must be between 1 and 10" in weight_field or "Enter an ordinary number" in weight_field
    assert db.session.scalar(select(RoleplaySession)) is None
