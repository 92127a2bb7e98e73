"""Moodle's GIFT format, read and written.

Covered: `//` comments, `$CATEGORY:`, `::title::`, the escapes
`\\~ \\= \\# \\{ \\} \\: \\\\` and `\\n` (anywhere, also in titles and
category names; a backslash before any other character is kept, as Moodle
does), multiple choice with `=`, `~`, `%50%` and negative weights (no `=`
means several answers may be right), true/false with feedback, short answer
(`{=a =b}`, and a single answer without `=` such as `{Paris}` when it is not
T/TRUE/F/FALSE), numerical (`#3.14:0.01`, ranges `#1..5`, several `=`
answers with weights, `~#feedback` for any other answer), matching
(`=a -> b`, and `= -> c` for a right-hand item that matches nothing),
essay (`{}`), per-answer `#` feedback and `####` general feedback, answers
embedded mid-sentence (the stem gets a blank), and description items (no
answer block), which are reported as skipped. Text before the first `=` or
`~` is an answer too, as in Moodle (a wrong option in a choice).

The format markers `[html]`, `[moodle]` (plain text), `[plain]` and
`[markdown]` may stand before any text: the stem, an answer, a pair's
sides, a feedback. A text without one takes the stem's format, as in
Moodle; accepted answers and a pair's right side, which are compared or
listed as typed text, are plain unless marked. See the package docstring
for where formats are kept and where texts become plain.

GIFT cannot hold ordering questions (export skips and reports them) nor the
reference answer and rubric of a case analysis (exported as a bare essay).
"""

from __future__ import annotations

import re

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report, plain_text, read_number, with_format
from app.bank.types.base import N_

BLANK = "_____"
FORMAT_MARKERS = {"html": "html", "moodle": "plain", "plain": "plain", "markdown": "markdown"}
MARKER = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")
SPECIAL = "~=#{}:"
ESCAPES = {**{char: char for char in SPECIAL}, "\\": "\\", "n": "\n"}
TRUE_FALSE = ("T", "TRUE", "F", "FALSE")


class GiftError(ValueError):
    """One GIFT item cannot be read; its message says why."""


# --- scanning helpers that respect backslash escapes -----------------------

