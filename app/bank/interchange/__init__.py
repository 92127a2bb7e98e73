"""Question interchange: GIFT, Aiken, Moodle XML, CSV and YAML. Pure.

Every reader turns a file's bytes into a `ParseResult` of questions in the
interchange shape (the contract `questions import --dry-run --json` prints):

    {"type", "category", "title", "stem", "stem_format", "general_feedback", "tags", "payload"}

with payloads such as {"options": [{"text", "fraction", "feedback"}]} for
choices (fractions −1…1, as Moodle writes percentages), {"correct", ...} for
true/false, {"answers": [...]} for fill-in and numeric, {"pairs": [...]},
{"items": [...]} and {"reference_answer", "key_points", "rubric"}.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class M(str):
    """A message in English that keeps its template and values, so the web
    layer can show it in the reader's language (pybabel extracts M("…"))."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        message = super().__new__(cls, template % params if params else template)
        message.template, message.params = template, params
        return message


@dataclass
class ParsedQuestion:
    type: str
    stem: str
    payload: dict
    category: str = ""
    title: str = ""
    stem_format: str = "plain"
    general_feedback: str = ""
    tags: list[str] = field(default_factory=list)
    line: int = 0

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("line")
        return data


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors.append({"line": line, "message": message})

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append({"line": line, "reason": reason})

    def as_json(self) -> dict:
        return {"questions": [q.as_json() for q in self.questions], "errors": self.errors, "skipped": self.skipped}


class UnreadableFile(ValueError):
    """The file as a whole cannot be decoded or read."""


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(M("the file is neither UTF-8 nor GBK text"))


def decode_or_report(content: bytes, result: ParseResult) -> str | None:
    """The text, or None with the reason recorded as an error on line 1."""
    try:
        return decode_text(content)
    except UnreadableFile as exc:
        result.error(1, exc.args[0])
        return None


FORMATS = ("gift", "aiken", "moodlexml", "csv", "yaml")


def parse(format_name: str, content: bytes) -> ParseResult:
    from app.bank.interchange import aiken, csv_format, gift, moodlexml, yaml_format

    readers = {"gift": gift.parse_gift, "aiken": aiken.parse_aiken, "moodlexml": moodlexml.parse_moodle_xml,
               "csv": csv_format.parse_csv, "yaml": yaml_format.parse_yaml}
    if format_name not in readers:
        raise UnreadableFile(M("unknown format “%(name)s”; use one of %(known)s", name=format_name,
                               known=", ".join(FORMATS)))
    return readers[format_name](content)
