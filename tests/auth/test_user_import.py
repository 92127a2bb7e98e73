"""The user import parser and validator, without an app."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from app.auth.user_import import ImportFileError, read_table, validate_rows

TODAY = date(2026, 11, 22)
HEADER = "工号,姓名,邮箱,角色,团队,入职日期,层级\n"


def check(content: bytes, filename="people.csv", existing=(), emails=(), teams=("售后服务组",)):
    header, body = read_table(filename, content)
    return validate_rows(header, body, existing_employee_nos=set(existing), existing_emails=set(emails),
                         team_names=set(teams), today=TODAY)


def test_good_csv_with_chinese_headers_and_labels():
    text = HEADER + "KF9001,王小明,wang@example.com,客服,售后服务组,2026/3/1,在岗\n" \
                    "KF9002,李小红,,主管,,2025年12月5日,\n"
    report = check(text.encode())
    assert report.ok, report.errors
    first, second = report.rows
    assert (first.employee_no, first.role, first.team, first.hire_date, first.tier) == \
        ("KF9001", "agent", "售后服务组", date(2026, 3, 1), "in_service")
    assert first.cleared_for_live_on == TODAY  # already live: cleared on the import day
    assert (second.role, second.tier, second.team, second.email) == ("manager", "onboarding", None, None)
    assert second.cleared_for_live_on is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(encoding):
    report = check((HEADER + "KF9001,王小明,,,售后服务组,2026-03-01,\n").encode(encoding))
    assert report.ok
    assert report.rows[0].name == "王小明"


def test_english_headers_and_ignored_columns():
    text = "employee_no,name,role,shoe size\nA1,Ann Lee,trainer,38\n"
    report = check(text.encode())
    assert report.ok
    assert report.rows[0].role == "trainer"
    assert report.ignored_columns == ["shoe size"]


def test_xlsx_with_date_cells_and_numeric_numbers():
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "入职日期", "团队"])
    sheet.append([9003, "赵六", date(2026, 2, 1), "售后服务组"])
    sheet.append([None, None, None, None])  # blank rows are skipped
    buffer = io.BytesIO()
    book.save(buffer)
    report = check(buffer.getvalue(), filename="people.xlsx")
    assert report.ok, report.errors
    assert report.rows[0].employee_no == "9003"
    assert report.rows[0].hire_date == date(2026, 2, 1)


def test_every_bad_row_is_reported_with_its_row_and_field():
    text = HEADER + (
        "KF1,甲,,客服,售后服务组,2026-01-01,\n"      # row 2 fine
        "KF1,乙,,客服,售后服务组,2026-01-01,\n"      # row 3 duplicate employee number
        "KF3,丙,,客服,不存在的组,2026-01-01,\n"      # row 4 unknown team
        "KF4,丁,,客服,售后服务组,2026-13-40,\n"      # row 5 bad date
        "KF5,,,客服,售后服务组,2026-01-01,\n"        # row 6 empty required field
        "KF6,戊,bad-email,boss,,2030-01-01,\n"       # row 7 bad email, role, future date
        "OLD1,己,,,,,\n"                             # row 8 exists already
    )
    report = check(text.encode(), existing={"OLD1"})
    found = {(e.row, e.field, e.code) for e in report.errors}
    assert found == {
        (3, "employee_no", "duplicate_in_file"),
        (4, "team", "unknown_team"),
        (5, "hire_date", "bad_date"),
        (6, "name", "required"),
        (7, "email", "bad_email"),
        (7, "role", "bad_choice"),
        (7, "hire_date", "future_date"),
        (8, "employee_no", "employee_no_exists"),
    }
    assert not report.ok
    duplicate = next(e for e in report.errors if e.code == "duplicate_in_file")
    assert duplicate.params["other_row"] == 2


def test_duplicate_email_in_file_and_in_database():
    text = "工号,姓名,邮箱\nA,甲,x@example.com\nB,乙,X@example.com\nC,丙,taken@example.com\n"
    report = check(text.encode(), emails={"Taken@example.com"})
    assert {(e.row, e.code) for e in report.errors} == {(3, "duplicate_in_file"), (4, "email_exists")}


@pytest.mark.parametrize("content,filename,code", [
    (b"", "a.csv", "empty_file"),
    (b"\n\n", "a.csv", "empty_file"),
    (b"name\nx\n", "a.csv", "missing_columns"),
    (b"\xff\xfe\x00\x81\x00", "a.csv", "bad_encoding"),
    (b"not a zip", "a.xlsx", "bad_xlsx"),
    (b"x", "a.pdf", "unknown_format"),
    ("工号,姓名,工号\n1,a,1\n".encode(), "a.csv", "duplicate_column"),
])
def test_unreadable_files(content, filename, code):
    with pytest.raises(ImportFileError) as caught:
        check(content, filename=filename)
    assert caught.value.code == code


def test_header_only_is_an_error():
    report = check("工号,姓名\n".encode())
    assert [e.code for e in report.errors] == ["no_rows"]
