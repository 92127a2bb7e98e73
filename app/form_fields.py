"""Form pieces shared by the browser forms: a number field that takes only
ordinary finite numbers, and an error summary that names each field.

WTForms' FloatField takes whatever Python's float() takes, so `nan`, `inf`
and `1e999` (which overflows to infinity) arrive as numbers; NaN then slips
through NumberRange because every comparison with it is false.
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FloatField, Form, FormField, IntegerField
from wtforms.validators import StopValidation

NOT_A_NUMBER = _l("Enter an ordinary number, such as 60 or 2.5.")


class _OneMessage:
    """Text that is not a number gets one message, not also a range error about the missing value."""

    def pre_validate(self, form):
        # A blank field is left to Optional()/InputRequired(); only typed text that is no number stops here.
        typed = self.raw_data and str(self.raw_data[0]).strip()
        if self.process_errors and typed:
            raise StopValidation()


class WholeNumberField(_OneMessage, IntegerField):
    """An IntegerField whose refusal of `1e999` or `abc` is its only message."""


class FiniteFloatField(_OneMessage, FloatField):
    """A FloatField that refuses NaN, infinities and numbers too large for a float."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0]
        if raw is None or str(raw).strip() == "":
            self.data = None
            return
        try:
            number = float(raw)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            self.data = None
            raise ValueError(NOT_A_NUMBER)
        self.data = number


def error_summary(form, prefix: str = "") -> list[str]:
    """Every field error as "Label: message", sections of a FieldList
    numbered ("Section 2 · Marks per question: …"), so a long form says at
    its top what to fix and where."""
    out = []
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField"):
            continue                    # not something the person typed; a bad token is refused elsewhere
        if isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                inner = f"{prefix}{field.label.text} {number} · "
                if isinstance(entry, FormField):
                    out.extend(error_summary(entry.form, inner))
                else:
                    out.extend(f"{inner}{message}" for message in entry.errors)
        elif isinstance(field, FormField):
            out.extend(error_summary(field.form, f"{prefix}{field.label.text} · "))
        else:
            out.extend(f"{prefix}{field.label.text}: {message}" for message in field.errors)
    return out


class RowForm(Form):
    """A row of a FieldList (an option, a section): a plain WTForms Form, as
    rows carry no CSRF token of their own, but with Flask-WTF's translations
    so its built-in messages ("Number must be between…") follow the reader's
    language like the rest of the page."""

    class Meta:
        def get_translations(self, form):
            from flask_wtf.i18n import translations

            return translations
