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
    template: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template

    def localized(self) -> str:
        from flask_babel import gettext

        return gettext(self.template, **self.params) if self.params else gettext(self.template)

    def as_json(self) -> list:
        return [self.template, self.params]

    @classmethod
    def from_json(cls, data) -> Msg:
        if isinstance(data, str):
            return cls(data)
        template, params = data
        return cls(template, dict(params))


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
