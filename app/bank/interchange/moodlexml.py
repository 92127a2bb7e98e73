"""Moodle XML: multichoice, truefalse, shortanswer, numerical, matching,
essay and category records, read and written. Files with a DOCTYPE are
refused (no entity expansion).

What Moodle accepts and the reader handles:
- a file of <question> elements without the <quiz> root: read as if they
  had one, with a warning;
- a multichoice with several answers (<single>false</single>) whose positive
  fractions add up to more than 100 %: Moodle gives full marks to any set
  whose fractions reach 100 %; the author almost always meant "these are the
  right ones". Imported as all-or-nothing (full marks only for exactly the
  right answers), the fractions scaled to add up to 100 %, with a warning;
- a numerical answer `*` (any other answer) with fraction 0: not an
  accepted value, left out with a warning; its feedback is kept for any
  other number;
- a matching subquestion without text: a distractor (a right-hand item that
  matches no left item);
- the format of each text: the stem, multichoice answers and matching
  subquestions keep theirs (missing means the stem's, as in Moodle);
  feedback becomes plain text (see the package docstring).
Description items and embedded-answer (cloze) questions are skipped with
the reason; other Moodle types are skipped with their name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405  (DOCTYPE refused before parsing)

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report, plain_text, read_number, with_format

FORMATS_IN = {"html": "html", "markdown": "markdown", "plain_text": "plain", "moodle_auto_format": "plain"}
FORMATS_OUT = {"html": "html", "markdown": "markdown", "plain": "plain_text"}
SKIPPED_KINDS = {
    "description": M("description item: not a question"),
    "cloze": M("embedded answers (cloze) question: not supported, its answers live inside its text"),
}


def _text(element, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _format_of(element, default: str) -> str:
    if element is None:
        return default
    return FORMATS_IN.get(element.get("format", ""), default)


def _plain_of(element, default: str) -> str:
    """The text of a feedback-like element as plain text."""
    return plain_text(_text(element), _format_of(element, default))


def _category(path: str) -> str:
    parts = [p for p in path.split("/") if p and p not in ("$course$", "$system$", "$module$", "top", "Top")]
    return "/".join(parts)


def _question_lines(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question\b", text)]


BARE_QUESTIONS = re.compile(r"\s*(<!--.*?-->\s*)*<question\b", re.DOTALL)


def _root(text: str, result: ParseResult):
    """The <quiz> element, or None with the reason recorded."""
    try:
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        root, syntax_error = None, exc
    if root is not None and root.tag == "quiz":
        return root
    if not BARE_QUESTIONS.match(text):
        if root is None:
            result.error(syntax_error.position[0], M("XML syntax error: %(detail)s", detail=str(syntax_error)))
        else:
            result.error(1, M("the root element must be <quiz>"))
        return None
    try:
        # no newline added: line numbers stay those of the file
        root = ET.fromstring(f"<quiz>{text}</quiz>")  # noqa: S314
    except ET.ParseError as exc:
        result.error(exc.position[0], M("XML syntax error: %(detail)s", detail=str(exc)))
        return None
    result.warn(1, M("the file has no <quiz> root element: its <question> elements were read as if they were inside one"))
    return root


def parse_moodle_xml(content: bytes) -> ParseResult:
    result = ParseResult()
    text = decode_or_report(content, result)
    if text is None:
        return result
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        result.error(1, M("DOCTYPE and ENTITY declarations are not accepted in Moodle XML"))
        return result
    text = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip())
    root = _root(text, result)
    if root is None:
        return result
    lines = _question_lines(text)
    category = ""
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else 1
        kind = element.get("type", "")
        if kind == "category":
            category = _category(_text(element.find("category")))
            continue
        if kind in SKIPPED_KINDS:
            result.skip(line, SKIPPED_KINDS[kind])
            continue
        reader = READERS.get(kind)
        if reader is None:
            result.skip(line, M("Moodle question type “%(kind)s” is not supported", kind=kind))
            continue
        question_text = element.find("questiontext")
        stem_format = _format_of(question_text, "html")
        notes: list[str] = []
        try:
            qtype, payload = reader(element, stem_format, notes)
        except ValueError as exc:
            result.error(line, exc.args[0])
            continue
        for note in notes:
            result.warn(line, note)
        tags = [_text(tag) for tag in element.findall("tags/tag")]
        result.questions.append(ParsedQuestion(
            type=qtype, payload=payload, line=line, category=category,
            title=_text(element.find("name")), stem=_text(question_text), stem_format=stem_format,
            general_feedback=_plain_of(element.find("generalfeedback"), stem_format), tags=[t for t in tags if t],
        ))
    return result


def _fraction(answer) -> float:
    raw = answer.get("fraction", "0")
    percent = read_number(raw)
    if percent is None:
        raise ValueError(M("bad fraction “%(value)s”", value=raw))
    if not -100 <= percent <= 100:
        raise ValueError(M("fraction %(value)s is outside -100…100", value=raw))
    return round(percent / 100, 7)


def _answers(element) -> list:
    return element.findall("answer")


def _multichoice(element, stem_format: str, notes: list):
    # Moodle reads a missing <single> as true
    single = (_text(element, "single") or "true").lower() in ("true", "1")
    options = [with_format({"text": _text(a), "fraction": _fraction(a),
                            "feedback": _plain_of(a.find("feedback"), stem_format)}, _format_of(a, stem_format))
               for a in _answers(element)]
    if single:
        return "single_choice", {"options": options}
    payload = {"options": options}
    positive = sum(o["fraction"] for o in options if o["fraction"] > 0)
    if positive > 1.0000001:
        right = sum(1 for o in options if o["fraction"] > 0)
        payload["options"] = [{**o, "fraction": round(o["fraction"] / positive, 7)} if o["fraction"] > 0 else o
                              for o in options]
        payload["grading"] = "all_or_nothing"
        notes.append(M("the right answers' fractions add up to %(sum)s%%: imported as all-or-nothing, full marks "
                       "only for choosing all %(n)d right answers and nothing else", sum=f"{positive * 100:g}", n=right))
    return "multiple_choice", payload


def _truefalse(element, stem_format: str, notes: list):
    correct, feedback = None, {}
    for answer in _answers(element):
        value = _text(answer).lower()
        if value not in ("true", "false"):
            raise ValueError(M("a true/false answer reads “%(value)s”", value=value))
        feedback[value] = _plain_of(answer.find("feedback"), stem_format)
        if _fraction(answer) == 1:
            correct = value == "true"
    if correct is None:
        raise ValueError(M("no true/false answer has fraction 100"))
    return "true_false", {"correct": correct, "feedback_true": feedback.get("true", ""),
                          "feedback_false": feedback.get("false", "")}


def _shortanswer(element, stem_format: str, notes: list):
    payload = {"answers": [{"text": _plain_of(a, "plain"), "fraction": _fraction(a),
                            "feedback": _plain_of(a.find("feedback"), stem_format)} for a in _answers(element)]}
    payload["case_sensitive"] = _text(element, "usecase") == "1"
    return "fill_blank", payload


def _numerical(element, stem_format: str, notes: list):
    answers, other_feedback = [], ""
    for number, a in enumerate(_answers(element), start=1):
        raw, fraction, feedback = _text(a), _fraction(a), _plain_of(a.find("feedback"), stem_format)
        if raw == "*":
            if fraction:
                raise ValueError(M("answer %(n)d: “*” (any answer) worth %(percent)s%% would give credit for "
                                   "every response", n=number, percent=f"{fraction * 100:g}"))
            other_feedback = feedback
            notes.append(M("answer %(n)d: “*” (any other answer) is not an accepted value and was left out; "
                           "its feedback is shown for any other number", n=number))
            continue
        value = read_number(raw)
        if value is None:
            raise ValueError(M("answer %(n)d: the value “%(value)s” is not a finite number", n=number, value=raw))
        tolerance_text = _text(a, "tolerance") or "0"
        tolerance = read_number(tolerance_text)
        if tolerance is None:
            raise ValueError(M("answer %(n)d: the tolerance “%(value)s” is not a finite number", n=number,
                               value=tolerance_text))
        answers.append({"value": value, "tolerance": tolerance, "fraction": fraction, "feedback": feedback})
    payload = {"answers": answers}
    if other_feedback:
        payload["other_feedback"] = other_feedback
    return "numeric", payload


def _matching(element, stem_format: str, notes: list):
    pairs, distractors = [], []
    for sub in element.findall("subquestion"):
        left_format = _format_of(sub, stem_format)
        left, right = _text(sub), _text(sub.find("answer"))
        if plain_text(left, left_format):
            pairs.append(with_format({"left": left, "right": right}, left_format))
        elif right:  # Moodle: a subquestion without text is an extra, wrong choice
            distractors.append(right)
    return "matching", ({"pairs": pairs, "distractors": distractors} if distractors else {"pairs": pairs})


def _essay(element, stem_format: str, notes: list):
    return "case_analysis", {"reference_answer": _plain_of(element.find("graderinfo"), "html"),
                             "key_points": [], "rubric": []}


READERS = {"multichoice": _multichoice, "truefalse": _truefalse, "shortanswer": _shortanswer,
           "numerical": _numerical, "matching": _matching, "essay": _essay}


# --- writing ---------------------------------------------------------------

def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        ET.SubElement(element, "text").text = str(text)
    return element


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.10g}"


def _number_text(value: float) -> str:
    return f"{value:.15g}"


def _feedback(answer, text: str) -> None:
    _sub(answer, "feedback", text or "", format="plain_text")


def write_moodle_xml(questions: list[dict]) -> tuple[str, list[dict]]:
    quiz, skipped, category = ET.Element("quiz"), [], None
    for q in questions:
        qtype, payload = q["type"], q["payload"]
        if qtype == "ordering":
            skipped.append(q)
            continue
        if q.get("category") and q["category"] != category:
            category = q["category"]
            record = ET.SubElement(quiz, "question", type="category")
            _sub(record, "category", f"$course$/top/{category}")
        kind = {"single_choice": "multichoice", "multiple_choice": "multichoice", "true_false": "truefalse",
                "fill_blank": "shortanswer", "numeric": "numerical", "matching": "matching",
                "case_analysis": "essay"}[qtype]
        element = ET.SubElement(quiz, "question", type=kind)
        _sub(element, "name", q.get("title") or q["stem"][:60])
        _sub(element, "questiontext", q["stem"], format=FORMATS_OUT.get(q.get("stem_format", "plain"), "plain_text"))
        _sub(element, "generalfeedback", q.get("general_feedback", ""), format="plain_text")
        if kind == "multichoice":
            ET.SubElement(element, "single").text = "true" if qtype == "single_choice" else "false"
            ET.SubElement(element, "shuffleanswers").text = "1"
            for option in payload["options"]:
                answer = _sub(element, "answer", option["text"], fraction=_percent(option["fraction"]),
                              format=FORMATS_OUT[option.get("format", "plain")])
                _feedback(answer, option.get("feedback", ""))
        elif kind == "truefalse":
            for value in (True, False):
                answer = _sub(element, "answer", "true" if value else "false",
                              fraction="100" if payload["correct"] == value else "0")
                _feedback(answer, payload.get("feedback_true" if value else "feedback_false", ""))
        elif kind == "shortanswer":
            ET.SubElement(element, "usecase").text = "1" if payload.get("case_sensitive") else "0"
            for a in payload["answers"]:
                answer = _sub(element, "answer", a["text"], fraction=_percent(a["fraction"]), format="plain_text")
                _feedback(answer, a.get("feedback", ""))
        elif kind == "numerical":
            for a in payload["answers"]:
                answer = _sub(element, "answer", _number_text(a["value"]), fraction=_percent(a["fraction"]))
                ET.SubElement(answer, "tolerance").text = _number_text(a["tolerance"])
                _feedback(answer, a.get("feedback", ""))
            if payload.get("other_feedback"):
                answer = _sub(element, "answer", "*", fraction="0")
                ET.SubElement(answer, "tolerance").text = "0"
                _feedback(answer, payload["other_feedback"])
        elif kind == "matching":
            for pair in payload["pairs"]:
                sub = _sub(element, "subquestion", pair["left"], format=FORMATS_OUT[pair.get("format", "plain")])
                _sub(sub, "answer", pair["right"])
            for item in payload.get("distractors", []):
                sub = _sub(element, "subquestion", "", format="plain_text")
                _sub(sub, "answer", item)
        elif kind == "essay":
            _sub(element, "graderinfo", payload.get("reference_answer", ""), format="plain_text")
        if q.get("tags"):
            tags = ET.SubElement(element, "tags")
            for tag in q["tags"]:
                _sub(tags, "tag", tag)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n", skipped
