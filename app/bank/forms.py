"""Forms for the trainer pages. One question form holds every type's rows;
the template shows the rows of the chosen type."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.bank.models import COMPETENCY_LABELS, TYPE_LABELS
from app.form_fields import FiniteFloatField, RowForm


def choices_of(pairs) -> list[SelectChoice]:
    return [SelectChoice(value=str(v), label=label) for v, label in pairs]


def competency_choices(blank=None):
    head = [("", blank)] if blank else []
    return choices_of(head + [(c.value, label) for c, label in COMPETENCY_LABELS.items()])


def type_choices(blank=None):
    head = [("", blank)] if blank else []
    return choices_of(head + list(TYPE_LABELS.items()))


class QuestionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    area = SelectField(_l("Area"), validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
    type = SelectField(_l("Type"), validators=[Optional()])
    competency = SelectField(_l("Competency"), validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = choices_of([("", _l("All areas"))] + [(a, a) for a in areas])
        self.type.choices = type_choices(_l("All types"))
        self.competency.choices = competency_choices(_l("All competencies"))
        self.difficulty.choices = choices_of([("", _l("Any difficulty"))] + [(str(n), str(n)) for n in range(1, 6)])
        self.status.choices = choices_of([("active", _l("Active")), ("retired", _l("Retired")), ("all", _l("All"))])


class OptionRow(RowForm):
    text = StringField(_l("Option"), validators=[Optional(), Length(max=1000)])
    fraction = FiniteFloatField(_l("Credit (−1…1)"), default=0, validators=[Optional(), NumberRange(-1, 1)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=1000)])
    # the text's format when a file brought one (markdown, html); kept through an edit
    format = HiddenField()


class AnswerRow(RowForm):
    text = StringField(_l("Accepted answer"), validators=[Optional(), Length(max=500)])
    fraction = FiniteFloatField(_l("Credit (0…1)"), default=1, validators=[Optional(), NumberRange(0, 1)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=1000)])


class NumericRow(RowForm):
    value = FiniteFloatField(_l("Value"), validators=[Optional()])
    tolerance = FiniteFloatField(_l("Tolerance (±)"), default=0, validators=[Optional(), NumberRange(min=0)])
    fraction = FiniteFloatField(_l("Credit (0…1)"), default=1, validators=[Optional(), NumberRange(0, 1)])
    feedback = StringField(_l("Feedback"), validators=[Optional(), Length(max=1000)])


class PairRow(RowForm):
    left = StringField(_l("Left"), validators=[Optional(), Length(max=500)])
    right = StringField(_l("Right"), validators=[Optional(), Length(max=500)])
    format = HiddenField()  # of the left text, as for options


class ItemRow(RowForm):
    text = StringField(_l("Item"), validators=[Optional(), Length(max=500)])


class RubricRow(RowForm):
    criterion = StringField(_l("Criterion"), validators=[Optional(), Length(max=300)])
    points = FiniteFloatField(_l("Points"), validators=[Optional(), NumberRange(min=0)])


class QuestionForm(FlaskForm):
    type_key = HiddenField(validators=[DataRequired()])
    category = StringField(_l("Category (area/topic)"), validators=[DataRequired(), Length(max=200)])
    tags = StringField(_l("Tags (comma separated)"), validators=[Optional(), Length(max=300)])
    competency = SelectField(_l("Competency"), validators=[DataRequired()])
    difficulty = IntegerField(_l("Difficulty (1–5)"), default=3, validators=[InputRequired(), NumberRange(1, 5)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    stem_format = SelectField(_l("Stem format"), choices=choices_of([("plain", _l("Plain text")),
                                                                  ("markdown", "Markdown"), ("html", "HTML")]))
    stem = TextAreaField(_l("Question text"), validators=[DataRequired(), Length(max=10000)])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=10000)])

    options = FieldList(FormField(OptionRow), min_entries=0)
    grading = SelectField(_l("Scoring"), choices=choices_of([("partial", _l("Partial credit")),
                                                          ("all_or_nothing", _l("All or nothing"))]),
                          validate_choice=False)  # only sent for multiple choice; the type checks it
    correct = SelectField(_l("The statement is"), choices=choices_of([("true", _l("True")), ("false", _l("False"))]),
                          validate_choice=False)  # only sent for true/false
    feedback_true = StringField(_l("Feedback when answered true"), validators=[Optional(), Length(max=1000)])
    feedback_false = StringField(_l("Feedback when answered false"), validators=[Optional(), Length(max=1000)])
    answers = FieldList(FormField(AnswerRow), min_entries=0)
    case_sensitive = BooleanField(_l("Letter case matters"))
    numeric_answers = FieldList(FormField(NumericRow), min_entries=0)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    other_feedback = StringField(_l("Feedback for any other number"), validators=[Optional(), Length(max=1000)])
    items = FieldList(FormField(ItemRow), min_entries=0)
    pairs = FieldList(FormField(PairRow), min_entries=0)
    reference_answer = TextAreaField(_l("Reference answer"), validators=[Optional(), Length(max=10000)])
    key_points = TextAreaField(_l("Key points (one per line)"), validators=[Optional(), Length(max=5000)])
    rubric = FieldList(FormField(RubricRow), min_entries=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.competency.choices = competency_choices()


ROW_LISTS = {"options": "options", "answers": "answers", "numeric_answers": "numeric_answers",
             "items": "items", "pairs": "pairs", "rubric": "rubric"}


class ImportForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload.")),
                                             FileAllowed(["gift", "txt", "xml", "csv", "yaml", "yml"],
                                                         _l("Use a .gift, .txt, .xml, .csv or .yaml file."))])
    format = SelectField(_l("Format"), choices=choices_of([
        ("gift", "GIFT"), ("aiken", "Aiken"), ("moodlexml", "Moodle XML"), ("csv", "CSV"), ("yaml", "YAML")]))


class ImportCommitForm(FlaskForm):
    upload_key = HiddenField(validators=[DataRequired()])
    format = HiddenField(validators=[DataRequired()])
    only_valid = BooleanField(_l("Import only the valid questions"))


class TryForm(FlaskForm):
    response = HiddenField()
