"""Journeys a person makes in chromium: sign in, switch language, sign out,
create a user as an admin and find them in the list."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "agentpath-demo"


def sign_in(page: Page, url: str, employee_no: str):
    page.goto(f"{url}/auth/login")
    page.locator("#identifier").fill(employee_no)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()


def test_agent_switches_language_and_signs_out(page: Page, live_server):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, "KF1003")
    expect(page.locator("h1")).to_contain_text("欢迎")
    expect(page.locator("main")).to_contain_text("黄诗涵")

    page.select_option("#locale-select", "en")
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("main")).to_contain_text("In service")

    page.select_option("#locale-select", "zh_CN")
    expect(page.locator("h1")).to_contain_text("欢迎")

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator("#identifier")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_admin_creates_a_user_and_finds_it(page: Page, live_server):
    sign_in(page, live_server, "A001")
    page.get_by_role("link", name="用户", exact=True).click()
    expect(page.get_by_test_id("user-table")).to_contain_text("KF1001")
    page.get_by_role("link", name="新建用户").click()

    page.locator("#employee_no").fill("KF9901")
    page.locator("#name").fill("沈若溪")
    page.locator("#email").fill("ruoxi@example.com")
    page.select_option("#role", "agent")
    page.select_option("#team_id", label="售后服务组")
    page.locator("#hire_date").fill("2026-11-02")
    page.select_option("#tier", "onboarding")
    page.locator("form.card button[type=submit]").click()

    expect(page.get_by_test_id("temporary-password")).to_be_visible()
    page.get_by_role("link", name="返回用户列表").click()
    page.locator("input[name=q]").fill("沈若溪")
    table = page.get_by_test_id("user-table")
    expect(table).to_contain_text("KF9901")
    expect(table).not_to_contain_text("KF1001")
    expect(table).to_contain_text("售后服务组")
