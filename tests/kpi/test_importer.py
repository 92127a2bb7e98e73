"""The KPI importer: files, mappings, every bad input (nothing written),
month roll-up, idempotent re-import, replacement with history, rollback."""

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.kpi.catalogue import seed_catalogue
from app.kpi.files import FileRefused, read_table
from app.kpi.importer import (
    ImportRefused,
    Mapping,
    MappingError,
    commit_import,
    plan_import,
    rollback_batch,
    suggest_mapping,
)
from app.kpi.models import BatchChange, ImportBatch, KpiValue

WIDE = "工号,姓名,日期,接待人数,客户满意度,首次响应(秒),平均接待时长\n"


@pytest.fixture
def agents(app, make_user, make_team):
    seed_catalogue()
    team = make_team()
    return {no: make_user("agent", team=team, employee_no=no) for no in ("KF9001", "KF9002")}


def plan(text: str, name="kpi.csv", encoding="utf-8", mapping=None):
    table = read_table(name, text.encode(encoding) if isinstance(text, str) else text)
    mapping = mapping or suggest_mapping(table.headers)[0]
    return plan_import(table, mapping), mapping


def commit(text: str, actor=None, **kwargs):
    preview, mapping = plan(text, **kwargs)
    return commit_import(preview, actor, source="cli", filename="kpi.csv", digest="x", mapping=mapping)


def values():
    return {(v.user.employee_no, v.month, v.metric_code): (round(v.value, 3), v.contacts)
            for v in db.session.scalars(select(KpiValue))}


# ------------------------------------------------------------------ reading

def test_gbk_csv_with_chinese_headers_and_daily_rows_rolls_up_to_months(agents):
    text = WIDE + ("KF9001,甲,2026-10-01,40,92.5%,12,00:04:10\n"
                   "KF9001,甲,2026/10/2,60,90%,15,3分50秒\n"
                   "kf9002,乙,2026年10月3日,35,95%,9秒,250\n"
                   "汇总,,,135,,,\n")
    preview, mapping = plan(text, encoding="gbk")
    assert mapping.layout == "wide" and mapping.metrics == {"客户满意度": "csat", "首次响应(秒)": "first_response",
                                                            "平均接待时长": "aht"}
    assert preview.error_count == 0 and preview.skipped_totals == 1 and preview.rows_ok == 3
    october = date(2026, 10, 1)
    kf1 = agents["KF9001"].id
    values = preview.month_values()
    assert values[(kf1, october, "csat")][:2] == (pytest.approx(91.0), 100)   # weighted by contacts
    assert values[(kf1, october, "aht")][0] == pytest.approx((250 * 40 + 230 * 60) / 100)
    assert values[(agents["KF9002"].id, october, "first_response")][0] == 9


def test_utf8_with_bom_and_fractions_and_minutes_in_the_header(agents):
    text = "\ufeff工号,月份,满意度,平均接待时长(分钟)\nKF9001,2026-09,0.925,4.5\nKF9002,2026年9月,0.8,3\n"
    preview, _ = plan(text)
    values = preview.month_values()
    assert values[(agents["KF9001"].id, date(2026, 9, 1), "csat")][0] == pytest.approx(92.5)
    assert values[(agents["KF9001"].id, date(2026, 9, 1), "aht")][0] == 270
    assert any("fractions" in str(n) for n in preview.notes)


def test_long_layout_with_metric_names_or_codes(agents):
    text = ("employee no,period,metric,value,contacts\n"
            "KF9001,2026-08,csat,91%,50\nKF9001,2026-08,首次响应时长,00:00:20,50\nKF9002,2026-08,QA pass rate,96,12\n")
    preview, mapping = plan(text)
    assert mapping.layout == "long" and preview.error_count == 0
    assert sorted(preview.metrics) == ["csat", "first_response", "qa_pass"]


