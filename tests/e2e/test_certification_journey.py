"""A new hire takes the onboarding certification in chromium: answers half,
reloads and finds the answers kept, finishes, passes, sees the certificate."""

import json
import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e


def answer_key(db_path, employee_no):
    """position → (type, right option texts or bool) for the agent's running attempt."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT s.position, v.type_key, v.payload FROM attempt_slots s "
            "JOIN attempts a ON a.id = s.attempt_id JOIN users u ON u.id = a.user_id "
            "JOIN question_versions v ON v.id = s.question_version_id "
            "WHERE u.employee_no = ? AND a.status = 'in_progress' ORDER BY s.position", (employee_no,)).fetchall()
    key = {}
    for position, type_key, payload in rows:
        payload = json.loads(payload)
        if type_key == "true_false":
            key[position] = (type_key, payload["correct"])
        else:
            key[position] = (type_key, [o["text"] for o in payload["options"] if o["fraction"] > 0])
    return key


def positions_on(page: Page) -> list[int]:
    names = page.locator("[data-testid^=question-]").evaluate_all("els => els.map(e => e.dataset.testid)")
    return [int(name.split("-")[1]) for name in names]


def answer(page: Page, position: int, type_key: str, right):
    question = page.get_by_test_id(f"question-{position}")
    if type_key == "true_false":
        question.locator(f"input[value={'true' if right else 'false'}]").check()
    else:
        for text in right:
            question.locator("label.choice").filter(has_text=text).first.locator("input").check()
    expect(question.locator(".save-ok")).to_be_visible()


def test_new_hire_passes_the_certification(page: Page, live_server):
    sign_in(page, live_server, "KF1001")
    page.get_by_role("link", name="我的培训").click()
    page.get_by_test_id("my-training").get_by_role("link", name="基础服务能力测评").click()
    page.get_by_test_id("start-attempt").click()
    key = answer_key(live_server.db_path, "KF1001")
    half = len(key) // 2

    answered = 0
    while answered < half:
        positions = positions_on(page)
        for position in positions:
            answer(page, position, *key[position])
            answered += 1
        if answered < half:
            page.get_by_test_id("next-page").click()

    page.reload()  # answers must come back exactly
    last = positions[-1]
    type_key, right = key[last]
    question = page.get_by_test_id(f"question-{last}")
    if type_key == "true_false":
        expect(question.locator(f"input[value={'true' if right else 'false'}]")).to_be_checked()
    else:
        expect(question.locator("label.choice").filter(has_text=right[0]).first.locator("input")).to_be_checked()

    while True:
        for position in positions_on(page):
            answer(page, position, *key[position])
        if page.get_by_test_id("next-page").count():
            page.get_by_test_id("next-page").click()
        else:
            page.get_by_test_id("finish").click()
            break

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit-attempt").click()
    expect(page.get_by_test_id("attempt-result")).to_contain_text("100")
    page.get_by_role("link", name=re.compile("证书")).click()
    expect(page.get_by_test_id("certificate")).to_contain_text("林晓雯")
