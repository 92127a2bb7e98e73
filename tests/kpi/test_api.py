"""The KPI push API: auth, validation per item, all or nothing, idempotence, scope; reading back."""

import json

import pytest
from sqlalchemy import func, select, update

from app.api.services import create_token
from app.extensions import db
from app.kpi.catalogue import seed_catalogue
from app.kpi.models import ImportBatch, KpiValue


@pytest.fixture
def world(app, make_user, make_team):
    seed_catalogue()
    team, other = make_team(), make_team()
    manager, admin = make_user("manager"), make_user("admin")
    team.managers.append(manager)
    db.session.commit()
    people = {"a1": make_user("agent", team=team, employee_no="KF6001"),
              "out": make_user("agent", team=other, employee_no="KF6999")}
    tokens = {role: create_token(admin, user, role)[1] for role, user in
              (("manager", manager), ("admin", admin), ("agent", people["a1"]))}
    return people, tokens


def post(client, token, body):
    return client.post("/api/v1/kpi/values", json=body, headers={"Authorization": f"Bearer {token}"})


GOOD = {"values": [{"employee_no": "KF6001", "period": "2026-10", "metric": "csat", "value": 92.5, "contacts": 120},
                   {"employee_no": "KF6001", "period": "2026-10", "metric": "first_response", "value": "00:00:18",
                    "contacts": 120}]}


def test_push_stores_then_repeats_change_nothing_and_a_new_value_replaces(client, world):
    _, tokens = world
    first = post(client, tokens["manager"], GOOD)
    assert first.status_code == 201 and first.json["added"] == 2
    again = post(client, tokens["manager"], GOOD)
    assert again.status_code == 200 and again.json["unchanged"] == 2 and again.json["batch_id"] is None
    newer = post(client, tokens["manager"], {"values": [{**GOOD["values"][0], "value": "93%"}]})
    assert newer.status_code == 201 and newer.json["replaced"] == 1
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 2


def test_a_bad_item_is_reported_by_index_and_field_and_nothing_is_stored(client, world):
    _, tokens = world
    body = {"values": [GOOD["values"][0],
                       {"employee_no": "KF6001", "period": "2026-13", "metric": "csat", "value": 90},
                       {"employee_no": "NOPE", "period": "2026-10", "metric": "speed", "value": "fast"}]}
    response = post(client, tokens["manager"], body)
    assert response.status_code == 422
    errors = {(e["index"], e["field"]) for e in response.json["error"]["errors"]}
    assert errors == {(1, "period"), (2, "employee_no"), (2, "metric")}
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0


@pytest.mark.parametrize("body, status", [
    (None, 400), ({"values": []}, 400), ({"values": "x"}, 400), ({"values": [1]}, 422),
    ({"values": [{"employee_no": "KF6001", "period": "2026-10", "metric": "csat"}]}, 422),
    ({"values": [{**GOOD["values"][0], "colour": "red"}]}, 422),
])
def test_malformed_bodies(client, world, body, status):
    _, tokens = world
    assert post(client, tokens["admin"], body).status_code == status


def test_auth_and_scope(client, world):
    _, tokens = world
    assert client.post("/api/v1/kpi/values", json=GOOD).status_code == 401
    assert post(client, "ap_wrong", GOOD).status_code == 401
    assert post(client, tokens["agent"], GOOD).status_code == 403
    outside = {"values": [{**GOOD["values"][0], "employee_no": "KF6999"}]}
    assert post(client, tokens["manager"], outside).status_code == 403
    assert post(client, tokens["admin"], outside).status_code == 201