def test_xlsx_with_dates_and_times_as_excel_values(agents):
    from datetime import datetime, time

    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "日期", "满意度", "平均响应(秒)"])
    sheet.append(["KF9001", datetime(2026, 7, 3), 0.9, 30])
    sheet.append(["KF9002", datetime(2026, 7, 4), "88%", time(0, 0, 40)])
    buffer = io.BytesIO()
    book.save(buffer)
    preview, _ = plan(buffer.getvalue(), name="kpi.xlsx")
    assert preview.error_count == 0
    values = preview.month_values()
    assert values[(agents["KF9001"].id, date(2026, 7, 1), "csat")][0] == pytest.approx(90)
    assert values[(agents["KF9002"].id, date(2026, 7, 1), "avg_response")][0] == 40


# ------------------------------------------------------------------ bad input: clear errors, nothing written

@pytest.mark.parametrize("name, data, message", [
    ("kpi.csv", b"", "empty"),
    ("kpi.xlsx", b"", "empty"),
    ("kpi.csv", b"\n\n  \n", "no header row"),
    ("kpi.xlsx", "工号,满意度\nKF9001,90%\n".encode(), "not an XLSX"),
    ("kpi.csv", b"PK\x03\x04 zip pretending", "rename it to .xlsx"),
    ("kpi.csv", b"\x00\x01\x02binary", "binary"),
    ("kpi.xls", b"whatever", ".xls"),
    ("kpi.pdf", b"%PDF", "unknown file type"),
])
def test_unreadable_files_are_refused_with_a_reason(agents, name, data, message):
    with pytest.raises(FileRefused, match=message):
        read_table(name, data)


def test_a_zip_bomb_named_xlsx_is_refused(agents):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    with pytest.raises(FileRefused, match="zip bomb"):
        read_table("kpi.xlsx", buffer.getvalue())


def test_a_zip_that_is_not_a_workbook_is_refused(agents):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileRefused, match="not an XLSX workbook"):
        read_table("kpi.xlsx", buffer.getvalue())


def test_header_only_holds_no_values(agents):
    preview, mapping = plan(WIDE)
    assert preview.rows_read == 0 and not preview.ok
    with pytest.raises(ImportRefused, match="no values"):
        commit_import(preview, None, source="cli", filename="x", digest="x", mapping=mapping)


def test_a_mapping_naming_an_unknown_column_is_refused(agents):
    table = read_table("kpi.csv", WIDE.encode())
    with pytest.raises(MappingError, match="no column '满意度'"):
        plan_import(table, Mapping(layout="wide", agent="工号", period="日期", metrics={"满意度": "csat"}))
    with pytest.raises(MappingError, match="no column chosen for: date or month"):
        plan_import(table, Mapping(layout="wide", agent="工号", period="", metrics={"客户满意度": "csat"}))
    with pytest.raises(MappingError, match="unknown metric codes: nps"):
        plan_import(table, Mapping(layout="wide", agent="工号", period="日期", metrics={"客户满意度": "nps"}))


@pytest.mark.parametrize("row, column, message", [
    ("KF9001,甲,2026-10-01,40,很好,12,250", "客户满意度", "not a number"),
    ("KF9001,甲,2026-10-01,40,90%,快,250", "首次响应(秒)", "not a duration"),
    ("KF9999,甲,2026-10-01,40,90%,12,250", "工号", "no agent has the employee number KF9999"),
    ("KF9001,甲,2026-02-30,40,90%,12,250", "日期", "no such date"),
    ("KF9001,甲,2099-01-05,40,90%,12,250", "日期", "2099-01-05 is in the future"),
    ("KF9001,甲,下周,40,90%,12,250", "日期", "not a date"),
    ("KF9001,甲,2026-10-01,4.5,90%,12,250", "接待人数", "whole number"),
    (",甲,2026-10-01,40,90%,12,250", "工号", "no employee number"),
])
def test_each_bad_cell_names_its_row_and_column_and_nothing_is_written(agents, row, column, message):
    text = WIDE + "KF9002,乙,2026-10-01,40,90%,12,250\n" + row + "\n"
    preview, mapping = plan(text)
    assert preview.error_count == 1
    error = preview.errors[0]
    assert (error.row, error.column) == (3, column) and message in str(error.message)
    with pytest.raises(ImportRefused, match="1 rows have errors"):
        commit_import(preview, None, source="cli", filename="x", digest="x", mapping=mapping)
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0


