"""`screening batch`: a file of parties through a real ScreenBatch stream (or in-process) into a results file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis
import structlog

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.audit.record import decode
from service.batch.files import OUTPUT_COLUMNS, BadInput, PartyReader
from service.batch.run import BatchOptions, run_batch, screen_file
from service.grpc_door.server import RunningServer
from service.logs import configure_logging
from tests.cli_support import cli_env, free_port, run_cli

HEADER = ["party_reference", "name", "type", "country", "alternative_names", "direction"]


@pytest.fixture
def redis_url(server_redis_url: str) -> str:
    """Batch files do not depend on the Redis flavour (conftest runs both): the server one, once."""
    return server_redis_url


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        assert next(reader) == list(OUTPUT_COLUMNS)
        return [dict(zip(OUTPUT_COLUMNS, fields, strict=True)) for fields in reader]


def target(server: RunningServer) -> str:
    return f"127.0.0.1:{server.port}"


def options(input_path: Path, output_path: Path, **changes: object) -> BatchOptions:
    return BatchOptions(input=input_path, output=output_path, **{"progress": False, **changes})  # type: ignore[arg-type]


async def test_csv_in_csv_out_in_input_order(
    grpc_server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "parties.csv", [
        ["BP-1", "Nicolas MADURO MOROS", "individual", "VE", "", ""],
        ["BP-2", "Johanna Pemberton-Whitcombe", "", "GB", "", ""],
        ["BP-3", "BANCO NACIONAL DE CUBA", "organization", "", "BNC Havana", "payment"],
        ["BP-4", "Harold Finchley-Marsh", "individual", "", "H. Finchley;Hal Marsh", "import"],
    ])  # fmt: skip
    output = tmp_path / "results.csv"

    assert await run_batch(options(source, output, max_in_flight=2), target=target(grpc_server)) == 0

    rows = read_csv(output)
    assert [(r["party_reference"], r["decision"]) for r in rows] == [
        ("BP-1", "BLOCK"), ("BP-2", "CLEAR"), ("BP-3", "BLOCK"), ("BP-4", "CLEAR"),
    ]  # fmt: skip
    maduro = rows[0]
    top = (maduro["top_list_id"], maduro["top_entry_id"], maduro["top_listed_name"])
    assert top == ("ofac_sdn", "22790", "MADURO MOROS, Nicolas")
    assert float(maduro["top_score"]) >= 0.9
    assert "OFAC_SDN_MATCH" in maduro["reason_codes"].split(";")
    assert maduro["summary"].startswith("Decision BLOCK") and maduro["screening_id"] and not maduro["error"]
    assert grpc_server.loader.state is not None
    assert maduro["list_versions"] == f"ofac_sdn@{grpc_server.loader.state.versions['ofac_sdn']}"
    clear = rows[1]
    assert clear["top_list_id"] == clear["top_score"] == clear["reason_codes"] == "" and clear["summary"]
    assert "screened 4 parties" in capsys.readouterr().out


async def test_jsonl_in_jsonl_out(grpc_server: RunningServer, tmp_path: Path) -> None:
    source = tmp_path / "parties.jsonl"
    lines = [
        {
            "Party_Reference": "J-1",
            "Name": "Harold Finchley-Marsh",
            "alternative_names": ["Hal Marsh"],
            "direction": "import",
        },
        {
            "party_reference": "J-2",
            "name": "Nicolas MADURO MOROS",
            "date_of_birth": "1962-11-23",
            "nationalities": "VE",
        },
        {"party_reference": 3, "name": "Acme Widgets Ltd", "owners": "BANCO NACIONAL DE CUBA:60;Jane Roe:40"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n", encoding="utf-8")  # a blank last line
    output = tmp_path / "results.ndjson"

    summary = await screen_file(options(source, output), target=target(grpc_server))

    results = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert all(tuple(result) == OUTPUT_COLUMNS for result in results)
    decisions = [(r["party_reference"], r["decision"]) for r in results]
    assert decisions == [("J-1", "CLEAR"), ("J-2", "BLOCK"), ("3", "BLOCK")]
    assert results[0]["top_score"] is None and results[1]["top_score"] >= 0.9
    # A company 60% owned by a blocked bank is blocked under the 50 percent rule.
    assert results[2]["top_list_id"] == "" and results[2]["reason_codes"]
    assert summary.screened == 3 and summary.decisions["BLOCK"] == 2 and summary.errors == 0


async def test_bad_rows_become_error_rows_and_the_rest_completes(grpc_server: RunningServer, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "parties.csv", [
        ["A-1", "Johanna Pemberton-Whitcombe", "", "Cuba", "", ""],
        ["A-2", "Nicolas MADURO MOROS", "individual", "VE", "", ""],
        ["A-3", "Harold Finchley-Marsh", "company", "", "", ""],
        ["A-2", "Someone Else Entirely", "", "", "", ""],
        ["A-4", "", "", "", "", ""],
        ["A-5", "Harold Finchley-Marsh", "", "", "", ""],
    ])  # fmt: skip
    output = tmp_path / "results.csv"

    summary = await screen_file(options(source, output), target=target(grpc_server))

    rows = read_csv(output)
    assert [(r["party_reference"], r["decision"]) for r in rows] == [
        ("A-1", "ERROR"), ("A-2", "BLOCK"), ("A-3", "ERROR"), ("A-2", "ERROR"), ("A-4", "ERROR"), ("A-5", "CLEAR"),
    ]  # fmt: skip
    # Answered by the server, which names the field; the column to fix is added.
    assert rows[0]["error"].startswith("party.addresses[0].country: 'Cuba' is not an ISO 3166-1 alpha-2 country code")
    assert "column 'country', input line 2" in rows[0]["error"]
    assert rows[0]["screening_id"] == rows[0]["summary"] == ""
    assert rows[2]["error"].startswith("type: 'company' is not a party type")
    assert "appears again (first on input line 3)" in rows[3]["error"]
    assert rows[4]["error"].startswith("party.name: is required")
    assert summary.errors == 4 and summary.screened == 6


async def test_missing_required_column_fails_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "parties.csv", [["R-1", "individual"]], header=["Party Reference", "type"])
    output = tmp_path / "results.csv"

    # No server at all: the file is refused before one would be needed.
    assert await run_batch(options(source, output), target=f"127.0.0.1:{free_port()}") == 2

    assert "has no 'name' column" in capsys.readouterr().err
    assert not output.exists()


async def test_no_server_exits_3_and_leaves_no_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "parties.csv", [["R-1", "Harold Finchley-Marsh", "", "", "", ""]])
    output = tmp_path / "results.csv"
    assert await run_batch(options(source, output, timeout=1.0), target=f"127.0.0.1:{free_port()}") == 3
    assert "no server at" in capsys.readouterr().err
    assert not output.exists()


async def test_existing_output_is_refused_without_resume_or_overwrite(
    grpc_server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "parties.csv", [["R-1", "Harold Finchley-Marsh", "", "", "", ""]])
    output = tmp_path / "results.csv"
    output.write_text("precious\n", encoding="utf-8")

    assert await run_batch(options(source, output), target=target(grpc_server)) == 2
    assert "exists; use --resume or --overwrite" in capsys.readouterr().err
    assert output.read_text(encoding="utf-8") == "precious\n"

    assert await run_batch(options(source, output, overwrite=True), target=target(grpc_server)) == 0
    assert [r["party_reference"] for r in read_csv(output)] == ["R-1"]


def _identifiers(row_request: pb.ScreenRequest | None) -> list[tuple[str, str, str]]:
    assert row_request is not None
    return [(i.type, i.value, i.issuing_country) for i in row_request.party.identifiers]


def test_identifiers_column_in_csv_and_jsonl(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "parties.csv", [
        ["I-1", "Blue Horizon Shipping", "imo=9187629; passport@ir=D9016371"],
        ["I-2", "", " wallet:XBT=1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V ;"],
        ["I-3", "Harold Finchley-Marsh", ""],
        ["I-4", "Harold Finchley-Marsh", "imo=9187629;imo 9187629"],
    ], header=["party_reference", "name", "Identifiers"])  # fmt: skip
    with PartyReader(source, "csv") as reader:
        rows = list(reader)
    assert _identifiers(rows[0].request) == [("imo", "9187629", ""), ("passport", "D9016371", "IR")]
    assert _identifiers(rows[1].request) == [("wallet:XBT", "1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V", "")]
    assert rows[1].request is not None and rows[1].request.party.name == ""  # the server screens it by identifier
    assert _identifiers(rows[2].request) == []
    # Reported like an unknown type or direction: the column (and which identifier), the input line.
    assert rows[3].request is None and rows[3].error == (
        "identifiers[1]: 'imo 9187629': write TYPE=VALUE (or TYPE@COUNTRY=VALUE), e.g. imo=9187629 (input line 5)"
    )

    lines = [
        {"party_reference": "J-1", "name": "", "identifiers": "imo=9187629; mmsi=215123456"},
        {"party_reference": "J-2", "identifiers": ["imo=9187629", "passport@IR=D9016371"]},
        {
            "party_reference": "J-3",
            "identifiers": [
                {"type": "passport", "value": "D9016371", "Issuing Country": "ir"},
                {"type": "imo", "value": 9187629},  # a JSON number is its digits
            ],
        },
        {"party_reference": "J-4", "identifiers": [{"type": "imo", "number": "9187629"}]},
        {"party_reference": "J-5", "identifiers": [{"type": "imo"}]},
        {"party_reference": "J-6", "identifiers": {"type": "imo", "value": "9187629"}},
        {"party_reference": "J-7", "identifiers": ["imo=9187629", "9187629"]},
    ]
    jsonl = tmp_path / "parties.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    # No name key at all: a file of parties screened by identifier alone needs none.
    with PartyReader(jsonl, "jsonl") as reader:
        rows = list(reader)
    assert _identifiers(rows[0].request) == [("imo", "9187629", ""), ("mmsi", "215123456", "")]
    assert _identifiers(rows[1].request) == [("imo", "9187629", ""), ("passport", "D9016371", "IR")]
    assert _identifiers(rows[2].request) == [("passport", "D9016371", "IR"), ("imo", "9187629", "")]
    an_object = 'an object is {"type": "imo", "value": "9187629"}, with "issuing_country" optional'
    assert [row.error for row in rows[3:]] == [
        f"identifiers[0]: 'number' is not an identifier key: {an_object} (input line 4)",
        f"identifiers[0]: type and value are required: {an_object} (input line 5)",
        "identifiers: must be a string (TYPE=VALUE; ...), or a list of strings or objects (input line 6)",
        "identifiers[1]: '9187629': write TYPE=VALUE (or TYPE@COUNTRY=VALUE), e.g. imo=9187629 (input line 7)",
    ]

    # Without an identifiers column the name column is required as before.
    nameless = write_csv(tmp_path / "nameless.csv", [["N-1", "vessel"]], header=["party_reference", "type"])
    refused = r"has no 'name' column .*required: party_reference, name \(or identifiers\)"
    with pytest.raises(BadInput, match=refused), PartyReader(nameless, "csv"):
        pass


async def test_rows_screened_by_identifier(grpc_server: RunningServer, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "parties.csv", [
        ["V-1", "", "vessel", "imo=9187629"],
        ["V-2", "Blue Horizon Shipping", "", "imo=9187629; mmsi@MT=215123456"],
        ["V-3", "", "", ""],
        ["V-4", "", "", "shoe=44"],
        ["V-5", "Harold Finchley-Marsh", "", "passport@XX=123456789"],
        ["V-6", "", "", "imo:9187629"],
        ["V-7", "Harold Finchley-Marsh", "", "passport@GB=123456789"],
    ], header=["party_reference", "name", "type", "identifiers"])  # fmt: skip
    output = tmp_path / "results.csv"

    summary = await screen_file(options(source, output), target=target(grpc_server))

    rows = read_csv(output)
    assert [(r["party_reference"], r["decision"]) for r in rows] == [
        ("V-1", "BLOCK"), ("V-2", "BLOCK"), ("V-3", "ERROR"), ("V-4", "ERROR"), ("V-5", "ERROR"), ("V-6", "ERROR"),
        ("V-7", "CLEAR"),
    ]  # fmt: skip
    for row in rows[:2]:  # the vessel ZAFAR STAR (IMO 9187629), whatever name was given
        assert (row["top_list_id"], row["top_entry_id"], row["top_listed_name"]) == ("ofac_sdn", "15036", "ZAFAR STAR")
        assert float(row["top_score"]) == 1.0 and "IDENTIFIER_MATCH" in row["reason_codes"].split(";")
        assert "IMO 9187629 is on ofac_sdn entry 15036 'ZAFAR STAR'" in row["summary"] and not row["error"]
    assert "with 'IMO 9187629'" in rows[0]["summary"]  # no name: the party is named by its identifier
    assert rows[2]["error"].startswith("party.name: is required (or give party.identifiers")
    # The server's word on a type or a country; the column to fix is named.
    assert rows[3]["error"].startswith("party.identifiers[0].type: 'shoe' is not an identifier type; use one of imo,")
    assert rows[3]["error"].endswith("(column 'identifiers', input line 5)")
    assert rows[4]["error"].startswith("party.identifiers[0].issuing_country: 'XX' is not an ISO 3166-1")
    assert rows[4]["error"].endswith("(column 'identifiers', input line 6)")
    assert rows[5]["error"] == (
        "identifiers[0]: 'imo:9187629': write TYPE=VALUE (or TYPE@COUNTRY=VALUE), e.g. imo=9187629 (input line 7)"
    )
    assert summary.errors == 4 and summary.decisions["BLOCK"] == 2


def _parties(count: int, listed_every: int) -> list[list[str]]:
    listed = ["Nicolas MADURO MOROS", "BANCO NACIONAL DE CUBA", "AEROCARIBBEAN AIRLINES"]
    given = ["Harold", "Johanna", "Priya", "Tomasz", "Ingrid", "Kwame", "Lucia", "Oskar"]
    family = ["Finchley-Marsh", "Pemberton-Whitcombe", "Ravensworth", "Quillfeather", "Abernathy", "Okonkwo-Lindqvist"]
    pick = random.Random(7)
    rows = []
    for i in range(count):
        name = listed[i % len(listed)] if i % listed_every == 0 else f"{pick.choice(given)} {pick.choice(family)}"
        rows.append([f"P-{i:06d}", name, "", "", "", ""])
    return rows


async def test_resume_after_an_interrupted_write(grpc_server: RunningServer, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "parties.csv", _parties(200, listed_every=25))
    output = tmp_path / "results.csv"
    await screen_file(options(source, output), target=target(grpc_server))
    complete = output.read_bytes()

    # Interrupted: the header, 80 complete rows and half of the 81st.
    lines = complete.splitlines(keepends=True)
    output.write_bytes(b"".join(lines[:81]) + lines[81][: len(lines[81]) // 2])

    summary = await screen_file(options(source, output, resume=True), target=target(grpc_server))

    assert (summary.skipped, summary.screened) == (80, 120)
    rows = read_csv(output)  # checks the header is there once, at the top
    assert [r["party_reference"] for r in rows] == [f"P-{i:06d}" for i in range(200)]
    assert output.read_bytes().count(b"party_reference,decision") == 1
    assert [r["decision"] for r in rows] == [line.split(b",")[1].decode() for line in lines[1:]]


async def test_resume_refuses_an_output_of_another_input(grpc_server: RunningServer, tmp_path: Path) -> None:
    output = tmp_path / "results.csv"
    first = write_csv(tmp_path / "first.csv", _parties(5, listed_every=2))
    await screen_file(options(first, output), target=target(grpc_server))
    other = write_csv(tmp_path / "other.csv", [["X-1", "Harold Finchley-Marsh", "", "", "", ""]] + _parties(5, 2))
    assert await run_batch(options(other, output, resume=True), target=target(grpc_server)) == 2
    assert len(read_csv(output)) == 5


def _mixed_parties(count: int) -> list[list[str]]:
    """Listed and unlisted names, with rows the client answers itself and rows the server refuses."""
    rows = _parties(count, listed_every=7)
    for i in range(0, count, 37):
        rows[i][2] = "company"  # not a party type: an ERROR row written without asking the server
    for i in range(5, count, 41):
        rows[i][0] = rows[i - 1][0]  # a repeated party_reference: also answered locally
    for i in range(11, count, 43):
        rows[i][3] = "Cuba"  # not a country code: the server answers with an item error
    return rows


_SCREENING_TIME = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def masked(path: Path) -> bytes:
    """The output file's bytes with each screening id and screening time replaced by a placeholder."""
    data = path.read_bytes()
    for row in read_csv(path):
        if row["screening_id"]:
            data = data.replace(row["screening_id"].encode(), b"<screening-id>")
    return _SCREENING_TIME.sub(b"<time>", data)


