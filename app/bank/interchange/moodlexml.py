"""Moodle XML: multichoice, truefalse, shortanswer, numerical, matching,
essay and category records, read and written. Description items are
skipped; other Moodle types are skipped with their name. Files with a
DOCTYPE are refused (no entity expansion).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405  (DOCTYPE refused before parsing)

from app.bank.interchange import M, ParsedQuestion, ParseResult, decode_or_report

FORMATS_IN = {"html": "html", "markdown": "markdown", "plain_text": "plain", "moodle_auto_format": "plain"}
FORMATS_OUT = {"html": "html", "markdown": "markdown", "plain": "plain_text"}


def _text(element, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _category(path: str) -> str:
    parts = [p for p in path.split("/") if p and p not in ("$course$", "$system$", "$module$", "top", "Top")]
    return "/".join(parts)


def _question_lines(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question\b", text)]


def parse_moodle_xml(content: bytes) -> ParseResult:
    result = ParseResult()
    text = decode_or_report(content, result)
    if text is None:
        return result
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        result.error(1, M("DOCTYPE and ENTITY declarations are not accepted in Moodle XML"))
        return result
    text = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip())
    try:
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        result.error(exc.position[0], M("XML syntax error: %(detail)s", detail=str(exc)))
        return result
    if root.tag != "quiz":
        result.error(1, M("the root element must be <quiz>"))
        return result
    lines = _question_lines(text)
    category = ""
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else 1
        kind = element.get("type", "")
        if kind == "category":
            category = _category(_text(element.find("category")))
            continue
        if kind == "description":
            result.skip(line, M("description item: not a question"))
            continue
        reader = READERS.get(kind)
        if reader is None:
            result.skip(line, M("Moodle question type “%(kind)s” is not supported", kind=kind))
            continue
        question_text = element.find("questiontext")
        try:
            qtype, payload = reader(element)
        except ValueError as exc:
            result.error(line, exc.args[0])
            continue
        tags = [_text(tag) for tag in element.findall("tags/tag")]
        result.questions.append(ParsedQuestion(
            type=qtype, payload=payload, line=line, category=category,
            title=_text(element.find("name")), stem=_text(question_text),
            stem_format=FORMATS_IN.get(question_text.get("format", "html") if question_text is not None else "html", "html"),
            general_feedback=_text(element.find("generalfeedback")), tags=[t for t in tags if t],
        ))
    return result


def _fraction(answer) -> float:
    raw = answer.get("fraction", "0")
    try:
        value = float(raw) / 100
    except ValueError:
        raise ValueError(M("bad fraction “%(value)s”", value=raw)) from None
    if not -1 <= value <= 1:
        raise ValueError(M("fraction %(value)s is outside -100…100", value=raw))
    return round(value, 7)


def _answers(element) -> list:
    return element.findall("answer")


def _multichoice(element):
    single = _text(element, "single").lower() in ("true", "1")
    options = [{"text": _text(a), "fraction": _fraction(a), "feedback": _text(a.find("feedback"))}
               for a in _answers(element)]
    return ("single_choice" if single else "multiple_choice"), {"options": options}


def _truefalse(element):
    correct, feedback = None, {}
    for answer in _answers(element):
        value = _text(answer).lower()
        if value not in ("true", "false"):
            raise ValueError(M("a true/false answer reads “%(value)s”", value=value))
        feedback[value] = _text(answer.find("feedback"))
        if _fraction(answer) == 1:
            correct = value == "true"
    if correct is None:
        raise ValueError(M("no true/false answer has fraction 100"))
    return "true_false", {"correct": correct, "feedback_true": feedback.get("true", ""),
                          "feedback_false": feedback.get("false", "")}


def _shortanswer(element):
    payload = {"answers": [{"text": _text(a), "fraction": _fraction(a), "feedback": _text(a.find("feedback"))}
                           for a in _answers(element)]}
    payload["case_sensitive"] = _text(element, "usecase") == "1"
    return "fill_blank", payload


def _numerical(element):
    answers = []
    for a in _answers(element):
        try:
            value = float(_text(a))
            tolerance = float(_text(a, "tolerance") or 0)
        except ValueError:
            raise ValueError(M("numerical answer “%(value)s” is not a number", value=_text(a))) from None
        answers.append({"value": value, "tolerance": tolerance, "fraction": _fraction(a),
                        "feedback": _text(a.find("feedback"))})
    return "numeric", {"answers": answers}


def _matching(element):
    pairs = []
    for sub in element.findall("subquestion"):
        left, right = _text(sub), _text(sub.find("answer"))
        if left:  # Moodle uses empty-left subquestions as extra distractors
            pairs.append({"left": left, "right": right})
    return "matching", {"pairs": pairs}


def _essay(element):
    return "case_analysis", {"reference_answer": _text(element.find("graderinfo")), "key_points": [], "rubric": []}


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
                answer = _sub(element, "answer", option["text"], fraction=_percent(option["fraction"]), format="plain_text")
                _sub(answer, "feedback", option.get("feedback", ""), format="plain_text")
        elif kind == "truefalse":
            for value in (True, False):
                answer = _sub(element, "answer", "true" if value else "false",
                              fraction="100" if payload["correct"] == value else "0")
                _sub(answer, "feedback", payload.get("feedback_true" if value else "feedback_false", ""))
        elif kind == "shortanswer":
            ET.SubElement(element, "usecase").text = "1" if payload.get("case_sensitive") else "0"
            for a in payload["answers"]:
                answer = _sub(element, "answer", a["text"], fraction=_percent(a["fraction"]))
                _sub(answer, "feedback", a.get("feedback", ""))
        elif kind == "numerical":
            for a in payload["answers"]:
                answer = _sub(element, "answer", f"{a['value']:g}", fraction=_percent(a["fraction"]))
                ET.SubElement(answer, "tolerance").text = f"{a['tolerance']:g}"
                _sub(answer, "feedback", a.get("feedback", ""))
        elif kind == "matching":
            for pair in payload["pairs"]:
                sub = _sub(element, "subquestion", pair["left"], format="plain_text")
                _sub(sub, "answer", pair["right"])
        elif kind == "essay":
            _sub(element, "graderinfo", payload.get("reference_answer", ""), format="plain_text")
        if q.get("tags"):
            tags = ET.SubElement(element, "tags")
            for tag in q["tags"]:
                _sub(tags, "tag", tag)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n", skipped
