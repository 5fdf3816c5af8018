"""The `screening` command as a user runs it: real processes, real ports, real Redis."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.registry.store import PartyRegistry
from tests.cli_support import SCREENING, cli_env, embedded_servers_in, free_port, run_cli, wait_serving
from tests.conftest import FIXTURES, SERVER_REDIS_URL


@pytest.fixture(autouse=True)
def no_embedded_redis_left_behind(tmp_path: Path) -> Iterator[None]:
    """Every CLI process that started an embedded Redis must stop it before it exits."""
    yield
    left = embedded_servers_in(tmp_path)
    for process in left:  # never leave them running, even when the assertion fails
        process.kill()
    assert not left, f"{len(left)} embedded redis-server(s) left running: {[p.pid for p in left]}"


def test_check_local_with_embedded_redis_prints_json_decision(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    result = run_cli(["check", "Nicolas MADURO MOROS", "--local", "--json"], env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["decision"] == "DECISION_BLOCK"
    assert body["matches"][0]["entry_id"] == "22790"
    assert body["list_versions"][0]["list_id"] == "ofac_sdn" and len(body["list_versions"][0]["version"]) == 16

    clear = run_cli(["check", "Johanna Pemberton-Whitcombe", "--local", "--json"], env)
    assert clear.returncode == 0, clear.stderr
    assert json.loads(clear.stdout)["decision"] == "DECISION_CLEAR"


def test_check_local_holds_a_party_in_xinjiang_on_an_import_only(tmp_path: Path) -> None:
    """Issue 15's Done-when: Kashgar in Latin letters or Chinese characters, import vs export."""
    env = cli_env(tmp_path)
    base = ["check", "Kashgar Cotton Textile Co", "--country", "CN", "--local", "--json"]
    for place in (["--city", "Kashgar"], ["--address", "新疆喀什市解放北路18号"]):
        held = run_cli([*base, *place, "--direction", "import"], env)
        assert held.returncode == 0, held.stderr
        body = json.loads(held.stdout)
        assert body["decision"] == "DECISION_HOLD"
        [reason] = body["reasons"]
        assert reason["code"] == "UFLPA_XINJIANG_ORIGIN" and "Pub. L. 117-78, section 3" in reason["citation"]
        exported = run_cli([*base, *place, "--direction", "export", "--destination", "DE"], env)
        assert json.loads(exported.stdout)["decision"] == "DECISION_CLEAR"
    bad = run_cli([*base, "--direction", "import", "--item", "shirts;hs=6205"], env)
    assert bad.returncode == 2 and "context.items[0].hs_code" in bad.stderr


def test_check_local_bad_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    result = run_cli(["check", "x", "--local", "--dob", "23/11/1962"], cli_env(tmp_path))
    assert result.returncode == 2
    assert "party.date_of_birth" in result.stderr


