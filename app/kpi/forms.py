"""Forms of the KPI pages. The column mapping is built from the file's
headers at run time and read in routes.py (`read_mapping`)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.form_fields import FiniteFloatField


class KpiUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(["csv", "xlsx", "txt"], _l("Only .csv and .xlsx files are accepted.")),
    ])
    encoding = SelectField(_l("Text encoding (CSV)"), choices=[
        SelectChoice("", _l("Detect (UTF-8, else GBK)")), SelectChoice("utf-8", "UTF-8"),
        SelectChoice("gb18030", "GBK / GB18030")])


class MetricForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[InputRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=100)])
    direction = SelectField(_l("Direction"))
    aggregation = SelectField(_l("Month from finer rows"))
    min_contacts = IntegerField(_l("Minimum contacts for a month to count"), validators=[InputRequired(),
                                                                                       NumberRange(0, 1_000_000)])
    bands = TextAreaField(_l("Bands (one per line: threshold = points)"), validators=[InputRequired(),
                                                                                     Length(max=2000)])
    interpolate = BooleanField(_l("Linear between thresholds"))
    weight = FiniteFloatField(_l("Weight in the KPI dimension"), validators=[InputRequired(), NumberRange(0, 1000)])
    formula_zh = TextAreaField(_l("Formula (Chinese)"), validators=[Optional(), Length(max=2000)])
    formula_en = TextAreaField(_l("Formula (English)"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("In use"))
