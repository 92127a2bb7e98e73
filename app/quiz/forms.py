from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, FloatField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class GradeForm(FlaskForm):
    points = FieldList(FloatField(validators=[InputRequired(), NumberRange(min=0)]), min_entries=1)
    comment = TextAreaField(_l("Comment for the agent"), validators=[Optional(), Length(max=2000)])


class AssignForm(FlaskForm):
    employee_nos = StringField(_l("People (employee numbers, comma separated)"),
                               validators=[Optional(), Length(max=2000)])
    team_ids = SelectMultipleField(_l("Teams"), coerce=int, validate_choice=True)
    tiers = SelectMultipleField(_l("Tiers"), validate_choice=True)
    due_on = DateField(_l("Due date"), validators=[Optional()])

    def set_choices(self, teams, tier_labels):
        self.team_ids.choices = [SelectChoice(value=t.id, label=t.name) for t in teams]
        self.tiers.choices = [SelectChoice(value=k.value, label=v) for k, v in tier_labels.items()]
