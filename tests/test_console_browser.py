"""The console in a real browser: Debian's Chromium driven by Playwright, against a real server.

Skipped with a clear message where Chromium or Playwright is missing (`.ci/run` installs both).
Each page's screenshot is written to the `shots` folder (the README shows those of docs/screenshots/).
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from service.auth.keys import ApiKeyStore
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.grpc_door.server import RunningServer, start_server
from service.settings import Settings
from tests.auth_support import with_auth
from tests.conftest import wait_ready
from tests.oidc_provider import console_with_provider

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Where the pages' screenshots go: the test's temporary folder, or the README's (docs/screenshots) when asked:
#   SCREENING_SCREENSHOTS=docs/screenshots ./scripts/test.sh tests/test_console_browser.py
# (a run must not rewrite tracked files: every screenshot holds that run's screening ids and times).
SCREENSHOTS_SETTING = "SCREENING_SCREENSHOTS"

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
    second_reviewer_key: str


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS_SETTING) or tmp_path / "screenshots").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def console(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, redis_url: str
) -> AsyncIterator[Console]:
    if "unix" in redis_url or "embedded" in redis_url or not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("one backend is enough for the browser tests")
    keys = ApiKeyStore(redis_client, key_prefix)
    key = (await keys.create("desk-alice", ["reviewer"], "test")).secret
    second = (await keys.create("desk-bob", ["reviewer"], "test")).secret
    running = await start_server(
        with_auth(dataclasses.replace(settings, http_port=0), mode="required", rate_limits={}),
        test_catalog,
        load_policy(),
    )
    await wait_ready(running)
    assert running.http is not None
    yield Console(running, f"http://127.0.0.1:{running.http.port}", key, second)
    await running.stop(0.5)


def _walk_the_console(url: str, key: str, shots: Path) -> dict[str, object]:
    """Sign in, check parties, read the answers, open the lists, sign out: what the pages showed."""
    seen: dict[str, object] = {}
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/")
            seen["landing"] = page.url
            page.fill("#credential", "scr_" + "x" * 43)
            page.click("button[type=submit]")
            seen["bad_key_error"] = page.inner_text("#credential-error")
            page.screenshot(path=str(shots / "console-sign-in.png"), full_page=True)
            page.fill("#credential", key)
            page.click("button[type=submit]")
            seen["after_sign_in"] = page.url
            seen["cookies"] = {c["name"]: c for c in page.context.cookies()}
            page.fill("#name", "Nicolas MADURO MOROS")
            page.fill("#country", "VE")
            page.select_option("#direction", "export")
            page.screenshot(path=str(shots / "console-check.png"), full_page=True)
            page.click("form.card button[type=submit]")
            seen["decision"] = page.inner_text("#decision")
            seen["marks"] = page.locator("table.alignment mark").all_inner_texts()
            seen["reasons"] = page.locator("ol.reasons li").count()
            seen["legal_basis"] = page.locator("ol.reasons").inner_text()
            page.screenshot(path=str(shots / "console-answer.png"), full_page=True)
            seen["screening_id"] = page.inner_text("#screening-id")
            page.click("#screening-id")
            for _ in range(50):  # the audit record is written in the background
                if page.locator("#recorded-decision").count():
                    break
                page.wait_for_timeout(100)
                page.reload()
            seen["audit_decision"] = page.inner_text("#recorded-decision")
            seen["audit_json"] = page.inner_text("#record-json")
            page.screenshot(path=str(shots / "console-audit.png"), full_page=True)
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
            page.screenshot(path=str(shots / "console-lists.png"), full_page=True)
            page.click("text=last update's changes")
            seen["changes_summary"] = page.inner_text("#changes-summary")
            seen["changes_rows"] = page.locator("#changes tbody tr").count()
            page.screenshot(path=str(shots / "console-list-changes.png"), full_page=True)
            page.click("text=Sign out")
            seen["after_sign_out"] = page.url
            page.goto(url + "/check")
            seen["check_after_sign_out"] = page.url
        finally:
            browser.close()
    return seen


async def test_an_analyst_signs_in_checks_a_party_and_reads_the_answer(console: Console, shots: Path) -> None:
    seen = await asyncio.to_thread(_walk_the_console, console.url, console.reviewer_key, shots)
    assert str(seen["landing"]).endswith("/sign-in")
    assert "not valid" in str(seen["bad_key_error"])
    assert str(seen["after_sign_in"]).endswith("/check")
    # The answer's screening id opens its audit record.
    assert seen["audit_decision"] == "BLOCK"
    assert json.loads(str(seen["audit_json"]))["screening_id"] == seen["screening_id"]
    assert "added" in str(seen["changes_summary"]) and int(seen["changes_rows"]) > 0  # type: ignore[call-overload]
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
        assert (shots / f"console-{name}.png").stat().st_size > 10_000


def _sign_in(page: Any, url: str, key: str) -> None:
    page.goto(url + "/sign-in")
    page.fill("#credential", key)
    page.click("button[type=submit]")


def _check(page: Any, url: str, name: str, reference: str) -> None:
    page.goto(url + "/check")
    page.fill("#name", name)
    page.fill("#party_reference", reference)
    page.click("form.card button[type=submit]")


def _four_eyes(url: str, alice: str, bob: str, shots: Path) -> dict[str, object]:
    """Alice clears a listed match, cannot approve it herself; Bob approves it; the party then clears."""
    seen: dict[str, object] = {}
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _sign_in(page, url, alice)
            _check(page, url, "Nicolas MADURO MOROS", "BP-4711")
            seen["before"] = page.inner_text("#decision")
            page.fill("#reason-1", "Our customer is the namesake in Valencia, Spain: other date of birth and passport")
            page.click("form.dispose button[type=submit]")
            seen["recorded"] = page.inner_text("#disposition-status")
            page.goto(url + "/review")
            page.fill("#note-1", "looks right")
            page.click("button[value=approve]")
            seen["own_approval"] = page.inner_text("#review-error")
            page.click("text=Sign out")
            _sign_in(page, url, bob)
            _check(page, url, "Banco Nacional de Cuba", "BP-4712")  # a possible match nobody has decided on yet
            bank_screening = page.inner_text("#screening-id")
            page.goto(url + "/review")
            for _ in range(50):  # the queue's entries are written behind the request
                if page.locator(f"#review-{bank_screening}").count():
                    break
                page.wait_for_timeout(100)
                page.reload()
            seen["possible_matches"] = page.locator("article.review").all_inner_texts()
            seen["queue"] = page.locator("article.pending").all_inner_texts()
            page.screenshot(path=str(shots / "console-review.png"), full_page=True)
            page.fill("#note-1", "checked the passport copy")
            page.click("button[value=approve]")
            seen["approved"] = page.inner_text("#review-done")
            seen["queue_after"] = page.locator("#queue-empty").count()
            _check(page, url, "Nicolas MADURO MOROS", "BP-4711")
            seen["after"] = page.inner_text("#decision")
            _check(page, url, "Nicolas MADURO MOROS", "BP-9999")
            seen["other_party"] = page.inner_text("#decision")
        finally:
            browser.close()
    return seen


async def test_a_clearance_needs_a_second_reviewer_then_the_party_clears(console: Console, shots: Path) -> None:
    seen = await asyncio.to_thread(_four_eyes, console.url, console.reviewer_key, console.second_reviewer_key, shots)
    assert seen["before"] == "BLOCK"
    assert "false positive" in str(seen["recorded"]) and "pending" in str(seen["recorded"])
    assert "desk-alice" in str(seen["own_approval"])  # the store refuses the recorder herself
    assert any("BP-4711" in item and "desk-alice" in item for item in seen["queue"])  # type: ignore[union-attr]
    # Alice's pending clearance is a verdict: BP-4711's screening left the possible matches; the bank's waits.
    assert [item.split(" · ")[0] for item in seen["possible_matches"]] == ["BP-4712"]  # type: ignore[union-attr]
    assert seen["approved"] == "Clearance approved." and seen["queue_after"] == 1
    assert seen["after"] == "CLEAR"
    assert seen["other_party"] == "BLOCK"  # the clearance is this party's, not the listed name's


def _batch(url: str, key: str, upload: Path, downloads: Path, shots: Path) -> dict[str, object]:
    """Upload a small file, watch it run, download the results."""
    seen: dict[str, object] = {}
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            _sign_in(page, url, key)
            page.goto(url + "/batch")
            page.set_input_files("#file", str(upload))
            page.click("form.card button[type=submit]")
            page.wait_for_selector("#download", timeout=30_000)
            seen["progress"] = page.inner_text("#batch-progress")
            page.screenshot(path=str(shots / "console-batch.png"), full_page=True)
            with page.expect_download() as download:
                page.click("#download")
            target = downloads / download.value.suggested_filename
            download.value.save_as(str(target))
            seen["file"] = target
            page.goto(url + "/batch")
            page.set_input_files("#file", str(upload.with_suffix(".txt")))
            page.click("form.card button[type=submit]")
            seen["wrong_kind"] = page.inner_text("#file-error")
        finally:
            browser.close()
    return seen


async def test_a_desk_uploads_a_batch_watches_it_and_downloads_the_results(
    console: Console, tmp_path: Path, shots: Path
) -> None:
    upload = tmp_path / "suppliers.csv"
    upload.write_text(
        "party_reference,name,country\nS-1,Nicolas MADURO MOROS,VE\nS-2,Jane Roe,GB\nS-3,Acme Widgets,XX\n",
        encoding="utf-8",
    )
    upload.with_suffix(".txt").write_text("not a batch file", encoding="utf-8")
    seen = await asyncio.to_thread(_batch, console.url, console.reviewer_key, upload, tmp_path, shots)
    assert "Done: 3 of 3" in str(seen["progress"])
    rows = list(csv.DictReader(Path(seen["file"]).read_text(encoding="utf-8").splitlines()))  # type: ignore[arg-type]
    assert Path(seen["file"]).name == "suppliers-results.csv"  # type: ignore[arg-type]
    assert [(row["party_reference"], row["decision"]) for row in rows] == [
        ("S-1", "BLOCK"),
        ("S-2", "CLEAR"),
        ("S-3", "ERROR"),
    ]
    assert "column 'country'" in rows[2]["error"]
    assert ".csv or .jsonl" in str(seen["wrong_kind"])


def _sign_in_through_the_provider(url: str, shots: Path) -> dict[str, object]:
    """Press "Sign in with Test IdP" (the provider signs whoever asks in), land on the check form."""
    seen: dict[str, object] = {}
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/sign-in")
            page.click("#sign-in-oidc")
            page.click("#allow")  # on the provider's own page
            page.wait_for_url(url + "/check")
            seen["who"] = page.inner_text("form.who span")
            page.fill("#name", "Nicolas MADURO MOROS")
            page.click("form.card button[type=submit]")
            seen["decision"] = page.inner_text("#decision")
        finally:
            browser.close()
    return seen


async def test_a_desk_signs_in_through_its_identity_provider(
    settings: Settings, test_catalog: Catalog, tmp_path: Path, redis_url: str, shots: Path
) -> None:
    """The provider on 127.0.0.1, the console on localhost: another site, as in production, so the
    SameSite cookies meet the cross-site redirects they would meet there."""
    if "unix" in redis_url or not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("one backend is enough for the browser tests")
    async with console_with_provider(settings, test_catalog, tmp_path, consent_page=True) as (running, _):
        assert running.http is not None
        url = f"http://localhost:{running.http.port}"
        seen = await asyncio.to_thread(_sign_in_through_the_provider, url, shots)
    assert "oidc:alice" in str(seen["who"]) and "reviewer" in str(seen["who"])
    assert seen["decision"] == "BLOCK"
