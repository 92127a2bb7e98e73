"""Moodle's GIFT format, read and written.

Covered: `//` comments, `$CATEGORY:`, `::title::`, `[html]`/`[moodle]`/
`[markdown]`/`[plain]`, the escapes `\\~ \\= \\# \\{ \\} \\:` and `\\n`,
multiple choice with `=`, `~`, `%50%` and negative weights (no `=` means
several answers may be right), true/false with feedback, short answer,
numerical (`#3.14:0.01`, ranges `#1..5`, several `=` answers), matching
(`=a -> b`), essay (`{}`), per-answer `#` feedback and `####` general
feedback, answers embedded mid-sentence (the stem gets a blank), and
description items (no answer block), which are reported as skipped.

GIFT cannot hold ordering questions (export skips and reports them) nor the
reference answer and rubric of a case analysis (exported as a bare essay).
"""

from __future__ import annotations

import re

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report

BLANK = "_____"
FORMAT_MARKERS = {"html": "html", "moodle": "plain", "plain": "plain", "markdown": "markdown"}
SPECIAL = "~=#{}:"


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
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
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
    parts = [p.strip() for p in path.strip().split("/") if p.strip()]
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
    marker = re.match(r"^\[(html|moodle|plain|markdown)\]", body)
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
    qtype, payload = _parse_block(block.strip())
    if not stem:
        raise GiftError(M("the question has no text"))
    return ParsedQuestion(type=qtype, stem=stem, payload=payload, title=title, stem_format=stem_format,
                          general_feedback=general_feedback, line=line)


def _split_general_feedback(block: str) -> tuple[str, str]:
    at = _find(block, "####")
    if at < 0:
        return block, ""
    return block[:at], unescape(block[at + 4:])


def _weight(text: str) -> tuple[float | None, str]:
    """(fraction, rest) for a leading %n%, or (None, text)."""
    if not text.startswith("%"):
        return None, text
    end = text.find("%", 1)
    if end < 0:
        raise GiftError(M("bad weight in “%(value)s”: %%n%% is not closed", value=text[:20]))
    raw = text[1:end]
    try:
        percent = float(raw)
    except ValueError:
        raise GiftError(M("bad weight “%%%(value)s%%”: not a number", value=raw)) from None
    if not -100 <= percent <= 100:
        raise GiftError(M("bad weight “%%%(value)s%%”: must be between -100 and 100", value=raw))
    return round(percent / 100, 7), text[end + 1:]


def _answers(block: str) -> list[tuple[str, str]]:
    """(marker, text) for each answer starting with an unescaped = or ~."""
    answers, i, start, marker = [], 0, None, None
    while i < len(block):
        char = block[i]
        if char == "\\":
            i += 2
            continue
        if char in "=~":
            if marker is not None:
                answers.append((marker, block[start:i]))
            marker, start = char, i + 1
        i += 1
    if marker is not None:
        answers.append((marker, block[start:]))
    elif block.strip():
        raise GiftError(M("cannot read the answers “%(value)s”: answers start with = or ~", value=block.strip()[:40]))
    return answers


def _parse_block(block: str) -> tuple[str, dict]:
    if not block:
        return "case_analysis", {"reference_answer": "", "key_points": [], "rubric": []}
    if block.startswith("#"):
        return "numeric", _numeric(block[1:])
    head, feedback = _split_feedback(block)
    if head.strip().upper() in ("T", "TRUE", "F", "FALSE"):
        return "true_false", _true_false(head.strip().upper().startswith("T"), feedback)
    answers = _answers(block)
    if any(marker == "~" for marker, _ in answers):
        return _choice(answers)
    if all(_find(text, "->") >= 0 for _, text in answers):
        return "matching", _matching(answers)
    if any(_find(text, "->") >= 0 for _, text in answers):
        raise GiftError(M("some answers are matching pairs (->) and some are not"))
    return "fill_blank", _short_answer(answers)


def _true_false(correct: bool, feedback: str) -> dict:
    wrong, _, right = feedback.partition("#") if feedback else ("", "", "")
    # GIFT: the first feedback is for a wrong answer, the second for a right one.
    wrong, right = unescape(wrong), unescape(right)
    return {"correct": correct,
            "feedback_true": right if correct else wrong,
            "feedback_false": wrong if correct else right}


def _choice(answers: list[tuple[str, str]]) -> tuple[str, dict]:
    options, has_equals = [], any(marker == "=" for marker, _ in answers)
    for marker, raw in answers:
        weight, rest = _weight(raw.strip())
        text, feedback = _split_feedback(rest)
        if marker == "=":
            fraction = 1.0 if weight is None else weight
        else:
            fraction = 0.0 if weight is None else weight
        if not unescape(text):
            raise GiftError(M("an answer option is empty"))
        options.append({"text": unescape(text), "fraction": fraction, "feedback": unescape(feedback)})
    qtype = "single_choice" if has_equals and sum(1 for m, _ in answers if m == "=") == 1 else "multiple_choice"
    return qtype, {"options": options}


