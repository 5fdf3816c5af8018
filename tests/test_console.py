"""The console without a browser: sign-in, CSRF, sessions and headers, through a real HTTP client."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

import httpx

from service.catalog import Catalog
from service.console import sessions
from service.console.routes import SECURITY_HEADERS, SESSION_COOKIE, SIGN_IN_COOKIE, _form_field
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.settings import Settings
from tests.conftest import wait_ready
from tests.test_http_api import Doors, doors  # noqa: F401 - the fixture


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def _sign_in(doors: Doors, role: str) -> str:  # noqa: F811
    form = await doors.http.get("/sign-in")
    answer = await doors.http.post("/sign-in", data={"csrf": _csrf(form), "credential": doors.keys[role]})
    assert answer.status_code == 303 and answer.headers["location"] == "/check"
    check = await doors.http.get("/check")
    return _csrf(check)


async def test_pages_need_a_session_and_send_safety_headers(doors: Doors) -> None:  # noqa: F811
    for path in ("/", "/check", "/lists"):
        answer = await doors.http.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path
    page = await doors.http.get("/sign-in")
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    cookie = page.headers["set-cookie"]
    assert SIGN_IN_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back


async def test_sign_in_refuses_a_form_without_its_token_and_a_bad_key(doors: Doors) -> None:  # noqa: F811
    await doors.http.get("/sign-in")
    forged = await doors.http.post("/sign-in", data={"csrf": "guessed", "credential": doors.keys["reviewer"]})
    assert forged.status_code == 400 and "expired" in forged.text
    assert SESSION_COOKIE not in doors.http.cookies
    form = await doors.http.get("/sign-in")
    wrong = await doors.http.post("/sign-in", data={"csrf": _csrf(form), "credential": "scr_" + "y" * 43})
    assert wrong.status_code == 401 and "not valid" in wrong.text


async def test_a_check_needs_the_sessions_token_and_acts_as_its_principal(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "screener")
    forged = await doors.http.post("/check", data={"csrf": "guessed", "name": "Nicolas MADURO MOROS"})
    assert forged.status_code == 400 and "expired" in forged.text
    answer = await doors.http.post("/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS", "direction": "export"})
    assert answer.status_code == 200 and 'id="decision">BLOCK<' in answer.text
    # The page names whom the console acted as: the signed-in key, not the console.
    assert "Signed in as <strong>key:http-screener</strong>" in answer.text
    signed_out = await doors.http.post("/sign-out", data={"csrf": csrf})
    assert signed_out.status_code == 303
    again = await doors.http.post("/check", data={"csrf": csrf, "name": "Jane Roe"})
    assert again.status_code == 401 and "session ended" in again.text  # back to sign-in, the form kept


def test_a_refusal_lands_on_the_form_field_it_concerns() -> None:
    assert _form_field("party.addresses[0].country") == "country"
    assert _form_field("party.alternative_names[3]") == "alternative_names"
    assert _form_field("party.name") == "name"
    assert _form_field("context.destination_country") == "destination_country"
    assert (
        _form_field("context.items[0].hs_code", [2]) == "item_2_hs_code"
    )  # the request's first item, the form's third row
    assert _form_field("options.max_matches") is None


def test_sessions_end_when_idle_or_too_old() -> None:
    clock = [1000.0]
    store = sessions.SessionStore(clock=lambda: clock[0])
    first, _ = store.create("Bearer a", "key:a", frozenset({"reviewer"}))
    clock[0] += sessions.IDLE_SECONDS - 1
    assert store.get(first) is not None  # used: its idle clock starts again
    clock[0] += sessions.IDLE_SECONDS + 1
    assert store.get(first) is None
    second, _ = store.create("Bearer b", "key:b", frozenset())
    for _ in range(sessions.ABSOLUTE_SECONDS // sessions.IDLE_SECONDS + 1):
        clock[0] += sessions.IDLE_SECONDS - 1
        store.get(second)
    assert store.get(second) is None  # however busy, a session ends ABSOLUTE_SECONDS after sign-in
    assert store.get("unknown") is None and store.get(None) is None


async def test_batch_uploads_are_checked_and_runs_are_their_owners(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "screener")
    missing = await doors.http.post(
        "/batch", data={"csrf": csrf}, files={"file": ("parties.csv", b"party_reference,country\nS-1,DE\n", "text/csv")}
    )
    assert missing.status_code == 400 and "name" in missing.text
    forged = await doors.http.post(
        "/batch",
        data={"csrf": "guessed"},
        files={"file": ("parties.csv", b"party_reference,name\nS-1,A\n", "text/csv")},
    )
    assert forged.status_code == 400 and "expired" in forged.text
    started = await doors.http.post(
        "/batch",
        data={"csrf": csrf},
        files={"file": ("p.jsonl", b'{"party_reference": "S-1", "name": "Jane Roe"}\n', "application/x-ndjson")},
    )
    assert started.status_code == 303
    run_path = started.headers["location"]
    for _ in range(100):
        page = await doors.http.get(run_path)
        if "Done:" in page.text:
            break
        await asyncio.sleep(0.05)
    results = await doors.http.get(f"{run_path}/results")
    assert results.status_code == 200 and json.loads(results.text.splitlines()[0])["decision"] == "CLEAR"
    assert 'filename="p-results.jsonl"' in results.headers["content-disposition"]
    # Another person's session sees no such run.
    other = httpx.AsyncClient(base_url=doors.http.base_url)
    async with other:
        form = await other.get("/sign-in")
        await other.post("/sign-in", data={"csrf": _csrf(form), "credential": doors.keys["reviewer"]})
        assert (await other.get(run_path)).status_code == 404
        assert (await other.get(f"{run_path}/results")).headers.get("location") == "/batch"


async def test_an_ended_session_keeps_the_form_through_sign_in(doors: Doors) -> None:  # noqa: F811
    # No session (it ended, or the server restarted): the form comes back through sign-in, unscreened.
    ended = await doors.http.post(
        "/check", data={"csrf": "old", "name": "Acme <b>Widgets</b>", "country": "DE", "not_a_field": "dropped"}
    )
    assert ended.status_code == 401 and "session ended" in ended.text
    assert 'name="carry_name" value="Acme &lt;b&gt;Widgets&lt;/b&gt;"' in ended.text
    assert "carry_not_a_field" not in ended.text
    signed_in = await doors.http.post(
        "/sign-in",
        data={"csrf": _csrf(ended), "credential": doors.keys["screener"], "carry_name": "Acme <b>Widgets</b>",
              "carry_country": "DE", "carry_evil": "x"},
    )  # fmt: skip
    assert signed_in.status_code == 200 and 'id="resumed"' in signed_in.text
    assert 'value="Acme &lt;b&gt;Widgets&lt;/b&gt;"' in signed_in.text and 'id="decision"' not in signed_in.text
    assert SESSION_COOKIE in signed_in.headers["set-cookie"]
    lists = await doors.http.get("/lists")
    assert lists.status_code == 200 and re.search(r"<td>\d+ min</td>", lists.text)


async def test_items_and_owners_are_checked_beside_their_fields(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "screener")
    bad_item = await doors.http.post(
        "/check",
        data={"csrf": csrf, "name": "Acme Widgets", "direction": "import", "item_1_description": "cotton",
              "item_1_hs_code": "12"},
    )  # fmt: skip
    assert bad_item.status_code == 400 and 'id="item_1_hs_code-error"' in bad_item.text
    assert "6 to 10 digits" in bad_item.text and 'value="cotton"' in bad_item.text
    bad_owner = await doors.http.post(
        "/check", data={"csrf": csrf, "name": "Acme Widgets", "owners": "Ivan Petrov: thirty"}
    )
    assert bad_owner.status_code == 400 and 'id="owners-error"' in bad_owner.text
    owned = await doors.http.post(
        "/check",
        data={"csrf": csrf, "name": "Acme Widgets", "owners": "Nicolas MADURO MOROS:60", "direction": "export"},
    )
    assert owned.status_code == 200 and "Owners on the lists" in owned.text and "(60%)" in owned.text


async def test_a_vessel_is_checked_by_its_imo_number_alone_and_a_bad_identifier_is_shown_beside_its_field(
    doors: Doors,  # noqa: F811
) -> None:
    csrf = await _sign_in(doors, "screener")
    found = await doors.http.post(
        "/check", data={"csrf": csrf, "name": "", "type": "vessel", "identifiers": "imo=9187629", "direction": "export"}
    )
    assert found.status_code == 200 and "BLOCK" in found.text and "15036" in found.text
    assert "IMO 9187629 is on ofac_sdn entry 15036" in found.text
    bad = await doors.http.post("/check", data={"csrf": csrf, "name": "Acme Widgets", "identifiers": "shoe=44"})
    assert bad.status_code == 400 and 'id="identifiers-error"' in bad.text and "not an identifier type" in bad.text
    assert "shoe=44" in bad.text  # the form keeps what was typed
    typo = await doors.http.post("/check", data={"csrf": csrf, "name": "Northern Breeze", "identifiers": "imo=9187628"})
    assert typo.status_code == 200 and 'id="warnings"' in typo.text and "IMO check digit does not match" in typo.text
    neither = await doors.http.post("/check", data={"csrf": csrf, "name": ""})
    assert neither.status_code == 400 and 'id="name-error"' in neither.text


async def test_a_partys_history_shows_its_dispositions(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "reviewer")
    answer = await doors.http.post(
        "/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS", "party_reference": "BP-77", "direction": "export"}
    )
    assert 'href="/parties/BP-77"' in answer.text
    recorded = await doors.http.post(
        "/dispositions",
        data={"csrf": csrf, "party_reference": "BP-77", "list_id": "ofac_sdn", "entry_id": "22790",
              "kind": "DISPOSITION_KIND_CONFIRMED_MATCH", "reason": "same passport"},
    )  # fmt: skip
    assert recorded.status_code == 200 and "confirmed match" in recorded.text
    history = await doors.http.get("/parties/BP-77")
    assert history.status_code == 200 and "Not registered for re-screening" in history.text
    assert "ofac_sdn 22790" in history.text and "same passport" in history.text and "key:http-reviewer" in history.text
    nobody = await doors.http.get("/parties/BP-NONE")
    assert 'id="no-history"' in nobody.text


async def test_with_authentication_off_the_console_signs_in_without_a_key(
    settings: Settings, test_catalog: Catalog
) -> None:
    running = await start_server(dataclasses.replace(settings, http_port=0), test_catalog, load_policy())
    try:
        await wait_ready(running)
        assert running.http is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}") as client:
            form = await client.get("/sign-in")
            assert 'id="auth-off"' in form.text
            signed_in = await client.post("/sign-in", data={"csrf": _csrf(form), "credential": ""})
            assert signed_in.status_code == 303
            check = await client.get("/check")
            assert "Signed in as <strong>anonymous</strong>" in check.text
            answer = await client.post("/check", data={"csrf": _csrf(check), "name": "Nicolas MADURO MOROS"})
            assert 'id="decision">BLOCK<' in answer.text
    finally:
        await running.stop(0.5)


async def test_with_authentication_required_a_key_is(doors: Doors) -> None:  # noqa: F811
    form = await doors.http.get("/sign-in")
    assert 'id="auth-off"' not in form.text
    empty = await doors.http.post("/sign-in", data={"csrf": _csrf(form), "credential": ""})
    assert empty.status_code == 400 and "Enter your API key" in empty.text


async def test_the_audit_page_finds_a_screening_and_says_why_it_cannot_replay_it(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "reviewer")
    answer = await doors.http.post("/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS", "direction": "export"})
    screening_id = re.search(r'id="screening-id">([0-9a-f-]+)<', answer.text).group(1)  # type: ignore[union-attr]
    assert f'href="/audit?screening_id={screening_id}"' in answer.text
    for _ in range(100):  # the audit writer sends records in the background
        found = await doors.http.get("/audit", params={"screening_id": screening_id})
        if found.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert found.status_code == 200, found.text[:300]
    assert 'id="recorded-decision">BLOCK<' in found.text and "key:http-reviewer" in found.text
    assert "fingerprint only" in found.text and "Nicolas MADURO MOROS" not in found.text  # party data is off here
    replayed = await doors.http.post("/audit/replay", data={"csrf": csrf, "screening_id": screening_id})
    assert replayed.status_code == 409 and 'id="replay-error"' in replayed.text and "AUDIT_PARTY_DATA" in replayed.text
    forged = await doors.http.post("/audit/replay", data={"csrf": "guessed", "screening_id": screening_id})
    assert forged.status_code == 400 and "expired" in forged.text

    bad = await doors.http.get("/audit", params={"screening_id": "<b>x</b>"})
    assert bad.status_code == 400 and 'id="screening_id-error"' in bad.text
    assert "<b>x</b>" not in bad.text and "&lt;b&gt;x&lt;/b&gt;" in bad.text
    missing = await doors.http.get("/audit", params={"screening_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427"})
    assert missing.status_code == 404 and "no audit record" in missing.text

    await doors.http.post("/sign-out", data={"csrf": csrf})
    await _sign_in(doors, "screener")  # screens, does not read the trail
    denied = await doors.http.get("/audit", params={"screening_id": screening_id})
    assert denied.status_code == 403 and "needs the role" in denied.text


async def test_a_lists_changes_are_browsable_a_page_at_a_time(doors: Doors) -> None:  # noqa: F811
    await _sign_in(doors, "screener")
    lists = await doors.http.get("/lists")
    assert 'href="/lists/ofac_sdn/changes"' in lists.text
    first = await doors.http.get("/lists/ofac_sdn/changes")
    assert first.status_code == 200 and "(the first version loaded)" in first.text
    added = int(re.search(r"<strong>(\d+)</strong> added", first.text).group(1))  # type: ignore[union-attr]
    rows = re.findall(r'<tr class="change-added"><td><code>([^<]+)</code>', first.text)
    assert added > 0 and len(rows) == min(added, 100)
    assert ('id="changes-next"' in first.text) == (added > 100)
    none_removed = await doors.http.get("/lists/ofac_sdn/changes", params={"change": "removed"})
    assert 'id="changes-empty"' in none_removed.text
    unknown = await doors.http.get("/lists/<b>nope/changes")
    assert unknown.status_code == 400 and "unknown list" in unknown.text
    assert "<b>nope" not in unknown.text and "&lt;b&gt;nope" in unknown.text
    bad_kind = await doors.http.get("/lists/ofac_sdn/changes", params={"change": "renamed"})
    assert bad_kind.status_code == 400 and "not one of" in bad_kind.text


async def test_the_review_queue_filters_alerts_and_names_a_bad_filter(doors: Doors) -> None:  # noqa: F811
    csrf = await _sign_in(doors, "reviewer")
    queue = await doors.http.get("/review")
    assert queue.status_code == 200 and 'id="alerts-empty"' in queue.text and 'id="queue-empty"' in queue.text
    assert 'id="reviews-empty"' in queue.text

    # A check with a possible match joins the queue; a disposition from the queue takes it out.
    answer = await doors.http.post(
        "/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS", "party_reference": "BP-88", "direction": "export"}
    )
    screening_id = re.search(r'id="screening-id">([0-9a-f-]+)<', answer.text).group(1)  # type: ignore[union-attr]
    for _ in range(100):
        queue = await doors.http.get("/review")
        if f'id="review-{screening_id}"' in queue.text:
            break
        await asyncio.sleep(0.05)
    assert f'id="review-{screening_id}"' in queue.text and 'href="/parties/BP-88"' in queue.text
    recorded = await doors.http.post(
        "/dispositions",
        data={"csrf": csrf, "party_reference": "BP-88", "list_id": "ofac_sdn", "entry_id": "22790",
              "kind": "DISPOSITION_KIND_CONFIRMED_MATCH", "reason": "same passport", "screening_id": screening_id},
    )  # fmt: skip
    assert recorded.status_code == 200
    decided = await doors.http.get("/review")
    assert f'id="review-{screening_id}"' not in decided.text
    everything = await doors.http.get("/review", params={"all": "1"})
    assert f'id="review-{screening_id}"' in everything.text
    filtered = await doors.http.get("/review", params={"list_id": "ofac_sdn", "decision": "BLOCK", "age": "7d"})
    assert filtered.status_code == 200
    assert '<option value="BLOCK" selected>' in filtered.text and '<option value="7d" selected>' in filtered.text
    wrong = await doors.http.get("/review", params={"decision": "MAYBE", "list_id": "nope"})
    assert 'id="filter-decision-error"' in wrong.text
    wrong_list = await doors.http.get("/review", params={"list_id": "nope"})
    assert 'id="filter-list-error"' in wrong_list.text and "unknown list" in wrong_list.text


async def test_the_audit_page_replays_a_screening_and_shows_it_identical(
    settings: Settings, test_catalog: Catalog
) -> None:
    server_settings = dataclasses.replace(settings, http_port=0, audit_party_data=True)
    running = await start_server(server_settings, test_catalog, load_policy())
    try:
        await wait_ready(running)
        assert running.http is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http.port}") as client:
            form = await client.get("/sign-in")
            await client.post("/sign-in", data={"csrf": _csrf(form), "credential": ""})
            check = await client.get("/check")
            csrf = _csrf(check)
            answer = await client.post("/check", data={"csrf": csrf, "name": "Nicolas MADURO MOROS"})
            screening_id = re.search(r'id="screening-id">([0-9a-f-]+)<', answer.text).group(1)  # type: ignore[union-attr]
            for _ in range(100):
                found = await client.get("/audit", params={"screening_id": screening_id})
                if found.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert "kept (replayable)" in found.text and "Nicolas MADURO MOROS" in found.text
            replayed = await client.post("/audit/replay", data={"csrf": csrf, "screening_id": screening_id})
            assert replayed.status_code == 200 and 'id="replay-identical"' in replayed.text
            assert "Replay: BLOCK" in replayed.text
    finally:
        await running.stop(0.5)
