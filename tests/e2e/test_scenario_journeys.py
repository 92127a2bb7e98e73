"""Scenario library journeys in chromium: a drill with a reply step and its
debrief; a live role-play scored by two observers, closed, and read by the agent."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e

GOOD_REPLY = "非常抱歉让您久等了！包裹今天下午会重新发出，预计明天中午前送到，发出后我会短信通知您。"


def sign_out(page: Page):
    page.get_by_test_id("logout").click()


def test_agent_completes_a_drill_with_a_reply_step_and_reads_the_debrief(page: Page, live_server):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, "KF1003")
    page.goto(f"{live_server}/scenarios/?situation=daily_inquiry")
    page.get_by_test_id("scenario-list").get_by_role("link", name="包裹三天没动静").click()
    page.get_by_test_id("start-drill").click()
    expect(page.get_by_test_id("customer-line")).to_contain_text("华东分拨中心")
    expect(page.get_by_test_id("mood")).to_have_attribute("data-mood", "anxious")
    page.locator("button.choice-button", has_text="我是客服小林").click()   # greet, ask for the order number
    expect(page.get_by_test_id("customer-line")).to_contain_text("DD20261127-4471")
    page.reload()                                            # progress survives a reload
    expect(page.get_by_test_id("customer-line")).to_contain_text("DD20261127-4471")
    page.locator("button.choice-button", has_text="（查询系统）").click()    # look it up in the system
    expect(page.get_by_test_id("reply-box")).to_be_visible()
    page.get_by_test_id("reply-box").fill(GOOD_REPLY)
    page.get_by_test_id("send-reply").click()
    finished = page.get_by_test_id("drill-finished")
    expect(finished).to_contain_text("100%")
    finished.get_by_test_id("open-debrief").click()
    expect(page.get_by_test_id("debrief")).to_contain_text("14")
    expect(page.get_by_test_id("competency-scores")).to_contain_text("7")
    expect(page.get_by_test_id("path-taken")).to_contain_text("抱歉")          # the rule that found it
    expect(page.get_by_test_id("best-path")).to_contain_text("查询系统")
    page.get_by_test_id("replay").click()
    expect(page.get_by_test_id("customer-line")).to_contain_text("华东分拨中心")
    assert errors == []


def score_every_criterion(page: Page, pick: str):
    """pick: 'top' (the highest level) or 'second' (one below it)."""
    for fieldset in page.locator("fieldset.criterion").all():
        radios = fieldset.locator("input[type=radio]:not([value=na])")
        index = radios.count() - 1 if pick == "top" else radios.count() - 2
        radios.nth(index).check()


def test_two_observers_score_a_roleplay_and_the_agent_sees_the_result(page: Page, live_server):
    sign_in(page, live_server, "M001")
    page.goto(f"{live_server}/scenarios/roleplays/new")
    page.locator("#scenario_id").select_option(label="答谢会前两天，定制礼盒摔坏了")
    page.locator("#agent").fill("KF1004")
    page.locator("#observers").fill("M001，KF1005")
    page.locator("#customer_player").fill("KF1006")
    page.get_by_test_id("create-session").click()
    expect(page.get_by_test_id("observers")).to_contain_text("刘芷若")
    session_url = page.url
    score_every_criterion(page, "top")
    page.locator("#comment").fill("开场和共情都很到位。")
    page.get_by_test_id("submit-sheet").click()
    expect(page.get_by_test_id("sheets")).to_contain_text("100.0")
    sign_out(page)

    sign_in(page, live_server, "KF1005")
    page.goto(session_url)
    expect(page.get_by_test_id("blind-note")).to_be_visible()
    expect(page.get_by_test_id("sheets")).to_have_count(0)
    score_every_criterion(page, "second")
    page.locator("#comment").fill("方案可以更早给出具体时间。")
    page.get_by_test_id("submit-sheet").click()
    expect(page.get_by_test_id("sheets")).to_contain_text("开场和共情都很到位。")
    sign_out(page)

    sign_in(page, live_server, "KF1004")
    page.goto(session_url)
    expect(page.get_by_test_id("result-pending")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "M001")
    page.goto(session_url)
    page.locator("#summary").fill("整体稳定，下次先回应情绪再给方案。")
    page.once("dialog", lambda dialog: dialog.accept())       # "publish the result? cannot be undone"
    page.get_by_test_id("close-session").click()
    expect(page.get_by_test_id("session-result")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "KF1004")
    page.goto(session_url)
    result = page.get_by_test_id("session-result")
    expect(result).to_contain_text("/ 100")
    expect(result).to_contain_text("整体稳定，下次先回应情绪再给方案。")
    expect(page.get_by_test_id("comments")).to_contain_text("方案可以更早给出具体时间。")
    expect(page.get_by_test_id("sheets")).to_have_count(0)
