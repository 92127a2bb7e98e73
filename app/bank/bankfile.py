"""Writing question_bank/ files: one entry as YAML, and entries replaced,
removed or appended in a file's text without touching the rest of it (other
entries, comments and layout stay byte for byte). Pure: text in, text out.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


class _Block(str):
    """Text the bank strips (stem, explanation): written as the authors do, `key: |` and the text below."""


def _block(dumper, value: _Block):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value) + "\n", style="|")


class _OneLine(list):
    """A list written on one line, as authors write tags: [退款, 时效]."""


def _one_line(dumper, value: _OneLine):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


_BankDumper.add_representer(str, _str)
_BankDumper.add_representer(_Block, _block)
_BankDumper.add_representer(_OneLine, _one_line)


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
        return isinstance(value, (bool, str)) or value in (None, [], {})

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
        fields["tags"] = _OneLine(tags)
    if title:
        fields["title"] = title
    fields["stem"] = _Block(stem)
    if stem_format != "plain":
        fields["stem_format"] = stem_format
    fields["explanation"] = _Block(explanation)
    return {**fields, **minimal_payload(type_key, payload)}


def dump_entry(fields: dict, column: int = 0) -> str:
    text = yaml.dump([fields], Dumper=_BankDumper, allow_unicode=True, sort_keys=False, width=1000)
    return "".join(" " * column + line if line.strip() else line for line in text.splitlines(keepends=True))


def _is_gap(line: str, column: int) -> bool:
    """A blank line, or a comment no deeper than the list's dashes: it belongs before the next entry."""
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip()) <= column)


@dataclass(frozen=True)
class Span:
    uid: str | None
    first: int          # 0-based line of the entry's dash
    end: int            # the line after its last
    column: int         # of the dash
    keys: tuple[str, ...]


def entry_spans(text: str) -> list[Span]:
    """Where each entry of a bank file is, and the order of its keys."""
    node = safe_yaml.compose(text) if text.strip() else None
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode) or node.flow_style:
        raise UnsplicableFile("the file is not a block list (“- id: …” entries)")
    lines = text.splitlines(keepends=True)
    starts = []
    for item in node.value:
        dash = text.rindex("-", 0, item.start_mark.index + 1)
        pairs = item.value if isinstance(item, yaml.MappingNode) else []
        keys = tuple(str(k.value) for k, _ in pairs)
        uid = next((v.value for k, v in pairs if k.value == "id" and isinstance(v, yaml.ScalarNode)), None)
        starts.append((uid, text.count("\n", 0, dash), dash - (text.rfind("\n", 0, dash) + 1), keys))
    spans = []
    for index, (uid, first, column, keys) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(lines)
        while end > first + 1 and _is_gap(lines[end - 1], column):
            end -= 1
        spans.append(Span(uid, first, end, column, keys))
    return spans


def _in_order(fields: dict, keys: tuple[str, ...]) -> dict:
    """The entry's keys in the order its author wrote them; new keys after."""
    return {**{k: fields[k] for k in keys if k in fields}, **fields}


def rewrite(text: str, replace: dict[str, dict | None], append: list[dict], header: str = "") -> str:
    """`text` with the entries named in `replace` replaced by new fields (None:
    removed) and `append` added at the end. A new file starts with `header`."""
    spans = entry_spans(text)
    missing = set(replace) - {span.uid for span in spans}
    if missing:
        raise UnsplicableFile(f"no entry with id {', '.join(sorted(missing))}")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    column = spans[0].column if spans else 0
    for span in sorted(spans, key=lambda span: span.first, reverse=True):
        if span.uid not in replace:
            continue
        first, end = span.first, span.end
        if replace[span.uid] is None:
            if end < len(lines) and not lines[end].strip() and (first == 0 or not lines[first - 1].strip()):
                end += 1  # no double blank line where the entry was
            lines[first:end] = []
        else:
            fields = _in_order(replace[span.uid], span.keys)
            lines[first:end] = dump_entry(fields, span.column).splitlines(keepends=True)
    out = "".join(lines) if lines else (header.rstrip("\n") + "\n" if header else "")
    for fields in append:
        if out.strip() and not out.endswith("\n\n"):
            out += "\n"  # a blank line between entries, as the authors write them
        out += dump_entry(fields, column)
    return out


def write_all_or_nothing(texts: dict[Path, str]) -> None:
    """Write every file or none: each text goes to a temporary file beside
    its target (flushed to disk) and only when all are written do they
    replace their targets, so a full disk or a crash half-way never leaves
    an author's file cut short. Raises OSError after removing what it wrote."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, text in texts.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((Path(scratch), target))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
    except OSError:
        for scratch, _ in staged:
            scratch.unlink(missing_ok=True)
        raise
    for scratch, target in staged:
        os.replace(scratch, target)