async def _callers_since(
    redis_client: aioredis.Redis, server: RunningServer, key_prefix: str, after: bytes
) -> set[str]:
    """The peers (client address:port) of the screenings audited after stream id `after`."""
    assert server.audit_writer is not None
    await server.audit_writer.flush()
    entries = await redis_client.xrange(f"{key_prefix}audit", min=b"(" + after, max="+")
    return {decode(fields[b"record"]).peer for _, fields in entries}


async def _last_audit_id(redis_client: aioredis.Redis, server: RunningServer, key_prefix: str) -> bytes:
    assert server.audit_writer is not None
    await server.audit_writer.flush()
    last = await redis_client.xrevrange(f"{key_prefix}audit", count=1)
    return last[0][0] if last else b"0-0"


async def test_several_streams_write_the_same_file_as_one(
    grpc_server: RunningServer, tmp_path: Path, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    source = write_csv(tmp_path / "parties.csv", _mixed_parties(400))
    one, three = tmp_path / "one.csv", tmp_path / "three.csv"

    before = await _last_audit_id(redis_client, grpc_server, key_prefix)
    first = await screen_file(options(source, one), target=target(grpc_server))
    middle = await _last_audit_id(redis_client, grpc_server, key_prefix)
    # A small window per stream, so answers overtake one another and the reorder buffer fills up.
    summary = await screen_file(options(source, three, streams=3, max_in_flight=4), target=target(grpc_server))

    assert masked(three) == masked(one)
    assert summary.decisions == first.decisions and summary.screened == 400
    assert summary.errors == first.errors > 20 and summary.decisions["BLOCK"] > 50
    rows = read_csv(three)
    assert [r["party_reference"] for r in rows][:3] == ["P-000000", "P-000001", "P-000002"]
    # Each stream had a connection of its own (a peer address each), none shared with the first run's.
    three_streams = await _callers_since(redis_client, grpc_server, key_prefix, middle)
    assert len(three_streams) == 3
    assert len(await _callers_since(redis_client, grpc_server, key_prefix, before) - three_streams) == 1


async def test_resume_with_several_streams(grpc_server: RunningServer, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "parties.csv", _mixed_parties(200))
    output = tmp_path / "results.csv"
    await screen_file(options(source, output), target=target(grpc_server))
    complete = masked(output)
    lines = output.read_bytes().splitlines(keepends=True)
    output.write_bytes(b"".join(lines[:61]) + lines[61][:10])  # 60 rows and a cut-off one

    summary = await screen_file(options(source, output, resume=True, streams=4), target=target(grpc_server))

    assert (summary.skipped, summary.screened) == (60, 140)
    assert masked(output) == complete


async def test_streams_out_of_range_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "parties.csv", [["R-1", "Harold Finchley-Marsh", "", "", "", ""]])
    output = tmp_path / "results.csv"
    for streams in (0, 17):
        assert await run_batch(options(source, output, streams=streams), target=f"127.0.0.1:{free_port()}") == 2
        assert "--streams must be between 1 and 16" in capsys.readouterr().err
    assert not output.exists()


