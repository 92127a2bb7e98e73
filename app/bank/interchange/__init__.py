"""Question interchange: GIFT, Aiken, Moodle XML, CSV and YAML. Pure.

Every reader turns a file's bytes into a `ParseResult` of questions in the
interchange shape (the contract `questions import --dry-run --json` prints):

    {"type", "category", "title", "stem", "stem_format", "general_feedback", "tags", "payload"}

with payloads such as {"options": [{"text", "fraction", "feedback"}]} for
choices (fractions −1…1, as Moodle writes percentages), {"correct", ...} for
true/false, {"answers": [...]} for fill-in and numeric, {"pairs": [...]},
{"items": [...]} and {"reference_answer", "key_points", "rubric"}.

Texts the product renders as formatted text (the stem, choice options, the
left side of a matching pair) keep their format ("plain", "markdown",
"html"); options and pairs carry a "format" key only when it is not plain.
Everything else (feedback, accepted answers, the right side of a pair,
which is listed in a drop-down) is plain text: `plain_text` reduces HTML to
its text and keeps Markdown as written.

Besides questions, errors and skipped items, a reader reports warnings:
what it accepted but changed or left out, and why.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser


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
    warnings: list[dict] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors.append({"line": line, "message": message})

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append({"line": line, "reason": reason})

    def warn(self, line: int, message: str) -> None:
        self.warnings.append({"line": line, "message": message})

    def as_json(self) -> dict:
        return {"questions": [q.as_json() for q in self.questions], "errors": self.errors, "skipped": self.skipped,
                "warnings": self.warnings}


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def read_number(text: str) -> float | None:
    """A finite number written as a plain decimal (`3`, `-2.5`, `1e3`), else
    None: no `nan`, `inf`, `1e999`, hex or `1_000`, which float() accepts."""
    text = (text or "").strip()
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


TEXT_FORMATS = ("plain", "markdown", "html")


class _TextOfHtml(HTMLParser):
    BREAKS = {"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(text: str, text_format: str) -> str:
    """The text as plain text: HTML gives its words (tags gone, entities
    decoded, spaces collapsed); Markdown and plain text stay as written."""
    if text_format != "html":
        return text
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return " ".join("".join(parser.parts).split())


def with_format(item: dict, text_format: str) -> dict:
    """An option or pair with its format, which is only written when not plain."""
    return {**item, "format": text_format} if text_format != "plain" else item


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
