"""Forms of the scenario pages. The observation sheet is built from the
rubric at run time and read in routes.py (`read_sheet`)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.form_fields import FiniteFloatField


class SessionForm(FlaskForm):
    scenario_id = SelectField(_l("Role-play card"), coerce=int, validate_choice=True)
    agent = StringField(_l("Agent assessed (employee number)"), validators=[InputRequired(), Length(max=32)])
    observers = StringField(_l("Observers (employee numbers, comma separated)"),
                            validators=[InputRequired(), Length(max=1000)])
    customer_player = StringField(_l("Plays the customer (employee number, optional)"),
                                  validators=[Optional(), Length(max=32)])
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    supervisor_weight = FiniteFloatField(_l("Weight of a supervisor's sheet (a peer's counts 1)"),
                                   validators=[Optional(), NumberRange(min=1, max=10)])


class CloseForm(FlaskForm):
    summary = TextAreaField(_l("Summing up for the agent"), validators=[Optional(), Length(max=4000)])
