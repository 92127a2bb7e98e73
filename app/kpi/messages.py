"""Messages of the KPI engine in the reader's language.

The engine (parsing, files, importer, jobs) says what went wrong with a
`Msg`: a template marked for translation and its values. As text it is
English (logs, the CLI, the JSON API); pages show `Msg.localized()`, the
template translated into the reader's language. Messages survive being
stored (a job's preview and failure) as `[template, params]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(template: str) -> str:
    """Marks a template for extraction; translated when shown."""
    return template


@dataclass(frozen=True)
class Msg:
    """A template and its values; a value may itself be a Msg or a list of
    them (joined with commas), shown in the same language."""

    template: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % _values(self.params, str) if self.params else self.template

    def localized(self) -> str:
        from flask_babel import gettext

        if not self.params:
            return gettext(self.template)
        return gettext(self.template, **_values(self.params, lambda m: m.localized()))

    def as_json(self) -> list:
        return [self.template, {k: _to_json(v) for k, v in self.params.items()}]

    @classmethod
    def from_json(cls, data) -> Msg:
        if isinstance(data, str):
            return cls(data)
        template, params = data
        return cls(template, {k: _from_json(v) for k, v in params.items()})


def _values(params: dict, text) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, Msg):
            value = text(value)
        elif isinstance(value, list):
            value = ", ".join(text(v) if isinstance(v, Msg) else str(v) for v in value)
        out[key] = value
    return out


def _to_json(value):
    if isinstance(value, Msg):
        return {"msg": value.as_json()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(value):
    if isinstance(value, dict) and "msg" in value:
        return Msg.from_json(value["msg"])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def msg(template: str, **params) -> Msg:
    return Msg(template, params)


class KpiProblem(ValueError):
    """Something the person importing must fix; `msg` says what."""

    def __init__(self, template: str, **params):
        self.msg = Msg(template, params)
        super().__init__(str(self.msg))


def shown(message) -> str:
    """A Msg in the reader's language; any other text as it is."""
    return message.localized() if isinstance(message, Msg) else ("" if message is None else str(message))