def test_a_duplicated_agent_day_metric_names_both_rows(agents):
    text = WIDE + "KF9001,甲,2026-10-01,40,90%,12,250\nKF9001,甲,2026-10-01,41,91%,13,251\n"
    preview, _ = plan(text)
    assert preview.error_count == 3
    assert preview.errors[0].row == 3 and "already in row 2" in str(preview.errors[0].message)


def test_impossible_values_are_errors_and_implausible_ones_warnings(agents):
    preview, _ = plan(WIDE + "KF9001,甲,2026-10-01,40,120%,-5,250\n"
                             "KF9002,乙,2026-10-01,40,0.925,12,7201\n"
                             "KF9001,甲,2026-10-02,40,-0.5,12,250\n")
    assert [(e.row, e.column) for e in preview.errors] == [(2, "客户满意度"), (2, "首次响应(秒)"), (4, "客户满意度")]
    assert "a rate of 120 % is outside 0–100 %" in str(preview.errors[0].message)
    assert "a negative time (-5 s)" in str(preview.errors[1].message)
    assert [(w.row, w.column, str(w.message)) for w in preview.warnings] == [
        (3, "平均接待时长", "a time of 7201 s is over 2 hours; check the unit")]


@pytest.mark.parametrize("cell, column, message", [
    ("KF9001,甲,2026-10-01,9223372036854775808,90%,12,250", "接待人数", "contacts must be at most 1000000"),
    ("KF9001,甲,2026-10-01,40,90%,12," + "9" * 400, "平均接待时长", "not a finite number"),
    ("KF9001,甲,2026-10-01,40,90%,12,99999999", "平均接待时长", "longer than 31 days"),
    ("KF9001,甲,2026-10-01,40,90%,1" + "0" * 30 + "秒,250", "首次响应(秒)", "longer than 31 days"),
    ("KF9001,甲,0001-01,40,90%,12,250", "日期", "implausible year in '0001-01' (from 2000 on)"),
    ("KF9001,甲,1999-12-31,40,90%,12,250", "日期", "implausible year"),
], ids=["contacts 2**63", "400 nines", "time over 31 days", "10**30 秒", "period 0001-01", "period 1999-12-31"])
def test_numbers_and_years_out_of_range_are_row_errors(agents, cell, column, message):
    preview, mapping = plan(WIDE + cell + "\n")
    assert [(e.row, e.column) for e in preview.errors] == [(2, column)], preview.errors
    assert message in str(preview.errors[0].message)
    with pytest.raises(ImportRefused):
        commit_import(preview, None, source="cli", filename="x", digest="x", mapping=mapping)
    assert values() == {}


def test_a_huge_contacts_cell_in_a_workbook_is_a_row_error(agents):
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "月份", "接待人数", "满意度"])
    sheet.append(["KF9001", "2026-09", 9223372036854775808, "90%"])
    sheet.append(["KF9002", "2026-09", 40, float("1e308")])
    buffer = io.BytesIO()
    book.save(buffer)
    preview, _ = plan(buffer.getvalue(), name="kpi.xlsx")
    assert [(e.row, e.column) for e in preview.errors] == [(2, "接待人数"), (3, "满意度")]


# ------------------------------------------------------------------ commit, re-import, replace, roll back

def test_importing_twice_changes_nothing_and_a_newer_value_replaces_with_history(agents):
    text = WIDE + "KF9001,甲,2026-10,40,90%,12,250\n"
    first = commit(text)
    assert (first.added, first.replaced) == (3, 0) and first.batch.team_ids
    again = commit(text)
    assert again.batch is None and again.unchanged == 3
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 1
    newer = commit(WIDE + "KF9001,甲,2026-10,40,93%,12,250\n")
    assert (newer.added, newer.replaced, newer.unchanged) == (0, 1, 2)
    change = db.session.scalar(select(BatchChange).where(BatchChange.batch_id == newer.batch.id))
    assert (change.old_value, change.new_value, change.old_batch_id) == (90, 93, first.batch.id)
    assert values()[("KF9001", date(2026, 10, 1), "csat")] == (93, 40)


