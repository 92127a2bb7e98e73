"""YAML interchange: a list of questions in the interchange shape.

Also reads the question_bank/ authoring style (type keys at the top level,
`explanation` for the general feedback), so a bank file can be imported.
"""

from __future__ import annotations

import yaml

from app import yaml_safe as safe_yaml
from app.bank.interchange import M, ParsedQuestion, ParseResult, UnreadableFile, decode_text

COMMON = {"id", "type", "category", "title", "stem", "stem_format", "general_feedback", "explanation",
          "tags", "payload", "competency", "difficulty"}


def parse_yaml(content: bytes) -> ParseResult:
    result = ParseResult()
    try:
        text = decode_text(content)
        data = safe_yaml.load(text)
        node = safe_yaml.compose(text)
    except UnreadableFile as exc:
        result.error(1, exc.args[0])
        return result
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        result.error(mark.line + 1 if mark else 1, M("YAML syntax error: %(detail)s", detail=str(getattr(exc, "problem", exc))))
        return result
    except ValueError:  # an integer longer than Python converts (4300 digits)
        result.error(_overlong_integer_line(text), M("a number in the file is too long to read"))
        return result
    if isinstance(data, dict) and "questions" in data:
        data, node = data["questions"], None
    if data is None:
        return result
    if not isinstance(data, list):
        result.error(1, M("the file must be a list of questions"))
        return result
    lines = [n.start_mark.line + 1 for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    for index, item in enumerate(data):
        line = lines[index] if index < len(lines) else 1
        if not isinstance(item, dict) or not item.get("type") or not isinstance(item.get("stem"), str):
            result.error(line, M("each question needs at least type and stem"))
            continue
        payload = item.get("payload")
        if payload is None:
            payload = {k: v for k, v in item.items() if k not in COMMON}
        tags = item.get("tags") or []
        result.questions.append(ParsedQuestion(
            type=str(item["type"]), stem=str(item["stem"]).strip(), payload=payload,
            category=str(item.get("category") or ""), title=str(item.get("title") or ""),
            stem_format=str(item.get("stem_format") or "plain"),
            general_feedback=str(item.get("general_feedback") or item.get("explanation") or "").strip(),
            tags=[str(t) for t in tags] if isinstance(tags, list) else [], line=line,
        ))
    return result


def _overlong_integer_line(text: str) -> int:
    node_stack = [safe_yaml.compose(text)]
    while node_stack:
        node = node_stack.pop()
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int") and len(node.value) > 4000:
            return node.start_mark.line + 1
        if isinstance(node, yaml.SequenceNode):
            node_stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            node_stack.extend(value for pair in node.value for value in pair)
    return 1


def write_yaml(questions: list[dict]) -> str:
    return yaml.safe_dump(questions, allow_unicode=True, sort_keys=False, width=120)
