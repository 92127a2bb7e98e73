"""Questions as a spreadsheet (CSV, UTF-8 or GBK), one question a row.

Columns (English or Chinese headers): type/题型, category/分类, title/标题,
stem/题干, option_a…option_h/选项A…选项H, answer/答案, explanation/解析,
tags/标签 (separated by , or ;).

- single_choice/multiple_choice: options in the option columns; answer holds
  the right letters (`B`, `A,C`); multiple choice splits credit evenly.
- true_false: answer TRUE/FALSE (or 对/错).
- fill_blank: answer holds accepted answers separated by `|`.
- numeric: answer `85` or `85:0.5` (value:tolerance), finite decimals.
- ordering: options in the right order; answer empty.
- matching: each option `left -> right`.
- case_analysis: answer is the reference answer.
"""

from __future__ import annotations

import csv
import io

from app.bank.interchange import M, ParsedQuestion, ParseResult, UnreadableFile, decode_text, read_number

LETTERS = "ABCDEFGH"
HEADERS = {
    "type": {"type", "题型"}, "category": {"category", "分类"}, "title": {"title", "标题"},
    "stem": {"stem", "题干"}, "answer": {"answer", "答案"}, "explanation": {"explanation", "解析"},
    "tags": {"tags", "标签"},
    **{f"option_{c.lower()}": {f"option_{c.lower()}", f"选项{c}", f"option {c.lower()}"} for c in LETTERS},
}
TYPE_NAMES = {
    "single_choice": {"single_choice", "单选", "单选题"}, "multiple_choice": {"multiple_choice", "多选", "多选题"},
    "true_false": {"true_false", "判断", "判断题"}, "fill_blank": {"fill_blank", "填空", "填空题"},
    "numeric": {"numeric", "数值", "数值题", "计算题"}, "ordering": {"ordering", "排序", "排序题"},
    "matching": {"matching", "匹配", "匹配题", "连线题"}, "case_analysis": {"case_analysis", "案例分析", "案例分析题"},
}


def _type(name: str) -> str | None:
    wanted = name.strip().lower()
    return next((key for key, names in TYPE_NAMES.items() if wanted in names), None)


def parse_csv(content: bytes) -> ParseResult:
    result = ParseResult()
    try:
        rows = list(csv.reader(io.StringIO(decode_text(content), newline="")))
    except (UnreadableFile, csv.Error) as exc:
        result.error(1, exc.args[0])
        return result
    if not rows:
        result.error(1, M("the file is empty"))
        return result
    lookup = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
    columns = {}
    for index, cell in enumerate(rows[0]):
        name = lookup.get(cell.replace("\ufeff", "").strip().lower()) or lookup.get(cell.strip())
        if name:
            columns[name] = index
    missing = [c for c in ("type", "stem") if c not in columns]
    if missing:
        result.error(1, M("missing columns: %(columns)s", columns=", ".join(missing)))
        return result
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items()}
        try:
            question = _row(cell, number)
        except ValueError as exc:
            result.error(number, exc.args[0])
            continue
        result.questions.append(question)
    return result


def _row(cell: dict, number: int) -> ParsedQuestion:
    qtype = _type(cell.get("type", ""))
    if qtype is None:
        raise ValueError(M("type: unknown question type “%(value)s”", value=cell.get("type", "")))
    options = [cell.get(f"option_{c.lower()}", "") for c in LETTERS]
    options = [o for o in options if o]
    answer = cell.get("answer", "")
    if qtype in ("single_choice", "multiple_choice"):
        letters = [a.strip().upper() for a in answer.replace("，", ",").replace(";", ",").split(",") if a.strip()]
        if len(letters) == 1 and len(letters[0]) > 1:
            letters = list(letters[0])
        if not letters or any(letter not in LETTERS[:len(options)] for letter in letters):
            raise ValueError(M("answer: “%(value)s” must name options among %(letters)s", value=answer, letters=LETTERS[:len(options)]))
        share = round(1 / len(letters), 7)
        payload = {"options": [{"text": o, "fraction": share if LETTERS[i] in letters else 0.0, "feedback": ""}
                               for i, o in enumerate(options)]}
    elif qtype == "true_false":
        value = answer.strip().lower()
        if value not in ("true", "false", "t", "f", "对", "错", "正确", "错误"):
            raise ValueError(M("answer: “%(value)s” must be TRUE or FALSE", value=answer))
        payload = {"correct": value in ("true", "t", "对", "正确"), "feedback_true": "", "feedback_false": ""}
    elif qtype == "fill_blank":
        payload = {"answers": [{"text": a.strip(), "fraction": 1.0, "feedback": ""}
                               for a in answer.split("|") if a.strip()]}
    elif qtype == "numeric":
        value_text, _, tolerance_text = answer.partition(":")
        value, tolerance = read_number(value_text), read_number(tolerance_text or "0")
        if value is None or tolerance is None:
            raise ValueError(M("answer: “%(value)s” is not a finite number (or number:tolerance)", value=answer))
        payload = {"answers": [{"value": value, "tolerance": tolerance, "fraction": 1.0, "feedback": ""}]}
    elif qtype == "ordering":
        payload = {"items": options}
    elif qtype == "matching":
        pairs = []
        for option in options:
            left, arrow, right = option.partition("->")
            if not arrow:
                raise ValueError(M("options: matching options are “left -> right”, found “%(value)s”", value=option))
            pairs.append({"left": left.strip(), "right": right.strip()})
        payload = {"pairs": pairs}
    else:
        payload = {"reference_answer": answer, "key_points": [], "rubric": []}
    tags = [t.strip() for t in cell.get("tags", "").replace(";", ",").split(",") if t.strip()]
    return ParsedQuestion(type=qtype, stem=cell["stem"], payload=payload, category=cell.get("category", ""),
                          title=cell.get("title", ""), general_feedback=cell.get("explanation", ""), tags=tags,
                          line=number)
