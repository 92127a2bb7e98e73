"""Writing question_bank/ files: one entry as YAML, and entries replaced,
removed or appended in a file's text without touching the rest of it (other
entries, comments and layout stay byte for byte). Pure: text in, text out.
"""

from __future__ import annotations

import copy
import json

import yaml

from app import yaml_safe as safe_yaml
from app.bank.types import PayloadError, get_type


class UnsplicableFile(ValueError):
    """The file is not a block list of entries, so entries cannot be replaced in place."""


class _BankDumper(yaml.SafeDumper):
    """Lists indented under their key, as the bank's authors write them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper, value: list):
    """Short lists of words on one line (tags: [退款, 时效]); lists of entries as blocks."""
    flat = all(isinstance(v, (str, int, float)) and "\n" not in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value,
                                     flow_style=flat and sum(len(str(v)) for v in value) <= 60)


_BankDumper.add_representer(str, _str)
_BankDumper.add_representer(list, _list)


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def minimal_payload(type_key: str, payload: dict) -> dict:
    """The payload without the empty or yes/no keys the type fills in by itself
    (empty feedback, default shuffle, …) and with 1.0 written 1 — only where
    the type reads it back to exactly the same payload."""
    validate = get_type(type_key).validate
    target = _canonical(validate(copy.deepcopy(payload)))

    def same(candidate) -> bool:
        try:
            return _canonical(validate(copy.deepcopy(candidate))) == target
        except PayloadError:
            return False

    def droppable(value) -> bool:  # numbers stay: an explicit `fraction: 0` reads better than none
        return isinstance(value, bool) or value in ("", None, [], {})

    result = copy.deepcopy(payload)
    if same(_integral(result)):
        result = _integral(result)
    for key in list(result):
        for item in result[key] if isinstance(result[key], list) else ():
            for name in list(item) if isinstance(item, dict) else ():
                kept = item.pop(name)
                if not droppable(kept) or not same(result):
                    item[name] = kept
        kept = result.pop(key)
        if not droppable(kept) or not same(result):
            result[key] = kept
    return result


def entry(uid: str, *, type_key: str, category: str, competency: str, difficulty: int, tags: list[str], title: str,
          stem: str, stem_format: str, explanation: str, payload: dict) -> dict:
    """One question in the bank's file format, keys in the authors' order."""
    fields = {"id": uid, "type": type_key, "category": category, "competency": competency,
              "difficulty": difficulty}
    if tags:
        fields["tags"] = list(tags)
    if title:
        fields["title"] = title
    fields["stem"] = stem
    if stem_format != "plain":
        fields["stem_format"] = stem_format
    fields["explanation"] = explanation
    return {**fields, **minimal_payload(type_key, payload)}


def dump_entry(fields: dict, column: int = 0) -> str:
    text = yaml.dump([fields], Dumper=_BankDumper, allow_unicode=True, sort_keys=False, width=1000)
    return "".join(" " * column + line if line.strip() else line for line in text.splitlines(keepends=True))


def _is_gap(line: str, column: int) -> bool:
    """A blank line, or a comment no deeper than the list's dashes: it belongs before the next entry."""
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip()) <= column)


def entry_spans(text: str) -> list[tuple[str | None, int, int, int]]:
    """(id, first line, line after the last, column of the dash) of each entry, 0-based lines."""
    node = safe_yaml.compose(text) if text.strip() else None
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode) or node.flow_style:
        raise UnsplicableFile("the file is not a block list (“- id: …” entries)")
    lines = text.splitlines(keepends=True)
    starts = []
    for item in node.value:
        dash = text.rindex("-", 0, item.start_mark.index + 1)
        uid = None
        if isinstance(item, yaml.MappingNode):
            uid = next((v.value for k, v in item.value if k.value == "id" and isinstance(v, yaml.ScalarNode)), None)
        starts.append((uid, text.count("\n", 0, dash), dash - (text.rfind("\n", 0, dash) + 1)))
    spans = []
    for index, (uid, first, column) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(lines)
        while end > first + 1 and _is_gap(lines[end - 1], column):
            end -= 1
        spans.append((uid, first, end, column))
    return spans


def rewrite(text: str, replace: dict[str, dict | None], append: list[dict], header: str = "") -> str:
    """`text` with the entries named in `replace` replaced by new fields (None:
    removed) and `append` added at the end. A new file starts with `header`."""
    spans = entry_spans(text)
    missing = set(replace) - {uid for uid, *_ in spans}
    if missing:
        raise UnsplicableFile(f"no entry with id {', '.join(sorted(missing))}")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    column = spans[0][3] if spans else 0
    for uid, first, end, at in sorted(spans, key=lambda span: span[1], reverse=True):
        if uid not in replace:
            continue
        if replace[uid] is None:
            if end < len(lines) and not lines[end].strip() and (first == 0 or not lines[first - 1].strip()):
                end += 1  # no double blank line where the entry was
            lines[first:end] = []
        else:
            lines[first:end] = dump_entry(replace[uid], at).splitlines(keepends=True)
    out = "".join(lines) if lines else (header.rstrip("\n") + "\n" if header else "")
    for fields in append:
        if out.strip() and not out.endswith("\n\n"):
            out += "\n"  # a blank line between entries, as the authors write them
        out += dump_entry(fields, column)
    return out
