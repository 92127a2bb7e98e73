from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.auth.models import LADDER_LABELS, ROLE_LABELS, TIER_LABELS, Role, Team, User
from app.auth.user_import import EMPLOYEE_NO_RE
from app.extensions import db


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def _team_choices(blank_label):
    teams = db.session.scalars(select(Team).order_by(Team.name))
    return options([("", blank_label)] + [(str(t.id), t.name) for t in teams])


def _labels(labels):
    return options((key.value, label) for key, label in labels.items())


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Role"), validators=[Optional()])
    team = SelectField(_l("Team"), validators=[Optional()])
    tier = SelectField(_l("Tier"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = options([("", _l("All roles"))]) + _labels(ROLE_LABELS)
        self.team.choices = _team_choices(_l("All teams")) + options([("none", _l("No team"))])
        self.tier.choices = options([("", _l("All tiers"))]) + _labels(TIER_LABELS)
        self.status.choices = options([("active", _l("Active")), ("inactive", _l("Deactivated")), ("all", _l("All"))])


class UserForm(FlaskForm):
    employee_no = StringField(_l("Employee number"), validators=[
        DataRequired(), Length(max=32),
        Regexp(EMPLOYEE_NO_RE.pattern, message=_l("Letters, digits, - and _ only.")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    email = StringField(_l("Email"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"))
    team_id = SelectField(_l("Team"))
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    tier = SelectField(_l("Tier"))
    ladder_level = SelectField(_l("Career level"))
    cleared_for_live_on = DateField(_l("Cleared for live work on"), validators=[Optional()])
    locale = SelectField(_l("Language"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _labels(ROLE_LABELS)
        self.team_id.choices = _team_choices(_l("No team"))
        self.tier.choices = _labels(TIER_LABELS)
        self.ladder_level.choices = _labels(LADDER_LABELS)
        self.locale.choices = options([("", _l("Organisation default")), ("zh_CN", "中文"), ("en", "English")])


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    manager_ids = SelectMultipleField(_l("Managers"), coerce=int, validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers = db.session.scalars(
            select(User).where(User.role == Role.MANAGER.value, User.is_active).order_by(User.name)
        )
        self.manager_ids.choices = options((m.id, f"{m.name} ({m.employee_no})") for m in managers)


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(["csv", "xlsx"], _l("Only .csv and .xlsx files are accepted.")),
    ])


class ImportCommitForm(FlaskForm):
    upload_key = HiddenField(validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    employee_no = StringField(_l("Acts as (employee number)"), validators=[DataRequired(), Length(max=32)])
