"""Headless Chromium for page and map tests: Debian's chromium (Playwright cannot download its
own here), every request recorded, and a screenshot of each test's page kept in
test-artifacts/screenshots/. The root conftest loads it as a plugin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
#: schemes that never leave the machine
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
LOCAL_HOSTS = {"127.0.0.1"}
#: lets a popup's or a zoom's animation finish before the screenshot
SETTLE_MS = 400


@dataclass
class Tab:
    """A page with what it asked the network for and the script errors it raised."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]

    def assert_offline(self) -> None:
        """No request left 127.0.0.1, and no script failed (a map whose plugin throws
        still fires its load event)."""
        assert self.outside() == [], f"requests outside 127.0.0.1: {self.outside()}"
        assert self.errors == [], f"script errors: {self.errors}"


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (
        parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk "
                    "(./run test installs them)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A fresh context per test; requests leaving 127.0.0.1 are recorded, then refused so
    a test never waits on the internet. The page is screenshot when the test ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    tab = Tab(page)
    page.on("request", lambda r: tab.requests.append(r.url))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    context.route(lambda url: not is_local(url), _refuse)
    yield tab
    page.wait_for_timeout(SETTLE_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")
    context.close()


def _refuse(route: Route) -> None:
    route.abort("blockedbyclient")