def _find(text: str, target: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPES:
            out.append(ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out).strip()


def _split_feedback(text: str) -> tuple[str, str]:
    at = _find(text, "#")
    if at < 0:
        return text, ""
    return text[:at], text[at + 1:]


def _formatted(raw: str, default: str) -> tuple[str, str]:
    """(text, format): a leading [marker] sets the format, else `default`."""
    marker = MARKER.match(raw)
    if marker:
        return unescape(raw[marker.end():]), FORMAT_MARKERS[marker.group(1)]
    return unescape(raw), default


def _plain(raw: str, default: str = "plain") -> str:
    """A text the product shows or compares as plain text, marker removed."""
    return plain_text(*_formatted(raw, default))


# --- chunks ----------------------------------------------------------------

def _chunks(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each blank-line separated item, comments removed."""
    chunks, current, start = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                chunks.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        chunks.append((start, "\n".join(current)))
    return chunks


def _clean_category(path: str) -> str:
    parts = [unescape(p) for p in path.strip().split("/") if p.strip()]
    while parts and parts[0] in ("$course$", "$cat1$", "$cat2$", "$cat3$", "$system$", "$module$", "top", "Top"):
        parts.pop(0)
    return "/".join(parts)


def parse_gift(content: bytes) -> ParseResult:
    result = ParseResult()
    text = decode_or_report(content, result)
    if text is None:
        return result
    category = ""
    for line, chunk in _chunks(text):
        body = chunk.strip()
        # $CATEGORY lines may stand alone or head a question.
        while body.startswith("$CATEGORY:"):
            first, _, rest = body.partition("\n")
            category = _clean_category(first[len("$CATEGORY:"):])
            body = rest.strip()
            line += 1
        if not body:
            continue
        try:
            question = _parse_question(body, line)
        except GiftError as exc:
            result.error(line, exc.args[0])
            continue
        if question is None:
            result.skip(line, M("description item (no answer block): not a question"))
            continue
        question.category = category
        result.questions.append(question)
    return result


def _parse_question(body: str, line: int) -> ParsedQuestion | None:
    title = ""
    if body.startswith("::"):
        end = _find(body, "::", 2)
        if end < 0:
            raise GiftError(M("the title is not closed with ::"))
        title = unescape(body[2:end])
        body = body[end + 2:].lstrip()

    stem_format = "plain"
    marker = MARKER.match(body)
    if marker:
        stem_format = FORMAT_MARKERS[marker.group(1)]
        body = body[marker.end():]

    open_at = _find(body, "{")
    if open_at < 0:
        if _find(body, "}") >= 0:
            raise GiftError(M("a closing brace } has no opening brace {"))
        return None
    close_at = _find(body, "}", open_at + 1)
    if close_at < 0:
        raise GiftError(M("the answer block is not closed: { without }"))
    if _find(body, "{", close_at + 1) >= 0:
        raise GiftError(M("only one answer block {…} is allowed per question"))

    before, block, after = body[:open_at], body[open_at + 1:close_at], body[close_at + 1:]
    stem = unescape(before)
    if after.strip():
        stem = f"{unescape(before)} {BLANK} {unescape(after)}".strip()
    block, general_feedback = _split_general_feedback(block)
    qtype, payload = _parse_block(block.strip(), stem_format)
    if not stem:
        raise GiftError(M("the question has no text"))
    return ParsedQuestion(type=qtype, stem=stem, payload=payload, title=title, stem_format=stem_format,
                          general_feedback=_plain(general_feedback, stem_format), line=line)


def _split_general_feedback(block: str) -> tuple[str, str]:
    at = _find(block, "####")
    if at < 0:
        return block, ""
    return block[:at], block[at + 4:]


def _weight(text: str) -> tuple[float | None, str]:
    """(fraction, rest) for a leading %n%, or (None, text)."""
    if not text.startswith("%"):
        return None, text
    end = text.find("%", 1)
    if end < 0:
        raise GiftError(M("bad weight in “%(value)s”: %%n%% is not closed", value=text[:20]))
    raw = text[1:end]
    percent = read_number(raw)
    if percent is None:
        raise GiftError(M("bad weight “%%%(value)s%%”: not a number", value=raw))
    if not -100 <= percent <= 100:
        raise GiftError(M("bad weight “%%%(value)s%%”: must be between -100 and 100", value=raw))
    return round(percent / 100, 7), text[end + 1:]


def _answers(block: str) -> list[tuple[str | None, str]]:
    """(marker, text) for each answer starting with an unescaped = or ~; text
    before the first marker is an answer too (marker None), as in Moodle."""
    answers, i, start, marker = [], 0, 0, None
    while i < len(block):
        char = block[i]
        if char == "\\":
            i += 2
            continue
        if char in "=~":
            if marker is not None or block[start:i].strip():
                answers.append((marker, block[start:i]))
            marker, start = char, i + 1
        i += 1
    if marker is not None or block[start:].strip():
        answers.append((marker, block[start:]))
    return answers


def _parse_block(block: str, text_format: str) -> tuple[str, dict]:
    if not block:
        return "case_analysis", {"reference_answer": "", "key_points": [], "rubric": []}
    if block.startswith("#"):
        return "numeric", _numeric(block[1:], text_format)
    head, feedback = _split_feedback(block)
    if unescape(head).upper() in TRUE_FALSE:
        return "true_false", _true_false(unescape(head).upper().startswith("T"), feedback, text_format)
    answers = _answers(block)
    if any(marker == "~" for marker, _ in answers):
        return _choice(answers, text_format)
    if any(_find(text, "->") >= 0 for _, text in answers):
        return "matching", _matching(answers, text_format)
    return "fill_blank", _short_answer(answers, text_format)


def _true_false(correct: bool, feedback: str, text_format: str) -> dict:
    wrong, right = _split_feedback(feedback) if feedback else ("", "")
    # GIFT: the first feedback is for a wrong answer, the second for a right one.
    wrong, right = _plain(wrong, text_format), _plain(right, text_format)
    return {"correct": correct,
            "feedback_true": right if correct else wrong,
            "feedback_false": wrong if correct else right}


def _choice(answers: list[tuple[str | None, str]], text_format: str) -> tuple[str, dict]:
    options = []
    for marker, raw in answers:
        weight, rest = _weight(raw.strip())
        text, feedback = _split_feedback(rest)
        if marker == "=":
            fraction = 1.0 if weight is None else weight
        else:
            fraction = 0.0 if weight is None else weight
        text, option_format = _formatted(text, text_format)
        if not text:
            raise GiftError(M("an answer option is empty"))
        options.append(with_format({"text": text, "fraction": fraction, "feedback": _plain(feedback, text_format)},
                                   option_format))
    right = sum(1 for marker, _ in answers if marker == "=")
    return ("single_choice" if right == 1 else "multiple_choice"), {"options": options}


def _matching(answers: list[tuple[str | None, str]], text_format: str) -> dict:
    pairs, distractors = [], []
    for _, raw in answers:
        at = _find(raw, "->")
        if at < 0:
            raise GiftError(M("some answers are matching pairs (->) and some are not"))
        left, left_format = _formatted(raw[:at], text_format)
        right = _plain(_split_feedback(raw[at + 2:])[0])
        if not right:
            raise GiftError(M("a matching pair has nothing after ->"))
        if left:
            pairs.append(with_format({"left": left, "right": right}, left_format))
        else:  # `= -> item`: a right-hand item that matches nothing
            distractors.append(right)
    return {"pairs": pairs, "distractors": distractors} if distractors else {"pairs": pairs}


def _short_answer(answers: list[tuple[str | None, str]], text_format: str) -> dict:
    result = []
    for _, raw in answers:
        weight, rest = _weight(raw.strip())
        text, feedback = _split_feedback(rest)
        text = _plain(text)
        if not text:
            raise GiftError(M("an accepted answer is empty"))
        result.append({"text": text, "fraction": 1.0 if weight is None else weight,
                       "feedback": _plain(feedback, text_format)})
    return {"answers": result}


NOT_FINITE = {
    "value": N_("answer %(n)d: the value “%(value)s” is not a finite number"),
    "tolerance": N_("answer %(n)d: the tolerance “%(value)s” is not a finite number"),
    "range": N_("answer %(n)d: the range end “%(value)s” is not a finite number"),
}


def _number(text: str, what: str, number: int) -> float:
    value = read_number(text)
    if value is None:
        raise GiftError(M(NOT_FINITE[what], n=number, value=text.strip()))
    return value


def _numeric_answer(text: str, fraction: float, feedback: str, number: int) -> dict:
    if ".." in text:
        low, high = (_number(part, "range", number) for part in text.split("..", 1))
        if low > high:
            raise GiftError(M("the range %(value)s runs backwards", value=text))
        # halves first: the sum of two large ends would overflow to infinity
        value, tolerance = low / 2 + high / 2, high / 2 - low / 2
    elif ":" in text:
        value_text, tolerance_text = text.split(":", 1)
        value, tolerance = _number(value_text, "value", number), abs(_number(tolerance_text, "tolerance", number))
    else:
        value, tolerance = _number(text, "value", number), 0.0
    return {"value": value, "tolerance": tolerance, "fraction": fraction, "feedback": feedback}


def _numeric(block: str, text_format: str) -> dict:
    # As in Moodle, everything after the first ~ is the feedback for any other answer.
    other_feedback = ""
    wrong_at = _find(block, "~")
    if wrong_at >= 0:
        block, other = block[:wrong_at], block[wrong_at + 1:]
        other_feedback = _plain(_split_feedback(other)[1], text_format)
    answers = []
    for number, (_, raw) in enumerate(_answers(block.strip()), start=1):
        weight, rest = _weight(raw.strip())
        text, feedback = _split_feedback(rest)
        text, feedback = _plain(text), _plain(feedback, text_format)
        if text == "*":
            if weight:
                raise GiftError(M("answer %(n)d: “*” (any answer) worth %(percent)s%% would give credit for "
                                  "every response", n=number, percent=f"{weight * 100:g}"))
            other_feedback = other_feedback or feedback
            continue
        answers.append(_numeric_answer(text, 1.0 if weight is None else weight, feedback, number))
    if not answers:
        raise GiftError(M("a numerical question needs at least one number after #"))
    payload = {"answers": answers}
    if other_feedback:
        payload["other_feedback"] = other_feedback
    return payload


# --- writing ---------------------------------------------------------------

def escape(text: str) -> str:
    out = []
    for char in str(text):
        if char in SPECIAL or char == "\\":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.10g}"


def _number_text(value: float) -> str:
    return f"{value:.15g}"


def _text_out(text: str, text_format: str, default: str) -> str:
    """A text with a marker when its format is not the one a reader assumes (as Moodle writes)."""
    if not text:
        return ""
    return (f"[{text_format}]" if text_format != default else "") + escape(text)


def _feedback(text: str, stem_format: str) -> str:
    return f" #{_text_out(text, 'plain', stem_format)}" if text else ""


def _weighted(fraction: float) -> str:
    return f"%{_percent(fraction)}%" if fraction != 1 else ""


def write_question(q: dict) -> str:
    qtype, payload = q["type"], q["payload"]
    head = f"::{escape(q.get('title') or '')}::" if q.get("title") else ""
    stem_format = q.get("stem_format", "plain")
    marker = {"html": "[html]", "markdown": "[markdown]"}.get(stem_format, "")
    stem = escape(q["stem"])
    if qtype in ("single_choice", "multiple_choice"):
        lines = []
        for option in payload["options"]:
            fraction = option["fraction"]
            if qtype == "single_choice" and fraction == 1:
                prefix = "="
            else:
                prefix = f"~%{_percent(fraction)}%" if fraction else "~"
            text = _text_out(option["text"], option.get("format", "plain"), stem_format)
            lines.append(f"\t{prefix}{text}{_feedback(option.get('feedback', ''), stem_format)}")
        block = "\n" + "\n".join(lines) + "\n"
    elif qtype == "true_false":
        correct = payload["correct"]
        right = payload.get("feedback_true" if correct else "feedback_false", "")
        wrong = payload.get("feedback_false" if correct else "feedback_true", "")
        block = ("TRUE" if correct else "FALSE") + (
            f"#{_text_out(wrong, 'plain', stem_format)}#{_text_out(right, 'plain', stem_format)}"
            if (wrong or right) else "")
    elif qtype == "fill_blank":
        block = " ".join(f"={_weighted(a['fraction'])}{escape(a['text'])}{_feedback(a.get('feedback', ''), stem_format)}"
                         for a in payload["answers"])
    elif qtype == "numeric":
        answers = [f"={_weighted(a['fraction'])}{_number_text(a['value'])}:{_number_text(a['tolerance'])}"
                   f"{_feedback(a.get('feedback', ''), stem_format)}" for a in payload["answers"]]
        if payload.get("other_feedback"):
            answers.append(f"~#{_text_out(payload['other_feedback'], 'plain', stem_format)}")
        block = "#" + " ".join(answers)
    elif qtype == "matching":
        lines = [f"\t={_text_out(p['left'], p.get('format', 'plain'), stem_format)} -> {escape(p['right'])}"
                 for p in payload["pairs"]]
        lines += [f"\t= -> {escape(item)}" for item in payload.get("distractors", [])]
        block = "\n" + "\n".join(lines) + "\n"
    elif qtype == "case_analysis":
        block = ""
    else:
        raise ValueError(f"GIFT cannot hold {qtype} questions")
    general = f"####{_text_out(q['general_feedback'], 'plain', stem_format)}" if q.get("general_feedback") else ""
    return f"{head}{marker}{stem} {{{block}{general}}}"


def write_gift(questions: list[dict]) -> tuple[str, list[dict]]:
    """GIFT text, and the questions GIFT cannot hold (ordering), skipped."""
    out, skipped, category = [], [], None
    for q in questions:
        if q["type"] == "ordering":
            skipped.append(q)
            continue
        if q.get("category") and q["category"] != category:
            category = q["category"]
            out.append(f"$CATEGORY: {escape(category)}\n")
        out.append(write_question(q) + "\n")
    return "\n".join(out), skipped