class _SilentServicer(pb_grpc.ScreeningServiceServicer):
    """Takes a batch stream's requests and never answers."""

    async def ScreenBatch(self, request_iterator, context):  # type: ignore[no-untyped-def]
        async for _ in request_iterator:
            pass
        await asyncio.sleep(30)
        yield pb.ScreenBatchResponse()  # pragma: no cover


async def test_a_stream_without_answers_fails_after_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = grpc.aio.server()
    pb_grpc.add_ScreeningServiceServicer_to_server(_SilentServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        source = write_csv(tmp_path / "parties.csv", _parties(5, listed_every=2))
        output = tmp_path / "results.csv"
        started = time.monotonic()
        code = await run_batch(options(source, output, streams=2, timeout=0.5), target=f"127.0.0.1:{port}")
        assert code == 3 and time.monotonic() - started < 5
        assert "DEADLINE_EXCEEDED: no answer for 0.5 s with 5 request(s) outstanding" in capsys.readouterr().err
        assert read_csv(output) == []
    finally:
        await server.stop(0)


@pytest.fixture
def quiet_logs() -> Iterator[None]:
    """Warnings only, as a production server runs: 10,000 rendered and captured INFO lines would
    time pytest's capture, not the batch."""
    saved = structlog.get_config()
    configure_logging("console", "warning")
    yield
    structlog.configure(**saved)


async def test_ten_thousand_parties_through_the_stream(
    grpc_server: RunningServer, tmp_path: Path, quiet_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "parties.csv", _parties(10_000, listed_every=50))
    output = tmp_path / "results.csv"

    started = time.monotonic()
    # Progress on: stderr is no terminal here, so it comes as a line every log_every_s.
    summary = await screen_file(options(source, output, progress=True, log_every_s=0.05), target=target(grpc_server))
    elapsed = time.monotonic() - started

    rows = read_csv(output)
    assert len(rows) == summary.screened == 10_000
    assert [r["party_reference"] for r in rows[:3]] == ["P-000000", "P-000001", "P-000002"]
    assert rows[-1]["party_reference"] == "P-009999"
    assert summary.decisions["BLOCK"] == 200 and summary.errors == 0
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("batch: ")]
    shown = [re.fullmatch(r"batch: (\d+)/10000 parties, (\d+)/s, ETA (\d+) s", line) for line in progress]
    assert len(shown) >= 2 and all(shown), progress
    done = [int(m.group(1)) for m in shown if m]
    assert done == sorted(done) and 0 < done[0] and done[-1] <= 10_000
    # Client and server share this one process and core here; a separate server is faster.
    print(f"\nbatch: 10,000 parties in {elapsed:.1f} s, {10_000 / elapsed:.0f} parties/s")