def test_check_local_on_the_real_sdn_snapshot(tmp_path: Path, shared_data: Path) -> None:
    env = cli_env(tmp_path, LISTS_DIR=str(shared_data / "ofac-sdn-2023-12-28"))
    del env["SCREENING_CATALOG"]  # the real catalogue, real floor of 5000 entries
    result = run_cli(["check", "Nicolas MADURO MOROS", "--local", "--json"], env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["decision"] == "DECISION_BLOCK"
    assert body["matches"][0]["entry"]["programs"] == ["VENEZUELA", "IRAN-CON-ARMS-EO"]
    lists = run_cli(["lists", "--local", "--json"], env)
    statuses = {s["list_id"]: s for s in json.loads(lists.stdout)["lists"]}
    assert statuses["ofac_sdn"]["entry_count"] == "13821"  # int64 is a string in proto JSON
    # Lists whose files the folder does not hold are left as they are: never loaded.
    assert statuses["bis_entity"]["state"] == "LIST_STATE_NOT_LOADED"


def test_serve_check_lists_and_sigterm_drain(tmp_path: Path, server_prefix: str) -> None:
    port = free_port()
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    server = subprocess.Popen(
        [*SCREENING, "serve", "--port", str(port), "--host", "127.0.0.1", "--http-port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(port, server)
        target = ["--target", f"127.0.0.1:{port}"]
        check = run_cli(["check", "Nicolas MADURO MOROS", *target, "--json"], env)
        assert check.returncode == 0, check.stderr
        assert json.loads(check.stdout)["decision"] == "DECISION_BLOCK"
        human = run_cli(["check", "maduro moros, NICOLÁS", *target], env)
        assert human.stdout.startswith("BLOCK") and "#22790" in human.stdout
        lists = run_cli(["lists", *target], env)
        assert "ofac_sdn" in lists.stdout and "CURRENT" in lists.stdout
        bad = run_cli(["check", "   ", *target], env)
        assert bad.returncode == 2 and "INVALID_ARGUMENT" in bad.stderr and "party.name" in bad.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"listening", "serving", "draining", "stopped"} <= {e["event"] for e in events}
    screened = [e for e in events if e["event"] == "screened"]
    assert screened and all("request_id" in e and len(e["party"]) == 16 for e in screened)
    # Party data never appears in the logs, only its fingerprint.
    assert "MADURO" not in stderr.upper()


def test_serve_with_two_workers_shares_one_port(tmp_path: Path, server_prefix: str) -> None:
    port = free_port()
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    log_path = tmp_path / "serve.log"

    def events() -> list[dict[str, object]]:
        return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]

    # The log goes to a file: a pipe nobody reads would fill up and stall the workers.
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [*SCREENING, "serve", "--port", str(port), "--host", "127.0.0.1", "--workers", "2", "--http-port", "off"],
            env=env,
            stderr=log_file,
            text=True,
        )
    try:
        wait_serving(port, server)
        deadline = time.monotonic() + 60
        # Both workers bind the port; wait until both report SERVING in their logs.
        serving_pids: set[object] = set()
        while len(serving_pids) < 2 and time.monotonic() < deadline:
            serving_pids = {e["pid"] for e in events() if e["event"] == "serving"}
            time.sleep(0.1)
        assert len(serving_pids) == 2, log_path.read_text()
        check = run_cli(["check", "Nicolas MADURO MOROS", "--target", f"127.0.0.1:{port}", "--json"], env)
        assert json.loads(check.stdout)["decision"] == "DECISION_BLOCK"
        # A batch with two streams gets one on each worker, whichever process the kernel
        # hands each new connection to (a coin toss per connection).
        parties = tmp_path / "parties.csv"
        parties.write_text("party_reference,name\n" + "".join(f"P-{n},Johanna Doe {n}\n" for n in range(400)))
        batch = run_cli(["batch", str(parties), "--output", str(tmp_path / "out.csv"), "--target", f"127.0.0.1:{port}",
                         "--streams", "2", "--no-progress"], env)  # fmt: skip
        assert batch.returncode == 0, batch.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    batch_pids = {e["pid"] for e in events() if e["event"] == "screened" and e.get("rpc") == "ScreenBatch"}
    assert batch_pids == serving_pids
    for pid in serving_pids:
        with pytest.raises(ProcessLookupError):
            os.kill(int(str(pid)), 0)


