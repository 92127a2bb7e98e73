"""What chromium shows on a finished attempt's review: every chosen answer of
every single-choice and true/false question stays selected (radios of
different questions must not share one group)."""

import json
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e

CHOICE_TYPES = ("single_choice", "true_false")


def graded_attempt_with_choices(db_path) -> tuple[int, str, dict[int, str]]:
    """A demo attempt whose review shows own answers, with two or more chosen
    single-choice or true/false answers: (attempt id, employee number,
    position → the radio value that must be checked)."""
    with sqlite3.connect(db_path) as db:
        attempts = db.execute(
            "SELECT a.id, u.employee_no, q.review FROM attempts a JOIN users u ON u.id = a.user_id "
            "JOIN quizzes q ON q.id = a.quiz_id WHERE a.status = 'graded' ORDER BY a.id").fetchall()
        for attempt_id, employee_no, review in attempts:
            review = json.loads(review) if review else {}
            if review.get("when", "immediately") != "immediately" or not review.get("own_answers", True):
                continue
            slots = db.execute(
                "SELECT s.position, v.type_key, s.response FROM attempt_slots s "
                "JOIN question_versions v ON v.id = s.question_version_id WHERE s.attempt_id = ? "
                "ORDER BY s.position", (attempt_id,)).fetchall()
            chosen = {}
            for position, type_key, response in slots:
                if isinstance(response, str):   # JSON text; SQLite hands a bare number back as a number
                    response = json.loads(response)
                if type_key in CHOICE_TYPES and response is not None:
                    chosen[position] = str(response).lower() if type_key == "true_false" else str(response)
            if len(chosen) >= 2 and len(set(chosen.values())) >= 2:
                return attempt_id, employee_no, chosen
    raise AssertionError("the demo data has no graded attempt with two different chosen answers")


def assert_every_choice_is_shown(page: Page, chosen: dict[int, str]):
    for position, value in chosen.items():
        radio = page.get_by_test_id(f"review-question-{position}").locator(f"input[type=radio][value='{value}']")
        expect(radio).to_have_count(1)
        assert radio.is_checked(), f"question at position {position}: the chosen answer {value} is not shown"
    assert page.locator("input[type=radio]:checked").count() == len(chosen)


def test_the_agent_sees_every_chosen_answer(page: Page, live_server):
    attempt_id, employee_no, chosen = graded_attempt_with_choices(live_server.db_path)
    sign_in(page, live_server, employee_no)
    page.goto(f"{live_server}/quizzes/attempts/{attempt_id}/review")
    expect(page.get_by_test_id("attempt-result")).to_be_visible()
    assert_every_choice_is_shown(page, chosen)


def test_the_trainer_sees_every_chosen_answer(page: Page, live_server):
    attempt_id, _, chosen = graded_attempt_with_choices(live_server.db_path)
    sign_in(page, live_server, "T001")
    page.goto(f"{live_server}/quizzes/attempts/{attempt_id}/inspect")
    expect(page.get_by_test_id("attempt-result")).to_be_visible()
    assert_every_choice_is_shown(page, chosen)