def test_progress_on_a_terminal_is_a_tqdm_bar_with_rate_and_eta() -> None:
    from service.batch.run import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    progress = Progress(total=400, done=100, enabled=True, every_s=10.0, stream=screen)
    for _ in range(100):
        progress.update()
    progress.close()
    last = screen.getvalue().split("\r")[-1]
    assert re.search(r"batch: +50%\|.*\| 200/400 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+[a-z]*party/s\]", last), last
    assert Progress(total=400, done=0, enabled=False, every_s=0.0, stream=screen)._bar is None


def test_cli_batch_local(tmp_path: Path) -> None:
    source = tmp_path / "parties.csv"
    # An export desk's Excel file: Windows-1252, not UTF-8.
    rows = "party_reference,name\nW-1,Société Générale Trading Ltd\nW-2,Nicolas MADURO MOROS\n"
    source.write_bytes(rows.encode("cp1252"))
    output = tmp_path / "results.jsonl"

    result = run_cli(["batch", str(source), "--output", str(output), "--local"], cli_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "screened 2 parties" in result.stdout and "BLOCK 1" in result.stdout
    assert "read as Windows-1252" in result.stderr
    results = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [(r["party_reference"], r["decision"]) for r in results] == [("W-1", "CLEAR"), ("W-2", "BLOCK")]
    assert "Société Générale" in results[0]["summary"]

    again = run_cli(["batch", str(source), "--output", str(output), "--local"], cli_env(tmp_path))
    assert again.returncode == 2 and "exists; use --resume or --overwrite" in again.stderr


def test_cli_batch_local_by_identifier(tmp_path: Path) -> None:
    source = tmp_path / "vessels.jsonl"
    lines = [
        {"party_reference": "S-1", "name": "Northern Lights Carrier", "identifiers": "imo=9187629"},
        {"party_reference": "S-2", "identifiers": [{"type": "mmsi", "value": "215123456"}]},
        {"party_reference": "S-3", "name": "Northern Lights Carrier", "identifiers": ["imo=9319466"]},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    output = tmp_path / "results.csv"

    result = run_cli(["batch", str(source), "--output", str(output), "--local"], cli_env(tmp_path))

    assert result.returncode == 0, result.stderr
    rows = read_csv(output)
    assert [(r["party_reference"], r["decision"], r["top_entry_id"]) for r in rows] == [
        ("S-1", "BLOCK", "15036"), ("S-2", "BLOCK", "15036"), ("S-3", "CLEAR", ""),
    ]  # fmt: skip
