import pytest

from app.bank.services import QuestionData, save_question
from app.extensions import db
from app.quiz.models import Assignment, Quiz, QuizSection

SECRET = "只在提交后可见的解析"


def _question(author, n, type_key="single_choice", payload=None, stem=None):
    payload = payload or {"options": [{"text": f"正确选项{n}", "fraction": 1, "feedback": f"反馈对{n}"},
                                      {"text": f"错误选项{n}", "fraction": 0, "feedback": f"反馈错{n}"}]}
    question, _ = save_question(author, None, QuestionData(
        type_key=type_key, category="售后政策/退款", tags=["退款"], competency="knowledge", difficulty=2,
        title="", stem=stem or f"第{n}题：退款相关的问题", stem_format="plain", explanation=f"{SECRET}{n}",
        payload=payload))
    return question


@pytest.fixture
def make_quiz(make_user):
    def make(n_questions=4, kind="knowledge", per_page=2, assign_to=None, case=False, **settings):
        author = make_user("trainer")
        questions = [_question(author, i) for i in range(n_questions)]
        if case:
            questions.append(_question(author, 99, "case_analysis", {
                "reference_answer": "参考答案甲", "key_points": ["要点乙"],
                "rubric": [{"criterion": "共情", "points": 4}, {"criterion": "方案", "points": 6}]},
                stem="案例：客户第三次来电投诉"))
        quiz = Quiz(slug=f"quiz-{kind}-{n_questions}-{len(settings)}-{case}", title="退款知识测验", kind=kind,
                    questions_per_page=per_page, **settings)
        quiz.sections = [QuizSection(position=0, mark=1, fixed_uids=[q.uid for q in questions])]
        db.session.add(quiz)
        db.session.flush()
        if assign_to is not None:
            db.session.add(Assignment(quiz_id=quiz.id, user_id=assign_to.id))
        db.session.commit()
        return quiz

    return make
