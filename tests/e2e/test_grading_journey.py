"""A trainer grades a case-analysis answer from the queue in chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_trainer_grades_a_case_answer(page: Page, live_server):
    sign_in(page, live_server, "T001")
    page.goto(f"{live_server}/quizzes/manage")
    page.get_by_test_id("to-grade").click()
    queue = page.get_by_test_id("grading-queue")
    waiting = queue.get_by_test_id("grade-link").count()
    assert waiting >= 1
    queue.get_by_test_id("grade-link").first.click()
    expect(page.get_by_test_id("agent-answer")).not_to_be_empty()
    inputs = page.locator("input[type=number]")
    for i in range(inputs.count()):
        inputs.nth(i).fill(inputs.nth(i).get_attribute("max"))  # full marks on every criterion
    page.locator("#comment").fill("步骤清楚，时限可以再具体一些。")
    page.get_by_test_id("save-grade").click()
    expect(page.get_by_test_id("grading-queue").get_by_test_id("grade-link")).to_have_count(waiting - 1)
