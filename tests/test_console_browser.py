"""The console in a real browser: Debian's Chromium driven by Playwright, against a real server.

Skipped with a clear message where Chromium or Playwright is missing (`.ci/run` installs both).
Each page's screenshot is written to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from service.api.server import RunningServer, start_server
from service.auth.keys import ApiKeyStore
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.settings import Settings
from tests.auth_support import with_auth
from tests.conftest import wait_ready

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)


@dataclass
class Console:
    running: RunningServer
    url: str
    reviewer_key: str


@pytest.fixture
async def console(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, redis_url: str
) -> AsyncIterator[Console]:
    if "unix" in redis_url or "embedded" in redis_url or not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("one backend is enough for the browser tests")
    key = (await ApiKeyStore(redis_client, key_prefix).create("desk-alice", ["reviewer"], "test")).secret
    running = await start_server(
        with_auth(dataclasses.replace(settings, http_port=0), mode="required", rate_limits={}),
        test_catalog,
        load_policy(),
    )
    await wait_ready(running)
    assert running.http is not None
    yield Console(running, f"http://127.0.0.1:{running.http.port}", key)
    await running.stop(0.5)


def _walk_the_console(url: str, key: str) -> dict[str, object]:
    """Sign in, check parties, read the answers, open the lists, sign out: what the pages showed."""
    seen: dict[str, object] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/")
            seen["landing"] = page.url
            page.fill("#credential", "scr_" + "x" * 43)
            page.click("button[type=submit]")
            seen["bad_key_error"] = page.inner_text("#credential-error")
            page.screenshot(path=str(SCREENSHOTS / "console-sign-in.png"), full_page=True)
            page.fill("#credential", key)
            page.click("button[type=submit]")
            seen["after_sign_in"] = page.url
            seen["cookies"] = {c["name"]: c for c in page.context.cookies()}
            page.fill("#name", "Nicolas MADURO MOROS")
            page.fill("#country", "VE")
            page.select_option("#direction", "export")
            page.screenshot(path=str(SCREENSHOTS / "console-check.png"), full_page=True)
            page.click("form.card button[type=submit]")
            seen["decision"] = page.inner_text("#decision")
            seen["marks"] = page.locator("table.alignment mark").all_inner_texts()
            seen["reasons"] = page.locator("ol.reasons li").count()
            seen["legal_basis"] = page.locator("ol.reasons").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "console-answer.png"), full_page=True)
            page.goto(url + "/check")
            page.fill("#name", "Acme Trading")
            page.fill("#country", "XX")
            page.click("form.card button[type=submit]")
            seen["country_error"] = page.inner_text("#country-error")
            seen["country_invalid"] = page.get_attribute("#country", "aria-invalid")
            seen["kept_name"] = page.input_value("#name")
            page.fill("#country", "")
            page.fill("#name", "<script>document.title='owned'</script><b>Acme</b>")
            page.click("form.card button[type=submit]")
            seen["markup_shown"] = page.inner_text(".decision .party")
            seen["title"] = page.title()
            seen["scripts"] = page.locator("script").count()
            page.goto(url + "/lists")
            seen["lists"] = page.locator("tbody tr").all_inner_texts()
            page.screenshot(path=str(SCREENSHOTS / "console-lists.png"), full_page=True)
            page.click("text=Sign out")
            seen["after_sign_out"] = page.url
            page.goto(url + "/check")
            seen["check_after_sign_out"] = page.url
        finally:
            browser.close()
    return seen


async def test_an_analyst_signs_in_checks_a_party_and_reads_the_answer(console: Console) -> None:
    seen = await asyncio.to_thread(_walk_the_console, console.url, console.reviewer_key)
    assert str(seen["landing"]).endswith("/sign-in")
    assert "not valid" in str(seen["bad_key_error"])
    assert str(seen["after_sign_in"]).endswith("/check")
    session = seen["cookies"]["screening_session"]  # type: ignore[index]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    # The answer: the decision large, the reason with its legal basis, the alignment highlighted.
    assert seen["decision"] == "BLOCK"
    assert {"maduro", "moros", "nicolas"} <= {text.lower() for text in seen["marks"]}  # type: ignore[union-attr]
    assert seen["reasons"] >= 1 and "Legal basis" in str(seen["legal_basis"])  # type: ignore[operator]
    # A refused field: the message beside it, the form kept.
    assert "ISO 3166-1" in str(seen["country_error"]) and seen["country_invalid"] == "true"
    assert seen["kept_name"] == "Acme Trading"
    # Markup in a name is shown as text, never run.
    assert "<script>" in str(seen["markup_shown"]) and seen["title"] != "owned" and seen["scripts"] == 0
    assert any("ofac_sdn" in row for row in seen["lists"])  # type: ignore[union-attr]
    assert str(seen["after_sign_out"]).endswith("/sign-in") and str(seen["check_after_sign_out"]).endswith("/sign-in")
    for name in ("sign-in", "check", "answer", "lists"):
        assert (SCREENSHOTS / f"console-{name}.png").stat().st_size > 10_000
