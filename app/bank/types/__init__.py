"""The question-type registry: one module a type, one dict of them.

Adding a type is one new module and one line here.
"""

from __future__ import annotations

from app.bank.types.base import Grade, PayloadError, QuestionType
from app.bank.types.case_analysis import CaseAnalysis
from app.bank.types.choice import MultipleChoice, SingleChoice
from app.bank.types.fill_blank import FillBlank
from app.bank.types.matching import Matching
from app.bank.types.numeric import Numeric
from app.bank.types.ordering import Ordering
from app.bank.types.true_false import TrueFalse

QUESTION_TYPES: dict[str, QuestionType] = {
    t.key: t for t in (
        SingleChoice(), MultipleChoice(), TrueFalse(), FillBlank(),
        Numeric(), Ordering(), Matching(), CaseAnalysis(),
    )
}


class UnknownQuestionType(LookupError):
    def __init__(self, key: str):
        from app.bank.interchange import M

        super().__init__(M("unknown question type “%(key)s”; known: %(known)s", key=key,
                           known=", ".join(QUESTION_TYPES)))
        self.key = key


def get_type(key: str) -> QuestionType:
    try:
        return QUESTION_TYPES[key]
    except KeyError:
        raise UnknownQuestionType(key) from None


__all__ = ["QUESTION_TYPES", "Grade", "PayloadError", "QuestionType", "UnknownQuestionType", "get_type"]
