"""A manager imports a GBK CSV with Chinese headers in chromium: upload,
match columns, preview, commit, read the team table, roll the import back."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e

HEADER = "工号,姓名,统计日期,咨询人数,客户满意比,首次响应(秒),平均接待时长\n"
ROWS = ("KF1004,吴俊杰,2024-03-02,41,0.931,14,00:04:05\n"
        "KF1004,吴俊杰,2024-03-03,39,0.902,16,00:04:25\n"
        "KF1005,刘芷若,2024-03-02,35,0.955,11,00:03:40\n"
        "汇总,,,115,,,\n")


def upload_gbk(page: Page, live_server, path, text: str) -> None:
    """As manager M001, upload `text` as a GBK CSV at `path`; lands on the column mapping."""
    path.write_bytes(text.encode("gbk"))
    sign_in(page, live_server, "M001")
    page.goto(f"{live_server}/kpi/import")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_test_id("kpi-upload-submit").click()


def test_manager_imports_a_gbk_csv_and_rolls_it_back(page: Page, live_server, tmp_path):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    upload_gbk(page, live_server, tmp_path / "客服绩效_2024-03-01至2024-03-31.csv", HEADER + ROWS)
    mapping = page.get_by_test_id("kpi-mapping")
    expect(mapping).to_contain_text("客户满意比")
    # Suggested from the Chinese headers; the name column is left unused.
    expect(page.get_by_test_id("col-0")).to_have_value("agent")
    expect(page.get_by_test_id("col-4")).to_have_value("m:csat")
    expect(page.get_by_test_id("col-6")).to_have_value("m:aht")
    page.get_by_test_id("kpi-preview").click()
    result = page.get_by_test_id("kpi-preview-result")
    expect(page.get_by_test_id("error-count")).to_have_text("0")
    expect(result).to_contain_text("2024-03")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("kpi-commit").click()
    history = page.get_by_test_id("kpi-history")
    expect(history).to_contain_text("客服绩效_2024-03-01至2024-03-31.csv")
    page.goto(f"{live_server}/kpi/teams/1?month=2024-03")
    team = page.get_by_test_id("kpi-team")
    expect(team).to_contain_text("91.7%")           # (93.1·41 + 90.2·39) ÷ 80
    expect(team).to_contain_text("吴俊杰")
    page.goto(f"{live_server}/kpi/imports")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid^=rollback-]").first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{live_server}/kpi/teams/1?month=2024-03")
    expect(page.get_by_test_id("kpi-team-empty")).to_be_visible()
    assert errors == []


def test_a_large_file_shows_a_progress_bar_then_the_preview(page: Page, live_server, tmp_path):
    """Above KPI_INLINE_BYTES (4000 here) the file is read in the background:
    the page polls its progress bar, reloads itself when the job is done,
    and the commit runs the same way."""
    rows = "".join(f"KF1004,吴俊杰,2024-{month:02d}-{day:02d},{30 + day},{80 + day % 20}%,{day},00:04:{day:02d}\n"
                   for month in range(4, 10) for day in range(1, 31))
    upload_gbk(page, live_server, tmp_path / "大文件.csv", HEADER + rows)
    page.get_by_test_id("kpi-preview").click()
    expect(page).to_have_url(re.compile(r"/kpi/jobs/\d+$"))
    expect(page.get_by_test_id("error-count")).to_have_text("0", timeout=30_000)   # polled, then reloaded
    expect(page.get_by_test_id("kpi-preview-result")).to_contain_text("180")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("kpi-commit").click()
    expect(page.get_by_test_id("kpi-job-done")).to_contain_text("18", timeout=30_000)   # 6 months × 3 metrics
    page.get_by_role("link", name=re.compile("导入记录|Import history")).last.click()
    expect(page.get_by_test_id("kpi-history")).to_contain_text("大文件.csv")