def test_rollback_restores_exactly_and_refuses_out_of_order(agents):
    first = commit(WIDE + "KF9001,甲,2026-10,40,90%,12,250\n")
    before = values()
    second = commit(WIDE + "KF9001,甲,2026-10,45,93%,12,250\nKF9002,乙,2026-10,30,88%,20,300\n")
    with pytest.raises(ImportRefused, match=f"roll back import #{second.batch.id} first"):
        rollback_batch(db.session.get(ImportBatch, first.batch.id), None)
    assert rollback_batch(db.session.get(ImportBatch, second.batch.id), None) == 6
    assert values() == before
    assert db.session.get(ImportBatch, second.batch.id).status == "rolled_back"
    with pytest.raises(ImportRefused, match="already rolled back"):
        rollback_batch(db.session.get(ImportBatch, second.batch.id), None)
    rollback_batch(db.session.get(ImportBatch, first.batch.id), None)
    assert values() == {}


def test_a_refused_rollback_names_the_import_that_owns_the_values_now(agents):
    first = commit(WIDE + "KF9001,甲,2026-10,40,90%,12,250\n")              # adds: no change rows of its own
    second = commit(WIDE + "KF9001,甲,2026-10,41,91%,12,250\n")
    third = commit(WIDE + "KF9001,甲,2026-10,42,92%,12,250\n")
    latest = values()
    with pytest.raises(ImportRefused, match=f"roll back import #{third.batch.id} first"):
        rollback_batch(db.session.get(ImportBatch, first.batch.id), None)
    db.session.rollback()
    assert values() == latest and db.session.get(ImportBatch, first.batch.id).status == "committed"
    rollback_batch(db.session.get(ImportBatch, third.batch.id), None)
    with pytest.raises(ImportRefused, match=f"roll back import #{second.batch.id} first"):
        rollback_batch(db.session.get(ImportBatch, first.batch.id), None)
    rollback_batch(db.session.get(ImportBatch, second.batch.id), None)
    assert rollback_batch(db.session.get(ImportBatch, first.batch.id), None) == 3
    assert values() == {}


def test_a_manager_imports_only_for_their_own_teams(agents, make_user, make_team):
    other = make_user("agent", team=make_team(), employee_no="KF9100")
    manager = make_user("manager")
    agents["KF9001"].team.managers.append(manager)
    db.session.commit()
    with pytest.raises(ImportRefused, match="KF9100"):
        commit(WIDE + "KF9001,甲,2026-10,40,90%,12,250\nKF9100,丙,2026-10,40,90%,12,250\n", actor=manager)
    assert values() == {} and other.id
    assert commit(WIDE + "KF9001,甲,2026-10,40,90%,12,250\n", actor=manager).added == 3


def test_the_cli_imports_a_gbk_file_and_refuses_a_broken_one(agents, runner, tmp_path):
    good = tmp_path / "绩效_2026-10-01至2026-10-31.csv"
    good.write_bytes((WIDE + "KF9001,甲,2026-10-05,40,90%,12,250\n").encode("gbk"))
    result = runner.invoke(args=["kpi", "import", str(good), "--dry-run"])
    assert result.exit_code == 0 and "Dry run" in result.output and values() == {}
    result = runner.invoke(args=["kpi", "import", str(good)])
    assert result.exit_code == 0 and "3 added" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes((WIDE + "KF9002,乙,2026-10-05,40,高,12,250\n").encode("gbk"))
    result = runner.invoke(args=["kpi", "import", str(bad)])
    assert result.exit_code == 1 and "row 2, column 客户满意度" in result.output and "Nothing imported" in result.output
    result = runner.invoke(args=["kpi", "import", str(good), "--mapping", "nope"])
    assert result.exit_code == 1 and "no saved mapping" in result.output


# ------------------------------------------------------------------ staging: chunks, progress, memory-free checks

