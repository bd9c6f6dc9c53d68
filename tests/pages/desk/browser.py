"""Driving the desk in a real headless Chromium: Playwright for Python on Debian's chromium (executable_path,
never `playwright install`), logging in, screenshots of the main screens, and axe-core accessibility checks.

Screenshots go to `artifacts/desk-screenshots/` at the repository's root (README names it), or to
$AGENCY_NODE_DESK_SHOTS. axe-core is the npm package pinned in tests/pages/axe/ (`.ci/run` installs it; on a
developer's machine it is installed on first use when npm is there)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from tests.node.desk.helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_DIR = ROOT / "tests" / "pages" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("AGENCY_NODE_DESK_SHOTS") or ROOT / "artifacts" / "desk-screenshots")

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the test extras install it
    async_playwright = None  # type: ignore[assignment]

needs_browser = [
    pytest.mark.skipif(async_playwright is None, reason="needs Playwright for Python (pip install -e '.[test]')"),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Chromium (apt-get install chromium); "
                       "Playwright drives it by executable_path, never `playwright install`"),
]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator["Browser"]:
    """A headless Chromium for one test."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            await browser.close()


async def new_desk_page(browser: "Browser", locale: str = "en-GB") -> "Page":
    """A page in a fresh browser context (its own cookies) with a desk-sized window and `locale` as the
    browser's language (Accept-Language)."""
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return await context.new_page()


async def login(page: "Page", base_url: str, username: str, password: str = PASSWORD,
                next_path: str = "/desk/account") -> None:
    """Log in through the desk's form, as a person would (typing, then Enter)."""
    await page.goto(f"{base_url}/desk/login?next={next_path}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.press("#password", "Enter")


async def shoot(page: "Page", name: str) -> Path:
    """Keep a full-page screenshot of the screen for people to look at (artifacts/desk-screenshots/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


def _axe_source() -> str:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("axe-core is not installed and npm is missing (cd tests/pages/axe && npm ci)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AXE_DIR, check=True,
                       stdin=subprocess.DEVNULL)
    return AXE_JS.read_text(encoding="utf-8")


async def axe_violations(page: "Page") -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules)."""
    await page.add_script_tag(content=_axe_source())
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def assert_accessible(page: "Page") -> None:
    """No serious or critical axe-core violation on the page."""
    violations = await axe_violations(page)
    assert not violations, f"axe-core on {page.url}: {violations}"
