"""A trainer imports a GIFT file in the browser, checks the preview, imports,
finds a question by a Chinese phrase and previews it as an agent would."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation_journeys import sign_in

pytestmark = pytest.mark.e2e

GIFT = Path(__file__).parents[1] / "bank" / "fixtures" / "features.gift"


def test_trainer_imports_gift_and_previews(page: Page, live_server):
    sign_in(page, live_server, "T001")
    page.get_by_role("link", name="题库").click()
    page.get_by_role("link", name="导入", exact=True).click()
    page.select_option("#format", "gift")
    page.set_input_files("#file", str(GIFT))
    page.get_by_role("button", name="预览").click()

    questions = page.get_by_test_id("import-questions")
    expect(questions).to_contain_text("客户申请退款后，按本店规则原路退回需要多久？")
    expect(questions.locator("tbody tr")).to_have_count(13)
    page.get_by_test_id("import-commit").click()

    page.get_by_test_id("bank-search").fill("按本店规则原路退回需要多久")
    table = page.get_by_test_id("question-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name="退款时效").click()
    page.get_by_role("link", name="预览").click()

    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("3个工作日内")
    expect(preview).not_to_contain_text("正确，原路退回")  # feedback stays hidden before answering
    preview.get_by_label("3个工作日内").check()
    preview.locator("button[type=submit]").click()
    expect(page.get_by_test_id("try-result")).to_contain_text("1")
    expect(page.get_by_test_id("try-result")).to_contain_text("正确，原路退回3个工作日内到账。")