def test_reading_back_is_scoped_and_filtered(client, world):
    _, tokens = world
    post(client, tokens["admin"], GOOD)
    post(client, tokens["admin"], {"values": [{**GOOD["values"][0], "employee_no": "KF6999"}]})
    mine = client.get("/api/v1/kpi/values?period=2026-10", headers={"Authorization": f"Bearer {tokens['agent']}"})
    assert mine.status_code == 200 and {i["employee_no"] for i in mine.json["items"]} == {"KF6001"}
    managed = client.get("/api/v1/kpi/values?agent=KF6999", headers={"Authorization": f"Bearer {tokens['manager']}"})
    assert managed.json["items"] == []
    one = client.get("/api/v1/kpi/values?agent=KF6001&metric=first_response",
                     headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert [(i["value"], i["period"]) for i in one.json["items"]] == [(18, "2026-10")]
    bad = client.get("/api/v1/kpi/values?period=10-2026", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert bad.status_code == 400 and bad.is_json


# ------------------------------------------------------------------ numbers that are not numbers

def strict_json(response):
    """The body parsed as JSON proper: Infinity and NaN are not JSON."""
    def refuse(constant):
        raise AssertionError(f"{constant} in the response: not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def post_text(client, token, items: str):
    return client.post("/api/v1/kpi/values", data='{"values": [' + items + "]}", content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def item(metric="csat", value="90", extra=""):
    return f'{{"employee_no": "KF6001", "period": "2026-10", "metric": "{metric}", "value": {value}{extra}}}'


@pytest.mark.parametrize("body, field", [
    (item(value="1e999"), "value"), (item(value="Infinity"), "value"), (item(value="-Infinity"), "value"),
    (item(value="NaN"), "value"), (item("aht", "1" + "0" * 400), "value"), (item(value='"1e999"'), "value"),
    (item(value="150"), "value"), (item(value="-0.5"), "value"), (item(value='"101%"'), "value"),
    (item("first_response", "-5"), "value"), (item("aht", "99999999"), "value"),
    (item(extra=', "contacts": 99999999999999999999999'), "contacts"),
    (item(extra=', "contacts": 9223372036854775808'), "contacts"),
    (item(extra=', "contacts": 1e999'), "contacts"), (item(extra=', "contacts": NaN'), "contacts"),
    (item(extra=', "contacts": 1000001'), "contacts"),
    (item().replace("2026-10", "0001-01"), "period"), (item().replace("2026-10", "1999-12-31"), "period"),
], ids=["1e999", "Infinity", "-Infinity", "NaN", "10**400", "text 1e999", "rate 150", "rate -0.5", "rate 101%",
        "negative time", "time over 31 days", "contacts 10**23", "contacts 2**63", "contacts 1e999", "contacts NaN",
        "contacts over a million", "period 0001-01", "period 1999-12-31"])
def test_numbers_not_finite_or_out_of_range_are_422_naming_the_field(client, world, body, field):
    _, tokens = world
    response = post_text(client, tokens["manager"], item("first_response", "18") + ", " + body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [(e["index"], e["field"]) for e in strict_json(response)["error"]["errors"]] == [(1, field)]
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0


def test_the_first_plausible_year_and_an_implausible_time_are_stored_with_a_warning(client, world):
    _, tokens = world
    response = post_text(client, tokens["manager"], item().replace("2026-10", "2000-01") + ", " + item("aht", "7300"))
    assert response.status_code == 201
    assert [(w["index"], w["field"], w["message"]) for w in strict_json(response)["warnings"]] == [
        (1, "value", "a time of 7300 s is over 2 hours; check the unit")]


def test_the_listing_is_json_even_for_a_value_stored_before_numbers_were_checked(client, world):
    _, tokens = world
    post(client, tokens["admin"], GOOD)
    db.session.execute(update(KpiValue).where(KpiValue.metric_code == "csat").values(value=float("inf")))
    db.session.commit()
    listing = client.get("/api/v1/kpi/values", headers={"Authorization": f"Bearer {tokens['admin']}"})
    items = {i["metric"]: i for i in strict_json(listing)["items"]}
    assert items["csat"]["value"] is None and items["first_response"]["value"] == 18
    assert items["csat"]["period"] == "2026-10"
