"""Messages from pure code, shown in the reader's language."""

from __future__ import annotations

from flask_babel import gettext

from app.bank.interchange import M
from app.bank.types import PayloadError


def translate(message) -> str:
    """An M message (or a PayloadError) in the current locale; other text as it is."""
    if isinstance(message, PayloadError):
        message = M("%(field)s: %(detail)s", field=message.field, detail=M(message.template, **message.params))
    if not isinstance(message, M):
        return str(message)
    params = {k: translate(v) if isinstance(v, M) else v for k, v in message.params.items()}
    text = gettext(message.template)
    return text % params if params else text
