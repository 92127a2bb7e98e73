"""The Aiken format: one-line question, lettered options, an ANSWER: line.

    客户要求退款时应先做什么？
    A. 直接退款
    B. 核实订单信息
    ANSWER: B

A question ends at its ANSWER: line or a blank line. Each malformed block
is reported on its own line (no question text, fewer than two options, no
ANSWER: line, an ANSWER: letter that is not an option, a letter used twice)
and the others are read, so "only the valid questions" imports them.
"""

from __future__ import annotations

import re

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report

OPTION = re.compile(r"^([A-Z])[.)．、]\s*(.+)$")
ANSWER = re.compile(r"^ANSWER\s*[:：]\s*([A-Z])\s*$", re.IGNORECASE)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """The (line number, text) lines of each question. A question ends at its
    ANSWER: line, at a blank line, or where a line that is not an option
    follows the options (the next question has begun)."""
    blocks, current = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current:
                blocks.append(current)
                current = []
            continue
        if current and OPTION.match(current[-1][1]) and not OPTION.match(line) and not ANSWER.match(line):
            blocks.append(current)
            current = []
        current.append((number, line))
        if ANSWER.match(line):
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


class AikenError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _question(block: list[tuple[int, str]]) -> ParsedQuestion:
    first_line = block[0][0]
    if ANSWER.match(block[0][1]):
        raise AikenError(first_line, M("ANSWER: without a question before it"))
    if OPTION.match(block[0][1]):
        raise AikenError(first_line, M("no question text before the options: a question is its text, then "
                                       "A. B. … and ANSWER:"))
    stem, options, letters, answer = [], [], [], None
    for number, line in block:
        option, chosen = OPTION.match(line), ANSWER.match(line)
        if chosen:
            answer = (number, chosen.group(1).upper())
        elif option and stem:
            letter = option.group(1)
            if letter in letters:
                raise AikenError(number, M("option %(letter)s appears twice", letter=letter))
            letters.append(letter)
            options.append(option.group(2).strip())
        else:
            stem.append(line)
    if answer is None:
        raise AikenError(first_line, M("the question has no ANSWER: line"))
    if len(options) < 2:
        raise AikenError(first_line, M("a question needs at least two options (A. … B. …)"))
    number, chosen = answer
    if chosen not in letters:
        raise AikenError(number, M("the answer %(answer)s is not one of the options %(options)s", answer=chosen,
                                   options=", ".join(letters)))
    return ParsedQuestion(type="single_choice", stem="\n".join(stem), line=first_line,
                          payload={"options": [{"text": text, "fraction": 1.0 if letter == chosen else 0.0,
                                                "feedback": ""} for letter, text in zip(letters, options, strict=True)]})


def parse_aiken(content: bytes) -> ParseResult:
    result = ParseResult()
    text = decode_or_report(content, result)
    if text is None:
        return result
    for block in _blocks(text):
        try:
            result.questions.append(_question(block))
        except AikenError as exc:
            result.error(exc.line, exc.args[0])
    return result


def write_aiken(questions: list[dict]) -> tuple[str, list[dict]]:
    out, skipped = [], []
    for q in questions:
        options = q["payload"].get("options", [])
        if q["type"] != "single_choice" or len(options) > 26:
            skipped.append(q)
            continue
        lines = [q["stem"].replace("\n", " ")]
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        lines += [f"{letters[i]}. {o['text']}" for i, o in enumerate(options)]
        lines.append(f"ANSWER: {letters[next(i for i, o in enumerate(options) if o['fraction'] == 1)]}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n", skipped
