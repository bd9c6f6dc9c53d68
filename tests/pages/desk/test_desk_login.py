"""Logging in to the desk in a real Chromium, switching its language, and the accessibility of those screens."""

from __future__ import annotations

import pytest

from tests.node.desk.helpers import add_user, desk_node
from tests.pages.desk.browser import assert_accessible, chromium, login, needs_browser, new_desk_page, shoot

pytestmark = needs_browser


async def test_desk_login__browser_logs_in_switches_language_and_passes_axe(tmp_path):
    """The login form in the browser's language (Russian), then the account page; switching the desk to
    Azerbaijani with the keyboard-usable select changes the words and the date format; axe finds no serious
    violation on either screen; a wrong password shows the message without a reload of anything else."""
    async with desk_node(tmp_path) as rn:
        await add_user(rn, "leyla", "editor")
        async with chromium() as browser:
            page = await new_desk_page(browser, locale="ru-RU")
            await page.goto(f"{rn.base_url}/desk/login")
            assert await page.get_attribute("html", "lang") == "ru"
            assert await page.inner_text("h1") == "Вход в редакцию"
            await assert_accessible(page)
            await shoot(page, "login-ru")
            await page.fill("#username", "leyla")
            await page.fill("#password", "wrong wrong wrong")
            async with page.expect_navigation():
                await page.press("#password", "Enter")
            assert "Неверное имя пользователя или пароль." in await page.inner_text("[role=alert]")
            await login(page, rn.base_url, "leyla")
            assert page.url.endswith("/desk/account")
            assert await page.inner_text("h1") == "Моя учётная запись"
            async with page.expect_navigation():
                await page.select_option("#desk-language", "az")
            assert await page.get_attribute("html", "lang") == "az"
            assert await page.inner_text("h1") == "Hesabım"
            assert "Çıxış" in await page.inner_text("header")
            await assert_accessible(page)
            await shoot(page, "account-az")
