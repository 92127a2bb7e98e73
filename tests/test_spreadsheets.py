"""Sheet titles and cells that every spreadsheet program opens."""

import io

import pytest
from openpyxl import load_workbook

from app.spreadsheets import SHEET_TITLE_LIMIT, neutralise, sheet_title, xlsx_bytes

FORBIDDEN = set("/\\?*[]:")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("raw", [
    "售后/退款: Q1 [测试]*?", "a\\b", "////", "   ", "", "'引号'", "'''", "x" * 40, "退" * 40,
    "😀" * 20, "tab\there\x00nul\x1f", "History", "history", "a" * 30 + "😀",
])
def test_titles_are_always_acceptable(raw):
    title = sheet_title(raw)
    assert title and title.strip() == title
    assert not FORBIDDEN & set(title)
    assert utf16_length(title) <= SHEET_TITLE_LIMIT
    assert not title.startswith("'") and not title.endswith("'")
    assert title.lower() != "history"  # Excel reserves it
    assert all(ch.isprintable() for ch in title)


def test_titles_keep_what_they_can():
    assert sheet_title("售后/退款: Q1 [测试]*?") == "售后-退款- Q1 (测试)"
    assert sheet_title("退款知识测验") == "退款知识测验"
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("   ", fallback="results") == "results"


def test_titles_are_unique_in_a_workbook_whatever_the_case():
    taken: set[str] = set()
    titles = [sheet_title(raw, taken) for raw in ("Results", "results", "RESULTS", "y" * 40, "y" * 35)]
    assert len({t.lower() for t in titles}) == len(titles)
    assert titles[:3] == ["Results", "results (2)", "RESULTS (3)"]
    assert all(utf16_length(t) <= SHEET_TITLE_LIMIT for t in titles)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("王小明", "王小明"), (-2, -2), (None, None), (1.5, 1.5),
])
def test_cells_never_start_a_formula(value, expected):
    assert neutralise(value) == expected


def test_workbook_with_hostile_titles_and_cells_opens():
    data = xlsx_bytes([("售后/退款: Q1 [测试]*?", ["name"], [["=HYPERLINK(\"x\")"], ["控制\x01字符"]]),
                       ("售后/退款: Q1 [测试]*?", ["n"], [[1]])])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["售后-退款- Q1 (测试)", "售后-退款- Q1 (测试) (2)"]
    values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert values == ["name", "'=HYPERLINK(\"x\")", "控制字符"]
    assert book.worksheets[0]["A2"].data_type == "s"


def test_kpi_team_csv_neutralises_metric_names_in_the_header():
    from types import SimpleNamespace as NS

    from app.kpi.reports import team_csv

    metric = NS(code="csat", name_zh="=cmd|' /C calc'!A0")
    row = NS(person=NS(employee_no="KF1", name="@甲"), cells={"csat": NS(value=91.0, points=100.0)},
             dimension=NS(score=100.0, coverage=1.0))
    text = team_csv({"metrics": [metric], "rows": [row]})
    header, first = text.lstrip("\ufeff").splitlines()[:2]
    assert header.split(",")[2].startswith("'=cmd") and first.split(",")[1] == "'@甲"


def test_a_control_character_cannot_hide_a_formula():
    book = load_workbook(io.BytesIO(xlsx_bytes([("t", ["name"], [["\x01=HYPERLINK(\"http://x\",\"y\")"], ["\x02+1"]])])))
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s", "s"]
    assert [c.value for c in cells] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1"]
