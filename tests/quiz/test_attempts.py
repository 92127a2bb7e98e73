"""The attempt engine through its services and pages."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.auth.models import AuditLog, User
from app.db_types import utcnow
from app.errors import DomainError
from app.extensions import db
from app.quiz.models import Attempt, AttemptSlot
from app.quiz.services import (
    SaveRefused,
    close_overdue,
    finalise,
    grade_by_hand,
    quiz_result,
    save_response,
    start_attempt,
)
from tests.conftest import SECRET


def right_answers(attempt):
    """Form fields that answer every slot right (option index of fraction 1)."""
    out = {}
    for slot in attempt.slots:
        out[slot.position] = next(i for i, o in enumerate(slot.question_version.payload["options"])
                                  if o["fraction"] == 1)
    return out


def test_start_pins_versions_and_resumes(make_user, make_quiz):
    agent = make_user()
    quiz = make_quiz(assign_to=agent)
    attempt = start_attempt(agent, quiz)
    assert len(attempt.slots) == 4 and attempt.pages == 2
    assert all(s.option_order["options"] in ([0, 1], [1, 0]) for s in attempt.slots)
    assert start_attempt(agent, quiz).id == attempt.id  # resume, not a second attempt


def test_not_assigned_closed_and_limits(make_user, make_quiz):
    agent, stranger = make_user(), make_user()
    quiz = make_quiz(assign_to=agent, attempts_allowed=1)
    with pytest.raises(DomainError):
        start_attempt(stranger, quiz)
    attempt = start_attempt(agent, quiz)
    finalise(attempt, "agent")
    with pytest.raises(DomainError, match="1"):
        start_attempt(agent, quiz)
    window = make_quiz(n_questions=2, assign_to=agent, close_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(DomainError):
        start_attempt(agent, window)
    early = make_quiz(n_questions=3, assign_to=agent, open_at=utcnow() + timedelta(days=1))
    with pytest.raises(DomainError):
        start_attempt(agent, early)


def test_stale_saves_are_ignored(make_user, make_quiz):
    agent = make_user()
    attempt = start_attempt(agent, make_quiz(assign_to=agent))
    assert save_response(attempt, 0, 1, seq=5).stored
    assert not save_response(attempt, 0, 0, seq=3).stored  # an older save arriving late
    assert not save_response(attempt, 0, 0, seq=5).stored  # the same one again
    slot = db.session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id, AttemptSlot.position == 0))
    assert slot.response == 1 and slot.response_seq == 5
    with pytest.raises(SaveRefused):
        save_response(attempt, 99, 0, seq=9)


def test_deadline_grace_and_overdue_finalisation_uses_saved_answers(make_user, make_quiz, app):
    agent = make_user()
    quiz = make_quiz(assign_to=agent, time_limit_minutes=10)
    attempt = start_attempt(agent, quiz)
    answers = right_answers(attempt)
    save_response(attempt, 0, answers[0], seq=1)
    deadline = attempt.deadline_at
    assert save_response(attempt, 1, answers[1], seq=1, now=deadline + timedelta(seconds=10)).stored  # grace
    with pytest.raises(SaveRefused):
        save_response(attempt, 2, answers[2], seq=1, now=deadline + timedelta(seconds=60))
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.status == "graded" and attempt.finished_by == "deadline"
    assert attempt.score == 2 and attempt.percent == 50.0


def test_close_overdue_command(make_user, make_quiz, runner):
    agent = make_user()
    attempt = start_attempt(agent, make_quiz(assign_to=agent, time_limit_minutes=1))
    save_response(attempt, 0, right_answers(attempt)[0], seq=1)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert close_overdue() == 1
    assert close_overdue() == 0
    assert db.session.get(Attempt, attempt.id).score == 1
    assert runner.invoke(args=["quiz", "close-overdue"]).exit_code == 0


def test_submit_is_idempotent(make_user, make_quiz):
    agent = make_user()
    attempt = start_attempt(agent, make_quiz(assign_to=agent))
    assert finalise(attempt, "agent") is True
    assert finalise(attempt, "agent") is False
    with pytest.raises(SaveRefused):
        save_response(attempt, 0, 0, seq=99)


def test_manual_grading_completes_the_attempt(make_user, make_quiz):
    agent, trainer = make_user(), make_user("trainer")
    quiz = make_quiz(n_questions=1, assign_to=agent, case=True, pass_mark=50)
    attempt = start_attempt(agent, quiz)
    case_slot = next(s for s in attempt.slots if s.question_version.type_key == "case_analysis")
    save_response(attempt, case_slot.position, "我会先道歉，再给出具体时间。", seq=1)
    finalise(attempt, "agent")
    assert attempt.status == "submitted" and attempt.percent is None and case_slot.needs_grading
    grade_by_hand(trainer, case_slot, [4, 3], "方案还可以更具体")
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.status == "graded" and attempt.score == pytest.approx(0.7)
    assert attempt.max_score == 2 and attempt.passed is False
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "attempt.graded_by_hand")).actor_id == trainer.id


def test_onboarding_pass_clears_for_live_work(make_user, make_quiz):
    agent = make_user(tier="onboarding")
    quiz = make_quiz(kind="onboarding", assign_to=agent, pass_mark=75)
    attempt = start_attempt(agent, quiz)
    for position, answer in right_answers(attempt).items():
        save_response(attempt, position, answer, seq=1)
    finalise(attempt, "agent")
    agent = db.session.get(User, agent.id)
    assert attempt.passed and agent.cleared_for_live_at is not None and agent.tier == "in_service"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.certified")) is not None


def test_grading_method_over_attempts(make_user, make_quiz):
    agent = make_user()
    quiz = make_quiz(assign_to=agent, grading_method="average")
    first = start_attempt(agent, quiz)
    save_response(first, 0, right_answers(first)[0], seq=1)
    finalise(first, "agent")
    second = start_attempt(agent, quiz)
    for position, answer in right_answers(second).items():
        save_response(second, position, answer, seq=1)
    finalise(second, "agent")
    assert (first.percent, second.percent) == (25.0, 100.0)
    assert quiz_result(agent, quiz) == 62.5


# --- pages -----------------------------------------------------------------------

def test_the_key_never_reaches_the_browser_before_submitting(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent, case=True)
    start = client.post_form(f"/quizzes/{quiz.id}/start")
    assert start.status_code == 302
    attempt = db.session.scalar(select(Attempt))
    pages = [client.get(f"/quizzes/attempts/{attempt.id}?page={p}").get_data(as_text=True) for p in range(attempt.pages)]
    pages.append(client.get(f"/quizzes/attempts/{attempt.id}/summary").get_data(as_text=True))
    pages.append(client.post_form(f"/quizzes/attempts/{attempt.id}/save",
                                  {"position": 0, "seq": 1, "r0": "0"}).get_data(as_text=True))
    everything = "\n".join(pages)
    assert "正确选项0" in everything  # the options are shown …
    for secret in (SECRET, "反馈对", "反馈错", "fraction", "参考答案甲", "要点乙", "共情"):
        assert secret not in everything  # … never the key, feedback, explanation or rubric
    client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    review = client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True)
    assert SECRET in review


def test_autosave_resume_and_flags_through_http(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent)
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    saved = client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 1, "seq": 10, "r1": "1"},
                             headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "save-ok" in saved.get_data(as_text=True)
    stale = client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 1, "seq": 4, "r1": "0"},
                             headers={"Accept": "application/json"})
    assert stale.get_json()["stored"] is False
    client.post_form(f"/quizzes/attempts/{attempt.id}/flag", {"position": 1, "flagged": "1"})
    page = client.get(f"/quizzes/attempts/{attempt.id}?page=0").get_data(as_text=True)
    assert 'value="1" checked' in page and 'aria-pressed="true"' in page
    summary = client.get(f"/quizzes/attempts/{attempt.id}/summary").get_data(as_text=True)
    assert "⚑" in summary
    assert client.post(f"/quizzes/attempts/{attempt.id}/save", data={"position": 0, "seq": 11}).status_code == 400  # CSRF


def test_page_submit_saves_the_whole_page_and_moves_on(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent)
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    response = client.post_form(f"/quizzes/attempts/{attempt.id}/page",
                                {"page": 0, "seq": 100, "r0": "1", "r1": "0", "goto": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("page=1")
    slots = db.session.get(Attempt, attempt.id).slots
    assert [slots[0].response, slots[1].response] == [1, 0]
    # an autosave that was still in flight (lower seq) cannot undo the page submit
    client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 0, "seq": 99, "r0": "0"})
    assert db.session.get(Attempt, attempt.id).slots[0].response == 1
    done = client.post_form(f"/quizzes/attempts/{attempt.id}/page", {"page": 1, "seq": 101, "goto": "summary"})
    assert done.headers["Location"].endswith("/summary")


def test_double_submit_and_late_saves_through_http(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent)
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    first = client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    second = client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    assert first.status_code == second.status_code == 302
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    late = client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 0, "seq": 50, "r0": "0"})
    assert late.status_code == 409
    assert db.session.get(Attempt, attempt.id).slots[0].response is None


def test_another_agents_attempt_is_404(client, login_as, make_user, make_quiz):
    owner = make_user()
    quiz = make_quiz(assign_to=owner)
    attempt = start_attempt(owner, quiz)
    login_as("agent")
    for url in (f"/quizzes/attempts/{attempt.id}", f"/quizzes/attempts/{attempt.id}/summary",
                f"/quizzes/attempts/{attempt.id}/review", f"/quizzes/attempts/{attempt.id}/certificate"):
        assert client.get(url).status_code == 404
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 0, "seq": 1, "r0": "0"}).status_code == 404
    assert client.post_form(f"/quizzes/attempts/{attempt.id}/submit").status_code == 404
    assert db.session.get(Attempt, attempt.id).status == "in_progress"


def test_my_training_and_certificate(client, login_as, make_quiz):
    agent = login_as("agent", tier="onboarding")
    quiz = make_quiz(kind="onboarding", assign_to=agent, pass_mark=50)
    assert quiz.title in client.get("/quizzes/").get_data(as_text=True)
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    for position, answer in right_answers(attempt).items():
        client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": position, "seq": 1, f"r{position}": answer})
    client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    certificate = client.get(f"/quizzes/attempts/{attempt.id}/certificate")
    assert certificate.status_code == 200 and agent.name in certificate.get_data(as_text=True)


def test_regrade_after_a_corrected_key(client, login_as, make_user, make_quiz):
    from app.bank.models import Question
    from app.bank.services import QuestionData, save_question

    agent = make_user()
    quiz = make_quiz(n_questions=2, assign_to=agent, pass_mark=100)
    attempt = start_attempt(agent, quiz)
    wrong = {s.position: next(i for i, o in enumerate(s.question_version.payload["options"]) if o["fraction"] == 0)
             for s in attempt.slots}
    for position, answer in wrong.items():
        save_response(attempt, position, answer, seq=1)
    finalise(attempt, "agent")
    assert attempt.percent == 0
    trainer = login_as("trainer")
    first = attempt.slots[0].question_version
    question = db.session.get(Question, first.question_id)
    corrected = [{**o, "fraction": 1 - o["fraction"]} for o in first.payload["options"]]  # the key was wrong
    save_question(trainer, question, QuestionData(
        type_key="single_choice", category=question.category, tags=question.tags, competency=question.competency,
        difficulty=question.difficulty, title="", stem=first.stem, stem_format="plain", explanation=first.explanation,
        payload={"options": corrected}))
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="regrade"' in page
    client.post_form(f"/bank/questions/{question.id}/regrade")
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.percent == 50.0 and attempt.slots[0].question_version_id == question.current_version_id
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "attempt.regraded"))
    assert audit.before["percent"] == 0 and audit.after["percent"] == 50.0 and audit.actor_id == trainer.id
    assert 'data-testid="regrade"' not in client.get(f"/bank/questions/{question.id}").get_data(as_text=True)


def test_results_stay_hidden_until_the_policy_allows(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent, pass_mark=50,
                     review={"when": "after_close", "own_answers": True, "marks": True, "right_answers": True,
                             "feedback": True})
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    for url in (f"/quizzes/{quiz.id}", "/quizzes/", f"/quizzes/attempts/{attempt.id}/review"):
        page = client.get(url).get_data(as_text=True)
        assert "0.0" not in page and "未通过" not in page and "Not passed" not in page, url


def test_ordering_and_matching_pages_do_not_give_the_key_away(client, login_as, make_user, make_quiz):
    from app.quiz.models import Assignment, Quiz, QuizSection
    from tests.conftest import _question

    agent = login_as("agent")
    author = make_user("trainer")
    ordering = _question(author, 1, "ordering", {"items": ["第一步", "第二步", "第三步", "第四步"]}, "排序题")
    matching = _question(author, 2, "matching", {"pairs": [{"left": f"甲{i}", "right": f"乙{i}"} for i in range(4)]},
                         "匹配题")
    quiz = Quiz(slug="order-match", title="排序与匹配", kind="knowledge", questions_per_page=2)
    quiz.sections = [QuizSection(position=0, fixed_uids=[ordering.uid, matching.uid])]
    db.session.add(quiz)
    db.session.flush()
    db.session.add(Assignment(quiz_id=quiz.id, user_id=agent.id))
    db.session.commit()
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id))
    page = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    import re

    first_select = page.split('name="r0"')[1].split("</select>")[0]
    assert re.findall(r'value="(\d+)"', first_select) == ["0", "1", "2", "3"]  # positions on screen only
    slots = db.session.get(Attempt, attempt.id).slots
    # answer both right by their on-screen positions
    order = slots[0].option_order["items"]
    rights = slots[1].option_order["rights"]
    fields = {"page": 0, "seq": 5, "goto": "summary",
              "r0": [str(order.index(i)) for i in range(4)], "r1": [str(rights.index(i)) for i in range(4)]}
    client.post_form(f"/quizzes/attempts/{attempt.id}/page", fields)
    slots = db.session.get(Attempt, attempt.id).slots
    assert slots[0].response == [0, 1, 2, 3] and slots[1].response == [0, 1, 2, 3]
    client.post_form(f"/quizzes/attempts/{attempt.id}/submit")
    assert db.session.get(Attempt, attempt.id).percent == 100.0


def test_sequential_quiz_moves_forward_only(client, login_as, make_quiz):
    agent = login_as("agent")
    quiz = make_quiz(assign_to=agent, navigation="sequential")
    client.post_form(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(Attempt))
    client.get(f"/quizzes/attempts/{attempt.id}?page=1")  # looking moves nothing
    assert db.session.get(Attempt, attempt.id).current_page == 0
    client.post_form(f"/quizzes/attempts/{attempt.id}/page", {"page": 0, "seq": 2, "r0": "0", "goto": "1"})
    assert db.session.get(Attempt, attempt.id).current_page == 1
    late = client.post_form(f"/quizzes/attempts/{attempt.id}/save", {"position": 0, "seq": 3, "r0": "1"})
    assert late.status_code == 409
    assert db.session.get(Attempt, attempt.id).slots[0].response == 0


class _ShownChoices(HTMLParser):
    """What a browser shows as chosen: radios group by name across the page
    (these inputs have no form), and only the last `checked` of a group stays
    checked. Inputs are recorded under their review question section."""

    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self._question = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("data-testid") or "").startswith("review-question-"):
            self._question = int(attrs["data-testid"].rsplit("-", 1)[1])
        if tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.inputs.append({"question": self._question, "type": attrs["type"], "name": attrs.get("name"),
                                "value": attrs.get("value"), "checked": "checked" in attrs})

    def shown(self) -> dict[int, set[str]]:
        last_checked = {}
        for i, field in enumerate(self.inputs):
            if field["type"] == "radio" and field["checked"]:
                last_checked[field["name"]] = i
        out: dict[int, set[str]] = {}
        for i, field in enumerate(self.inputs):
            on = last_checked.get(field["name"]) == i if field["type"] == "radio" else field["checked"]
            if on:
                out.setdefault(field["question"], set()).add(field["value"])
        return out


def shown_choices(html: str) -> tuple[dict[int, set[str]], _ShownChoices]:
    parser = _ShownChoices()
    parser.feed(html)
    return parser.shown(), parser


def test_review_and_inspect_show_every_chosen_answer(client, login_as, make_user, make_quiz):
    from tests.conftest import _question

    agent = login_as("agent")
    quiz = make_quiz(n_questions=3, per_page=5, assign_to=agent)
    true_false = _question(make_user("trainer"), 50, "true_false", {"correct": True})
    quiz.sections[0].fixed_uids = [*quiz.sections[0].fixed_uids, true_false.uid]
    db.session.commit()
    attempt = start_attempt(agent, quiz)
    chosen = {}
    for slot in attempt.slots:
        if slot.question_version.type_key == "true_false":
            value, shown = False, "false"
        else:
            value = slot.position % 2   # right, wrong, right: not all the same option
            shown = str(value)
        save_response(attempt, slot.position, value, seq=1)
        chosen[slot.position] = {shown}
    finalise(attempt, "agent")

    review, parser = shown_choices(client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True))
    assert review == chosen
    radio_groups = {(f["question"], f["name"]) for f in parser.inputs if f["type"] == "radio"}
    assert len({name for _, name in radio_groups}) == len(radio_groups) == len(chosen)  # one group a question

    login_as("trainer")
    inspected, _ = shown_choices(client.get(f"/quizzes/attempts/{attempt.id}/inspect").get_data(as_text=True))
    assert inspected == chosen
