"""The Aiken format: one-line question, lettered options, an ANSWER: line.

    客户要求退款时应先做什么？
    A. 直接退款
    B. 核实订单信息
    ANSWER: B
"""

from __future__ import annotations

import re

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report

OPTION = re.compile(r"^([A-Z])[.)．、]\s*(.+)$")
ANSWER = re.compile(r"^ANSWER\s*[:：]\s*([A-Z])\s*$", re.IGNORECASE)


def parse_aiken(content: bytes) -> ParseResult:
    result = ParseResult()
    text = decode_or_report(content, result)
    if text is None:
        return result
    stem, stem_line, options = None, 0, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = ANSWER.match(line)
        option = OPTION.match(line)
        if answer:
            if stem is None:
                result.error(number, M("ANSWER: without a question before it"))
            elif len(options) < 2:
                result.error(stem_line, M("a question needs at least two options (A. … B. …)"))
            else:
                letters = [letter for letter, _ in options]
                chosen = answer.group(1).upper()
                if chosen not in letters:
                    result.error(number, M("the answer %(answer)s is not one of the options %(options)s", answer=chosen, options=", ".join(letters)))
                else:
                    result.questions.append(ParsedQuestion(
                        type="single_choice", stem=stem, line=stem_line,
                        payload={"options": [{"text": t, "fraction": 1.0 if letter == chosen else 0.0,
                                              "feedback": ""} for letter, t in options]}))
            stem, options = None, []
        elif option and stem is not None:
            options.append((option.group(1), option.group(2).strip()))
        elif stem is None:
            stem, stem_line = line, number
        elif not options:
            stem = f"{stem}\n{line}"
        else:
            result.error(stem_line, M("the question has no ANSWER: line"))
            stem, stem_line, options = line, number, []
    if stem is not None:
        result.error(stem_line, M("the question has no ANSWER: line"))
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