def _matching(answers: list[tuple[str, str]]) -> dict:
    pairs = []
    for _, raw in answers:
        at = _find(raw, "->")
        left, right = unescape(raw[:at]), unescape(_split_feedback(raw[at + 2:])[0])
        if not right:
            raise GiftError(M("a matching pair has nothing after ->"))
        pairs.append({"left": left, "right": right})
    return {"pairs": pairs}


def _short_answer(answers: list[tuple[str, str]]) -> dict:
    result = []
    for _, raw in answers:
        weight, rest = _weight(raw.strip())
        text, feedback = _split_feedback(rest)
        if not unescape(text):
            raise GiftError(M("an accepted answer is empty"))
        result.append({"text": unescape(text), "fraction": 1.0 if weight is None else weight,
                       "feedback": unescape(feedback)})
    return {"answers": result}


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise GiftError(M("“%(value)s” is not a number", value=text.strip())) from None


def _numeric_answer(raw: str, fraction: float) -> dict:
    text, feedback = _split_feedback(raw)
    text = unescape(text)
    if ".." in text:
        low, high = (_number(p) for p in text.split("..", 1))
        if low > high:
            raise GiftError(M("the range %(value)s runs backwards", value=text))
        value, tolerance = (low + high) / 2, (high - low) / 2
    elif ":" in text:
        value_text, tolerance_text = text.split(":", 1)
        value, tolerance = _number(value_text), abs(_number(tolerance_text))
    else:
        value, tolerance = _number(text), 0.0
    return {"value": value, "tolerance": tolerance, "fraction": fraction, "feedback": unescape(feedback)}


def _numeric(block: str) -> dict:
    block = block.strip()
    if block.startswith("="):
        answers = []
        for marker, raw in _answers(block):
            if marker != "=":
                raise GiftError(M("numerical answers start with ="))
            weight, rest = _weight(raw.strip())
            answers.append(_numeric_answer(rest, 1.0 if weight is None else weight))
        return {"answers": answers}
    return {"answers": [_numeric_answer(block, 1.0)]}


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


def _feedback(text: str) -> str:
    return f" #{escape(text)}" if text else ""


def write_question(q: dict) -> str:
    qtype, payload = q["type"], q["payload"]
    head = f"::{escape(q.get('title') or '')}::" if q.get("title") else ""
    marker = {"html": "[html]", "markdown": "[markdown]"}.get(q.get("stem_format", "plain"), "")
    stem = escape(q["stem"])
    if qtype in ("single_choice", "multiple_choice"):
        lines = []
        for option in payload["options"]:
            fraction = option["fraction"]
            if qtype == "single_choice" and fraction == 1:
                prefix = "="
            else:
                prefix = f"~%{_percent(fraction)}%" if fraction else "~"
            lines.append(f"\t{prefix}{escape(option['text'])}{_feedback(option.get('feedback', ''))}")
        block = "\n" + "\n".join(lines) + "\n"
    elif qtype == "true_false":
        correct = payload["correct"]
        right = payload.get("feedback_true" if correct else "feedback_false", "")
        wrong = payload.get("feedback_false" if correct else "feedback_true", "")
        block = ("TRUE" if correct else "FALSE") + (f"#{escape(wrong)}#{escape(right)}" if (wrong or right) else "")
    elif qtype == "fill_blank":
        block = " ".join(f"={'%' + _percent(a['fraction']) + '%' if a['fraction'] != 1 else ''}"
                         f"{escape(a['text'])}{_feedback(a.get('feedback', ''))}" for a in payload["answers"])
    elif qtype == "numeric":
        block = "#" + " ".join(
            f"={'%' + _percent(a['fraction']) + '%' if a['fraction'] != 1 else ''}{a['value']:g}:{a['tolerance']:g}"
            f"{_feedback(a.get('feedback', ''))}" for a in payload["answers"])
    elif qtype == "matching":
        block = "\n" + "\n".join(f"\t={escape(p['left'])} -> {escape(p['right'])}" for p in payload["pairs"]) + "\n"
    elif qtype == "case_analysis":
        block = ""
    else:
        raise ValueError(f"GIFT cannot hold {qtype} questions")
    general = f"####{escape(q['general_feedback'])}" if q.get("general_feedback") else ""
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
            out.append(f"$CATEGORY: {category}\n")
        out.append(write_question(q) + "\n")
    return "\n".join(out), skipped