def test_refresh_from_the_real_mirror_then_lists_then_serve_without_refreshing(
    tmp_path: Path, shared_data: Path
) -> None:
    """Done-when of the 'every list' issue, with the embedded Redis a fresh clone uses."""
    env = cli_env(tmp_path)
    for name in ("SCREENING_CATALOG", "LISTS_DIR"):
        del env[name]  # the real catalogue; lists from --from, not LISTS_DIR
    mirror = shared_data / "mirror-2023-12"

    # No --force: the snapshot's consolidated.csv ends inside its last record, but that
    # record is an SDN row, which no CSL list takes (the OFAC files win).
    refresh = run_cli(["refresh", "--from", str(mirror)], env)
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    assert "rejected" not in refresh.stdout

    lists = run_cli(["lists", "--local", "--json"], env)
    statuses = {s["list_id"]: s for s in json.loads(lists.stdout)["lists"]}
    expected_counts = {"ofac_sdn": 13821, "ofac_cons": 442, "bis_dpl": 544, "dhs_uflpa": 53}
    assert set(statuses) == {
        "ofac_sdn", "ofac_cons", "bis_entity", "bis_dpl", "bis_uvl", "bis_meu", "state_isn", "state_dtc",
        "dhs_uflpa", "cbp_wro",
    }  # fmt: skip
    # The mirror holds no CBP file (none is available offline): that list stays unloaded, the others serve.
    assert statuses.pop("cbp_wro")["state"] == "LIST_STATE_NOT_LOADED"
    for list_id, status in statuses.items():
        assert status["state"] == "LIST_STATE_CURRENT", status
        assert len(status["version"]) == 16 and int(status["entry_count"]) > 0 and "age" in status
        if list_id in expected_counts:
            assert int(status["entry_count"]) == expected_counts[list_id]
    assert statuses["bis_dpl"]["data_date"] == "2023-11-28" and statuses["dhs_uflpa"]["data_date"] == "2025-01-15"
    for list_id in ("bis_entity", "bis_uvl", "bis_meu", "state_isn", "state_dtc"):
        assert any(":4233: " in note and "does not take" in note for note in statuses[list_id]["notes"]), list_id
    table = run_cli(["lists", "--local"], env).stdout
    assert "data date" in table and "2023-11-28" in table

    port = free_port()
    server = subprocess.Popen(
        [*SCREENING, "serve", "--port", str(port), "--host", "127.0.0.1", "--http-port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(port, server)
        check = run_cli(["check", "Nicolas MADURO MOROS", "--target", f"127.0.0.1:{port}", "--json"], env)
        body = json.loads(check.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    served = {v["list_id"]: v["version"] for v in body["list_versions"]}
    assert served == {list_id: s["version"] for list_id, s in statuses.items()}
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    # cbp_wro, which no mirror holds, is fetched from CBP at start-up; with no network here that
    # fails, and the server serves the other lists all the same.
    events = [e for e in events if e.get("list_id") != "cbp_wro" and "cbp.gov" not in str(e.get("url", ""))]
    prepared = [e for e in events if e["event"] == "list_prepared"]
    assert len(prepared) == 9 and all(e["outcome"] == "unchanged" and e["detail"] == "already stored" for e in prepared)
    assert not [e for e in events if e["event"] in ("list_published", "list_fetch_failed", "download_retry")]


def test_audit_and_dispositions_subcommands_are_wired() -> None:
    from service.cli import build_parser, cmd_audit, cmd_dispositions

    parser = build_parser()
    replay = parser.parse_args(["audit", "replay", "5d7e73f3", "--json"])
    assert (replay.func, replay.audit_command, replay.screening_id, replay.json) == (
        cmd_audit,
        "replay",
        "5d7e73f3",
        True,
    )
    assert parser.parse_args(["audit", "export"]).audit_command == "export"
    listing = parser.parse_args(["dispositions", "list", "--reference", "BP-7", "--include-revoked"])
    assert (listing.func, listing.reference, listing.include_revoked) == (cmd_dispositions, "BP-7", True)
    export = parser.parse_args(["dispositions", "export", "out.jsonl", "--active-only"])
    assert (export.file, export.active_only) == ("out.jsonl", True)
    check = parser.parse_args(["check", "ACME", "--owner", "Ivan Petrov:30", "--city", "Sevastopol", "--country", "UA"])
    from service.cli import build_request

    request = build_request(check)
    assert [(o.name, o.share_percent) for o in request.party.owners] == [("Ivan Petrov", 30.0)]
    assert (request.party.addresses[0].city, request.party.addresses[0].country) == ("Sevastopol", "UA")


def test_check_identifier_is_written_as_in_a_batch_file() -> None:
    from service.cli import build_parser, build_request

    parser = build_parser()
    check = parser.parse_args(["check", "--identifier", "imo=9187629", "--identifier", " passport@ir = D9016371 "])
    assert [(i.type, i.value, i.issuing_country) for i in build_request(check).party.identifiers] == [
        ("imo", "9187629", ""),
        ("passport", "D9016371", "IR"),
    ]
    for malformed in ("imo 9187629", "imo=", "@IR=D9016371"):
        with pytest.raises(SystemExit) as exited:
            build_request(parser.parse_args(["check", "--identifier", malformed]))
        assert str(exited.value) == (
            f"error: --identifier {malformed!r}: write TYPE=VALUE (or TYPE@COUNTRY=VALUE), e.g. imo=9187629"
        )


def test_parties_import_registers_each_row_for_its_own_direction(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    source = tmp_path / "partners.csv"
    source.write_text(
        "party_reference,name,direction\n"
        "BP-1,Harold Finchley-Marsh,import\n"
        "BP-2,Johanna Doe,\n"  # blank: --direction
        "BP-3,Acme Widgets GmbH,export\n"
        "BP-4,,export\n"  # refused: no name
    )
    imported = run_cli(["parties", "import", str(source), "--direction", "payment"], env)
    assert imported.returncode == 1, imported.stderr  # one row refused
    assert "registered 3 parties (3 new, 1 refused)" in imported.stdout
    assert "refused: line 5: party.name: is required" in imported.stderr
    assert "3 new or changed parties queued for their first screening: job registered:" in imported.stdout
    again = run_cli(["parties", "import", str(source), "--direction", "payment"], env)
    assert "registered 3 parties (0 new, 1 refused)" in again.stdout and "queued" not in again.stdout
    shown = run_cli(["parties", "show", "BP-1"], env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[:2] == [
        "BP-1: Harold Finchley-Marsh (import)",
        "state: not screened yet; first screening queued",
    ]
    as_json = json.loads(run_cli(["parties", "show", "BP-3", "--json"], env).stdout)
    assert (as_json["party"]["name"], as_json["direction"], as_json["screeningQueued"]) == (
        "Acme Widgets GmbH",
        "DIRECTION_EXPORT",
        True,
    )
    unknown = run_cli(["parties", "show", "BP-4"], env)
    assert unknown.returncode == 2 and "no registered party 'BP-4'" in unknown.stderr

    async def directions() -> dict[str, str]:
        client = aioredis.Redis.from_url(SERVER_REDIS_URL)
        try:
            registry = PartyRegistry(client, server_prefix)
            found = {ref: await registry.get(ref) for ref in ("BP-1", "BP-2", "BP-3", "BP-4")}
        finally:
            await client.aclose()
        return {ref: party.direction for ref, party in found.items() if party is not None}

    assert asyncio.run(directions()) == {"BP-1": "import", "BP-2": "payment", "BP-3": "export"}


def test_parties_import_keeps_each_party_s_identifiers(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix, LOG_LEVEL="warning")
    published = run_cli(["refresh", "--list", "ofac_sdn", "--from", str(FIXTURES / "ofac_sdn")], env)
    assert published.returncode == 0, published.stderr
    source = tmp_path / "fleet.jsonl"
    lines = [
        {"party_reference": "F-1", "type": "vessel", "identifiers": [{"type": "imo", "value": "9187629"}]},
        {"party_reference": "F-2", "name": "Blue Horizon Shipping", "identifiers": "imo=9187629; mmsi@mt=215123456"},
        {"party_reference": "F-3", "identifiers": ["imo 9187629"]},  # refused: not TYPE=VALUE
        {"party_reference": "F-4", "identifiers": ["shoe=44"]},  # refused by the service's vocabulary
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    imported = run_cli(["parties", "import", str(source), "--no-progress"], env)

    assert imported.returncode == 1, imported.stderr
    assert "registered 2 parties (2 new, 2 refused)" in imported.stdout
    assert "refused: line 3: identifiers[0]: 'imo 9187629': write TYPE=VALUE" in imported.stderr
    assert "refused: line 4: party.identifiers[0].type: 'shoe' is not an identifier type" in imported.stderr
    worked = run_cli(["worker", "--exit-when-idle"], env)
    assert worked.returncode == 0, worked.stderr
    # Their first screening finds the vessel ZAFAR STAR by its IMO number, whatever the name.
    for reference, described in (
        ("F-1", "[imo=9187629]"),
        ("F-2", "Blue Horizon Shipping [imo=9187629; mmsi@MT=215123456]"),
    ):
        shown = run_cli(["parties", "show", reference], env).stdout.splitlines()
        assert shown[0] == f"{reference}: {described} (export)"
        assert shown[1].startswith("state: BLOCK since ") and shown[2].split()[:3] == ["BLOCK", "ofac_sdn", "15036"]

    async def identifiers() -> dict[str, list[tuple[str, str, str]]]:
        client = aioredis.Redis.from_url(SERVER_REDIS_URL)
        try:
            registry = PartyRegistry(client, server_prefix)
            found = {ref: await registry.get(ref) for ref in ("F-1", "F-2", "F-3", "F-4")}
        finally:
            await client.aclose()
        return {
            ref: [(i.type, i.value, i.issuing_country) for i in pb.Party.FromString(party.party).identifiers]
            for ref, party in found.items()
            if party is not None
        }

    assert asyncio.run(identifiers()) == {
        "F-1": [("imo", "9187629", "")],
        "F-2": [("imo", "9187629", ""), ("mmsi", "215123456", "MT")],
    }


def test_imported_parties_are_screened_once_and_rescreen_waits_for_its_job(tmp_path: Path, server_prefix: str) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix, LOG_LEVEL="warning")
    published = run_cli(["refresh", "--list", "ofac_sdn", "--from", str(FIXTURES / "ofac_sdn")], env)
    assert published.returncode == 0, published.stderr
    source = tmp_path / "partners.csv"
    source.write_text("party_reference,name\nBP-1,Nicolas MADURO MOROS\nBP-2,Harold Finchley-Marsh\n")
    imported = run_cli(["parties", "import", str(source)], env)
    assert "2 new or changed parties queued for their first screening: job registered:" in imported.stdout, imported
    worked = run_cli(["worker", "--exit-when-idle"], env)
    assert worked.returncode == 0, worked.stderr
    listed = run_cli(["parties", "show", "BP-1"], env).stdout.splitlines()
    assert listed[1].startswith("state: BLOCK since ") and listed[2].split() == [
        "BLOCK",
        "ofac_sdn",
        "22790",
        "(score",
        "1.00)",
        "'MADURO",
        "MOROS,",
        "Nicolas'",
    ]
    assert run_cli(["parties", "show", "BP-2"], env).stdout.splitlines()[1].startswith("state: CLEAR since ")

    worker = subprocess.Popen([*SCREENING, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        waited = run_cli(["rescreen", "--all", "--wait"], env)
    finally:
        worker.terminate()
        stopped = worker.wait(10)
    assert stopped == 0  # SIGTERM: the worker finishes what it holds and exits cleanly
    assert waited.returncode == 0, waited.stderr
    # Nothing changed since the first screening: a full re-screen says nothing new.
    assert re.search(r"job full:\w+ done: 2 parties screened, 0 alerts, [\d.]+ s", waited.stdout), waited.stdout


def test_every_command_taking_a_direction_defaults_to_the_same_one() -> None:
    from service.cli import build_parser
    from service.command_words import DEFAULT_DIRECTION

    parser = build_parser()
    defaults = {
        " ".join(argv[:2]): parser.parse_args(argv).direction
        for argv in (["check", "Acme"], ["batch", "in.csv", "--output", "out.csv"], ["parties", "import", "in.csv"])
    }
    assert set(defaults.values()) == {DEFAULT_DIRECTION} == {"export"}, defaults