def test_duplicates_are_found_across_chunks_and_progress_is_reported(agents, monkeypatch):
    from app.kpi import staging

    monkeypatch.setattr(staging, "CHUNK", 4)           # cells per chunk: the duplicate lands chunks later
    rows = [f"KF9002,乙,2026-10-{day:02d},40,90%,12,250" for day in range(1, 9)]
    text = WIDE + "KF9001,甲,2026-10-01,40,90%,12,250\n" + "\n".join(rows) + "\nKF9001,甲,2026-10-01,40,91%,12,250\n"
    calls = []

    def progress(rows, share):                       # as the background job does: a heartbeat commits
        calls.append((rows, share))
        db.session.commit()

    table = read_table("kpi.csv", text.encode())
    preview = plan_import(table, suggest_mapping(table.headers)[0], progress=progress)
    assert preview.error_count == 3 and preview.error_rows == 1 and preview.rows_ok == 9
    assert {e.row for e in preview.errors} == {11} and all("already in row 2" in str(e.message) for e in preview.errors)
    assert len(calls) >= 2 and [r for r, _ in calls] == sorted(r for r, _ in calls)
    assert all(0 < share <= 1 for _, share in calls)
    assert staging.exists(preview.job_id)                        # the cells wait for commit or discard
    from app.kpi.importer import discard_preview

    discard_preview(preview)
    assert not staging.exists(preview.job_id)


def test_two_columns_for_one_metric_are_refused(agents):
    table = read_table("kpi.csv", (WIDE.strip() + ",满意度\n").encode())
    with pytest.raises(MappingError, match="more than one column is mapped to the metric csat"):
        plan_import(table, Mapping(layout="wide", agent="工号", period="日期",
                                   metrics={"客户满意度": "csat", "满意度": "csat"}))


def test_whole_months_commit_from_the_cells_and_fractions_are_scaled_there(agents):
    result = commit("工号,月份,满意度,投诉率\nKF9001,2026-09,0.925,0.01\nKF9002,2026-09,0.8,0.02\n")
    assert result.added == 4
    assert values()[("KF9001", date(2026, 9, 1), "csat")] == (92.5, None)
    assert values()[("KF9002", date(2026, 9, 1), "complaint_rate")] == (2.0, None)
    again = commit("工号,月份,满意度,投诉率\nKF9001,2026-09,92.5%,1%\nKF9002,2026-09,80%,2%\n")
    assert again.batch is None and again.unchanged == 4              # the same values written another way


def test_a_month_and_its_days_in_one_file_roll_up_together(agents):
    result = commit(WIDE + "KF9001,甲,2026-10-01,10,80%,12,250\nKF9001,甲,2026-10-02,30,100%,12,250\n")
    assert result.added == 3
    assert values()[("KF9001", date(2026, 10, 1), "csat")] == (95.0, 40)


def test_a_preview_whose_cells_are_gone_cannot_be_committed(agents):
    from app.kpi import staging

    preview, mapping = plan(WIDE + "KF9001,甲,2026-10,40,90%,12,250\n")
    staging.discard(preview.job_id)
    with pytest.raises(ImportRefused, match="no longer available"):
        commit_import(preview, None, source="cli", filename="x", digest="x", mapping=mapping)
    assert values() == {} and not staging.exists(preview.job_id)


def test_excel_true_is_not_the_number_one(agents):
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "月份", "接待人数", "满意度"])
    sheet.append(["KF9001", "2026-09", 1, "90%"])
    sheet.append(["KF9002", "2026-09", True, "91%"])
    buffer = io.BytesIO()
    book.save(buffer)
    preview, _ = plan(buffer.getvalue(), name="kpi.xlsx")
    assert [(e.row, e.column) for e in preview.errors] == [(3, "接待人数")] and "not a number" in str(preview.errors[0].message)


def test_messages_keep_their_parts_when_stored_and_read_back(agents):
    from app.kpi.importer import Preview
    from app.kpi.messages import Msg

    table = read_table("kpi.csv", WIDE.encode())
    with pytest.raises(MappingError) as refused:
        plan_import(table, Mapping(layout="wide", agent="", period="", metrics={"客户满意度": "csat"}))
    stored = refused.value.msg.as_json()
    assert str(Msg.from_json(stored)) == "no column chosen for: employee number, date or month"
    preview, _ = plan(WIDE + "KF9001,甲,2026-10,40,90%,12,9000\nKF9003,甲,2026-10,40,90%,12,250\n")
    again = Preview.from_json(preview.as_json())
    assert [str(e) for e in again.errors] == [str(e) for e in preview.errors]
    assert [str(w) for w in again.warnings] == ["row 2, column 平均接待时长: a time of 9000 s is over 2 hours; check the unit"]
