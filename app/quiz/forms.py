from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.bank.models import TYPE_LABELS
from app.form_fields import FiniteFloatField, RowForm, WholeNumberField


class GradeForm(FlaskForm):
    """The rubric of a case-analysis answer, one field a criterion. Fields
    start empty and each must be given points: a criterion left blank is
    refused by name, never scored 0 by omission."""

    comment = TextAreaField(_l("Comment for the agent"), validators=[Optional(), Length(max=2000)])

    @classmethod
    def for_rubric(cls, rubric: list[dict]) -> GradeForm:
        fields = {}
        for index, row in enumerate(rubric):
            top = f"{row['points']:g}"
            fields[f"points_{index}"] = FiniteFloatField(row["criterion"], name=f"points-{index}", validators=[
                InputRequired(_l("Not rated yet: give 0 to %(max)s points.", max=top)),
                NumberRange(0, row["points"], _l("Give 0 to %(max)s points.", max=top))])
        return type("RubricGradeForm", (cls,), fields)()

    @property
    def point_fields(self) -> list:
        return [field for name, field in self._fields.items() if name.startswith("points_")]


class AssignForm(FlaskForm):
    employee_nos = StringField(_l("People (employee numbers, comma separated)"),
                               validators=[Optional(), Length(max=2000)])
    team_ids = SelectMultipleField(_l("Teams"), coerce=int, validate_choice=True)
    tiers = SelectMultipleField(_l("Tiers"), validate_choice=True)
    due_on = DateField(_l("Due date"), validators=[Optional()])

    def set_choices(self, teams, tier_labels):
        self.team_ids.choices = [SelectChoice(value=t.id, label=t.name) for t in teams]
        self.tiers.choices = [SelectChoice(value=k.value, label=v) for k, v in tier_labels.items()]


class SectionRow(RowForm):
    title = StringField(_l("Section title"), validators=[Optional(), Length(max=200)])
    mark = FiniteFloatField(_l("Marks per question"), default=1, validators=[Optional(), NumberRange(min=0.1, max=100)])
    fixed = TextAreaField(_l("Fixed question IDs (one per line)"), validators=[Optional(), Length(max=5000)])
    count = WholeNumberField(_l("Draw how many"), validators=[Optional(), NumberRange(min=1, max=200)])
    category = StringField(_l("From category"), validators=[Optional(), Length(max=200)])
    tags = StringField(_l("With any of these tags"), validators=[Optional(), Length(max=300)])
    types = SelectMultipleField(_l("Question types"), choices=[SelectChoice(value=k, label=v) for k, v in TYPE_LABELS.items()])
    difficulty_min = WholeNumberField(_l("Difficulty from"), default=1, validators=[Optional(), NumberRange(1, 5)])
    difficulty_max = WholeNumberField(_l("Difficulty to"), default=5, validators=[Optional(), NumberRange(1, 5)])

    def validate_difficulty_max(self, field):
        low = self.difficulty_min.data
        if field.data is not None and low is not None and not self.difficulty_min.errors and field.data < low:
            raise ValidationError(_l("Must not be below “Difficulty from” (%(low)d).", low=low))


class QuizForm(FlaskForm):
    slug = StringField(_l("ID"), validators=[InputRequired(), Length(max=80),
                                            Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lowercase letters, digits and -."))])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    kind = SelectField(_l("Kind"))
    questions_per_page = WholeNumberField(_l("Questions per page"), default=2, validators=[InputRequired(), NumberRange(1, 50)])
    navigation = SelectField(_l("Navigation"))
    shuffle_questions = BooleanField(_l("Shuffle questions"))
    shuffle_options = BooleanField(_l("Shuffle options"), default=True)
    time_limit_minutes = WholeNumberField(_l("Time limit (minutes)"), validators=[Optional(), NumberRange(1, 600)])
    open_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    close_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    attempts_allowed = WholeNumberField(_l("Attempts allowed"), validators=[Optional(), NumberRange(1, 100)])
    grading_method = SelectField(_l("Grade over attempts"))
    pass_mark = FiniteFloatField(_l("Pass mark (%)"), validators=[Optional(), NumberRange(0, 100)])
    review_when = SelectField(_l("Review shown"))
    review_own_answers = BooleanField(_l("Own answers"), default=True)
    review_marks = BooleanField(_l("Marks"), default=True)
    review_right_answers = BooleanField(_l("Right answers"), default=True)
    review_feedback = BooleanField(_l("Feedback"), default=True)
    sections = FieldList(FormField(SectionRow), label=_l("Section"), min_entries=1)

    def __init__(self, *args, **kwargs):
        from app.quiz.models import KIND_LABELS

        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(value=k.value, label=v) for k, v in KIND_LABELS.items()]
        self.navigation.choices = [SelectChoice("free", _l("Free")), SelectChoice("sequential", _l("Sequential"))]
        self.grading_method.choices = [SelectChoice("highest", _l("Highest")), SelectChoice("last", _l("Last")),
                                       SelectChoice("first", _l("First")), SelectChoice("average", _l("Average"))]
        self.review_when.choices = [SelectChoice("immediately", _l("Immediately after the attempt")),
                                    SelectChoice("after_close", _l("Only after the quiz closes"))]
