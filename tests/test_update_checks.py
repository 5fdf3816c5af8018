"""No silent loss in an update (issue 13, item 3).

Four faults that used to publish, each now rejected with the file and the reason while the
previous version keeps serving: a set without alt.csv, a sdn.csv cut at a line boundary (no
0x1A end marker), an update dropping aliases of entries that stay listed, and stray bytes
that are not the publisher's encoding. End to end through `refresh_lists` against real Redis
and through `screening refresh` as an operator runs it, then unit tests of each check. The
bad sets are tests/fixtures/bad_updates/ (see its README); the real snapshots are only read.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from service.api.convert import list_status_to_proto
from service.api.gen import screening_pb2 as pb
from service.catalog import Catalog, load_catalog
from service.config_files import ConfigFileError
from service.model import Address, EntityType, Entry, Name
from service.refresh.diff import removals
from service.refresh.fetch import FetchedFiles, read_directory
from service.refresh.publisher import Outcome, parse_fetched
from service.refresh.runner import refresh_lists
from service.refresh.validate import UpdateRejected, validate_files, validate_update
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import CONSOLIDATED_FILES, SDN_FILES, read_legacy_set
from service.sources.ofac.sdn_xml import parse_sdn_xml
from service.sources.parsed import ParsedList
from service.sources.sniff import check_file
from service.sources.text import decode_strict
from service.store.snapshots import SnapshotStore, VersionMeta
from tests.cli_support import cli_env, run_cli
from tests.conftest import FIXTURES, SERVER_REDIS_URL

LIST_ID = "ofac_sdn"
GOOD = FIXTURES / "ofac_sdn"
XML_DIR = FIXTURES / "ofac_sdn_xml"
BAD = FIXTURES / "bad_updates"
# folder -> what the rejection must say (besides the file name).
FAULTS = {
    "sdn_without_alt": ("alt.csv: a required file of the ofac_legacy_csv set is missing", "--force"),
    "sdn_cut_short": ("sdn.csv: no end-of-file marker (0x1A): the download looks cut short", "after line 6"),
    "sdn_aliases_dropped": ("remove 2 of the serving version's 7 aliases", "max_shrink_aliases"),
    "sdn_stray_bytes": ("sdn.csv:5: byte 0xff at byte offset", "is not ASCII or UTF-8"),
}


def fixture_set(folder: Path = GOOD) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def list_error(files: dict[str, bytes], forced: bool = False) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        read_legacy_set(LIST_ID, files, SDN_FILES, forced)
    return caught.value


async def list_state(store: SnapshotStore, catalog: Catalog) -> pb.ListStatus:
    """The list status GetListStatus would answer (without a loaded version)."""
    spec = catalog.get(LIST_ID)
    meta = await store.current(LIST_ID)
    return list_status_to_proto(spec, meta, await store.status(LIST_ID), None, datetime.now(UTC))


# ---------------------------------------------------------------- end to end: refresh_lists


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_bad_update_is_rejected_and_the_previous_version_keeps_serving(
    store: SnapshotStore, test_catalog: Catalog, fault: str
) -> None:
    [good] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=GOOD)
    assert good.outcome is Outcome.PUBLISHED and good.entry_count == 7

    [bad] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=BAD / fault)

    assert bad.outcome is Outcome.REJECTED, bad.message
    assert bad.version == good.version
    for expected in FAULTS[fault]:
        assert expected in bad.message, bad.message
    current = await store.current(LIST_ID)
    assert current is not None and current.version == good.version
    assert await store.versions(LIST_ID) == [good.version]
    serving = {entry.entry_id: entry for entry in await store.load_entries(LIST_ID, good.version)}
    assert "NATIONAL BANK OF CUBA" in [name.value for name in serving["306"].names]
    assert serving["15036"].vessel is not None and serving["15036"].vessel.flag == "Malta"
    status = await list_state(store, test_catalog)
    assert status.state == pb.LIST_STATE_UPDATE_FAILED
    assert status.version == good.version
    assert FAULTS[fault][0] in status.last_error


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_force_publishes_the_bad_update_with_a_note(
    store: SnapshotStore, test_catalog: Catalog, fault: str
) -> None:
    await refresh_lists(store, test_catalog, [LIST_ID], source_dir=GOOD)
    [forced] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=BAD / fault, force=True)
    assert forced.outcome is Outcome.PUBLISHED, forced.message
    meta = await store.current(LIST_ID)
    assert meta is not None and meta.version == forced.version
    if fault == "sdn_aliases_dropped":
        return  # a forced shrink needs no note: the diff records what went
    assert any(name in note and "--force" in note for note in meta.notes for name in ("alt.csv", "sdn.csv")), meta.notes


async def test_without_alt_csv_on_a_first_publish_too(store: SnapshotStore, test_catalog: Catalog) -> None:
    [result] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=BAD / "sdn_without_alt")
    assert result.outcome is Outcome.REJECTED
    assert "alt.csv" in result.message and str(BAD / "sdn_without_alt") in result.message
    assert await store.current(LIST_ID) is None
    assert (await list_state(store, test_catalog)).state == pb.LIST_STATE_NOT_LOADED


async def test_an_optional_file_may_be_absent_but_not_vanish(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    without = tmp_path / "without_comments"
    shutil.copytree(GOOD, without)
    (without / "sdn_comments.csv").unlink()

    [first] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=GOOD)
    [vanished] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=without)

    assert vanished.outcome is Outcome.REJECTED
    assert "sdn_comments.csv: the serving version was built with it, this update lacks it" in vanished.message
    assert "Remarks beyond 1,000 characters" in vanished.message
    assert (await store.current(LIST_ID)).version == first.version  # type: ignore[union-attr]
    # A list first published without it is fine: nothing is lost against what serves.
    await store.record_failure(LIST_ID, "")
    [forced] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=without, force=True)
    [again] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=without)
    assert (forced.outcome, again.outcome) == (Outcome.PUBLISHED, Outcome.UNCHANGED)


async def test_xml_update_short_of_its_record_count_is_rejected(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    [good] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=XML_DIR)
    data = (XML_DIR / "SDN.XML").read_bytes()
    start, end = data.index(b"  <sdnEntry>"), data.index(b"</sdnEntry>") + len(b"</sdnEntry>\n")
    short = tmp_path / "short"
    short.mkdir()
    (short / "SDN.XML").write_bytes(data[:start] + data[end:])  # well-formed, one entry fewer

    [bad] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=short)

    assert bad.outcome is Outcome.REJECTED
    assert "SDN.XML:5: Record_Count says 3 entries but the file holds 2: truncated" in bad.message
    assert (await store.current(LIST_ID)).version == good.version  # type: ignore[union-attr]
    assert (await list_state(store, test_catalog)).state == pb.LIST_STATE_UPDATE_FAILED


async def test_an_older_xml_publication_does_not_replace_a_newer_one(
    store: SnapshotStore, test_catalog: Catalog, tmp_path: Path
) -> None:
    await refresh_lists(store, test_catalog, [LIST_ID], source_dir=XML_DIR)
    older = tmp_path / "older"
    older.mkdir()
    data = (XML_DIR / "SDN.XML").read_bytes()
    (older / "SDN.XML").write_bytes(data.replace(b"<Publish_Date>12/28/2023", b"<Publish_Date>12/20/2023"))
    [stale] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=older)
    assert stale.outcome is Outcome.REJECTED
    assert "publication date 2023-12-20 is older than the serving version's 2023-12-28" in stale.message


async def test_a_gzip_body_is_named_as_such(store: SnapshotStore, test_catalog: Catalog, tmp_path: Path) -> None:
    [good] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=GOOD)
    packed = tmp_path / "packed"
    shutil.copytree(GOOD, packed)
    (packed / "sdn.csv").write_bytes(gzip.compress((GOOD / "sdn.csv").read_bytes()))
    [bad] = await refresh_lists(store, test_catalog, [LIST_ID], source_dir=packed)
    assert bad.outcome is Outcome.REJECTED
    assert bad.message.startswith(
        "sdn.csv: is a gzip-compressed file, not CSV: decompress it first, or point at the uncompressed file"
    )
    assert (await store.current(LIST_ID)).version == good.version  # type: ignore[union-attr]


# ---------------------------------------------------------------- end to end: `screening refresh`


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_screening_refresh_exits_non_zero_and_check_still_blocks(
    tmp_path: Path, server_prefix: str, fault: str
) -> None:
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=server_prefix)
    del env["LISTS_DIR"]  # `check --local` and `lists --local` then use what is stored
    good = run_cli(["refresh", "--list", LIST_ID, "--from", str(GOOD)], env)
    assert good.returncode == 0, good.stdout + good.stderr

    bad = run_cli(["refresh", "--list", LIST_ID, "--from", str(BAD / fault)], env)

    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.startswith(f"{LIST_ID}: rejected ")
    assert FAULTS[fault][0] in bad.stdout
    statuses = json.loads(run_cli(["lists", "--local", "--json"], env).stdout)["lists"]
    [status] = [s for s in statuses if s["list_id"] == LIST_ID]
    assert status["state"] == "LIST_STATE_UPDATE_FAILED"
    assert FAULTS[fault][0] in status["last_error"]
    check = run_cli(["check", "National Bank of Cuba", "--local", "--json"], env)
    assert check.returncode == 0, check.stderr
    body = json.loads(check.stdout)
    assert body["decision"] == "DECISION_BLOCK"
    assert body["matches"][0]["entry_id"] == "306"
    assert body["list_versions"][0]["version"] == status["version"]


# ---------------------------------------------------------------- real data


@pytest.mark.real_data
@pytest.mark.parametrize(
    "folder",
    [
        "ofac-sdn-2021-07",
        "ofac-sdn-2023-12-28",
        "ofac-sdn-2024-05-03",
        "ofac-consolidated-nonsdn-2025-12",
        "mirror-2023-12",
    ],
)
def test_every_real_ofac_csv_passes_the_file_checks(shared_data: Path, folder: str) -> None:
    files = fixture_set(shared_data / folder)
    names = CONSOLIDATED_FILES if folder.startswith("ofac-consolidated") else SDN_FILES
    entries, notes = read_legacy_set(LIST_ID, {n: d for n, d in files.items() if n in names.all}, names)
    assert entries
    for name in names.marked & files.keys():
        assert files[name].endswith(b"\r\n\x1a"), name  # the observation the end-marker rule rests on
    assert not any("--force" in note for note in notes)


@pytest.mark.real_data
def test_real_sdn_without_comments_notes_the_cut_remarks(shared_data: Path) -> None:
    _, notes = read_legacy_set(LIST_ID, fixture_set(shared_data / "ofac-sdn-2023-12-28"))
    [note] = notes
    assert note.startswith("sdn_comments.csv is absent: the Remarks of 17 entries stop at OFAC's 1000-character limit")


@pytest.mark.real_data
async def test_real_sdn_losing_five_percent_is_rejected_by_its_limit(
    store: SnapshotStore, shared_data: Path, tmp_path: Path
) -> None:
    """A marked, well-formed sdn.csv without its last 5% (what a cut at 95% removed): the old 10% let it through."""
    catalog = load_catalog()
    real = shared_data / "ofac-sdn-2023-12-28"
    [good] = await refresh_lists(store, catalog, [LIST_ID], source_dir=real)
    assert good.outcome is Outcome.PUBLISHED and good.entry_count == 13_821
    short = tmp_path / "short"
    short.mkdir()
    for name in ("add.csv", "alt.csv"):
        (short / name).symlink_to(real / name)
    rows = (real / "sdn.csv").read_bytes()[:-1].split(b"\r\n")[:-1]
    kept = rows[: int(len(rows) * 0.95)]
    (short / "sdn.csv").write_bytes(b"".join(row + b"\r\n" for row in kept) + b"\x1a")

    [bad] = await refresh_lists(store, catalog, [LIST_ID], source_dir=short)

    assert bad.outcome is Outcome.REJECTED
    assert f"shrink the list from 13821 to {len(kept)} entries" in bad.message
    assert "more than the allowed 2% (lists/sources.toml max_shrink)" in bad.message
    assert (await store.current(LIST_ID)).version == good.version  # type: ignore[union-attr]


# ---------------------------------------------------------------- unit: sniffing what arrived


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            gzip.compress(b"36,x\r\n"),
            "sdn.csv: is a gzip-compressed file, not CSV: decompress it first, or point at the",
        ),
        (b"PK\x03\x04\x14\x00", "sdn.csv: is a zip archive, not CSV: extract sdn.csv from it first"),
        ("36,A\r\n".encode("utf-16"), "sdn.csv: is UTF-16 text (byte-order mark FF FE, little-endian)"),
        ("36,A\r\n".encode("utf-16-be"), "sdn.csv: is UTF-16 text (no byte-order mark, a NUL before every character"),
        ("36,ABCDEF\r\n".encode("utf-16-le"), "sdn.csv: is UTF-16 text (no byte-order mark, a NUL after every"),
        (b"36,A\r\n306,B\x00C\r\n", "sdn.csv:2: a NUL byte at byte offset 11"),
        (b"<!DOCTYPE html><html>Service Unavailable</html>", "sdn.csv:1: received an HTML page"),
    ],
)
def test_sniff_names_what_arrived(data: bytes, expected: str) -> None:
    with pytest.raises(ListFileError) as caught:
        check_file("sdn.csv", data)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_sniff_names_the_kind_by_extension() -> None:
    with pytest.raises(ListFileError, match="not XML"):
        check_file("SDN.XML", gzip.compress(b"<sdnList/>"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SDN.XML", "<sdnList/>")
    with pytest.raises(ListFileError, match="zip archive, not XML"):
        check_file("SDN.XML", buffer.getvalue())
    check_file("SDN.XML", (XML_DIR / "SDN.XML").read_bytes())  # the real thing passes
    for path in GOOD.iterdir():
        check_file(path.name, path.read_bytes())


# ---------------------------------------------------------------- unit: encoding


def test_strict_decoding_names_line_and_byte_offset() -> None:
    with pytest.raises(ListFileError) as caught:
        decode_strict("sdn.csv", b'36,"A"\r\n306,"CUBA \xff\xfe"\r\n', "ASCII")
    assert (caught.value.path, caught.value.line) == ("sdn.csv", 2)
    assert "byte 0xff at byte offset 18 is not ASCII or UTF-8 text" in str(caught.value)
    with pytest.raises(ListFileError, match=r"sdn.csv:3: control byte 0x1a at byte offset 12"):
        decode_strict("sdn.csv", b"36,A\r\n36,B\r\n\x1a36,C\r\n", "ASCII")
    assert decode_strict("alt.csv", "\ufeffSTRAßE".encode(), "ASCII") == "STRAßE"  # UTF-8, its BOM dropped


def test_a_windows_1252_byte_is_rejected_unless_forced() -> None:
    files = fixture_set()
    files["alt.csv"] = files["alt.csv"].replace("STRAßE".encode(), "STRAßE".encode("cp1252"))
    error = list_error(files)
    assert (error.path, error.line) == ("alt.csv", 5)
    assert "byte 0xdf at byte offset 187" in str(error) and "--force to read it as Windows-1252" in str(error)
    entries, notes = read_legacy_set(LIST_ID, files, SDN_FILES, forced=True)
    assert "STRAßE HANDELS GESELLSCHAFT" in [n.value for e in entries for n in e.names]
    assert notes == [
        (
            "alt.csv:5: byte 0xdf at byte offset 187 is not ASCII or UTF-8 text (ASCII is what the publisher sends); "
            "read as Windows-1252 (--force)"
        )
    ]


# ---------------------------------------------------------------- unit: end markers


@pytest.mark.parametrize("name", ["sdn.csv", "add.csv", "alt.csv"])
def test_a_marked_file_without_its_marker_is_cut_short(name: str) -> None:
    files = fixture_set()
    files[name] = files[name][:-1]
    error = list_error(files)
    assert str(error).startswith(f"{name}: no end-of-file marker (0x1A): the download looks cut short (it ends after")
    _, notes = read_legacy_set(LIST_ID, files, SDN_FILES, forced=True)
    assert any(note.startswith(f"{name}: no end-of-file marker (0x1A), read as it is (--force") for note in notes)


def test_end_marker_details() -> None:
    files = fixture_set()
    assert not files["sdn_comments.csv"].endswith(b"\x1a")  # like the one real copy: not held to a marker
    files["sdn.csv"] += b"\r\n"  # a line end after the marker is harmless
    assert len(read_legacy_set(LIST_ID, files)[0]) == 7
    files["add.csv"] = b""
    assert "(the file is empty)" in str(list_error(files))
    cons = {name: b"" for name in CONSOLIDATED_FILES.all}
    assert CONSOLIDATED_FILES.marked == frozenset(cons)  # every cons_*.csv carries it


# ---------------------------------------------------------------- unit: spill-over of Remarks


def _sdn_row(ent_num: str, remarks: str) -> bytes:
    return f'{ent_num},"ACME {ent_num}",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"{remarks}"\r\n'.encode()


def test_a_remarks_cut_at_the_limit_must_continue_in_the_comments_file() -> None:
    cut = "Tax ID No. 7701234567; " * 43 + "X" * 11  # exactly 1,000 characters
    assert len(cut) == 1000
    sdn = _sdn_row("100", "short.") + _sdn_row("200", cut) + b"\x1a"
    base = {"sdn.csv": sdn, "add.csv": b"\x1a", "alt.csv": b"\x1a"}

    error = list_error({**base, "sdn_comments.csv": b'100,"x"\r\n'})
    assert error.path == "sdn_comments.csv"
    assert "no continuation for 1 entries whose Remarks stop at OFAC's 1000-character limit" in str(error)
    assert "(first: ent_num 200, sdn.csv line 2)" in str(error)

    entries, notes = read_legacy_set(LIST_ID, {**base, "sdn_comments.csv": b'200,"Y (Russia)."\r\n'})
    assert entries[1].remarks.endswith("XY (Russia).") and notes == []
    _, notes = read_legacy_set(LIST_ID, base)
    assert notes == [
        (
            "sdn_comments.csv is absent: the Remarks of 1 entries stop at OFAC's 1000-character limit, and their "
            "identifiers, weak a.k.a.s and Linked To beyond it are missing (ent_num 200)"
        )
    ]


# ---------------------------------------------------------------- unit: XML publication information


def test_xml_needs_its_publication_information() -> None:
    data = (XML_DIR / "SDN.XML").read_bytes()
    cases = {
        b"<Record_Count>3</Record_Count>": ("<Record_Count>three</Record_Count>", "SDN.XML:5: publshInformation/Record_Count 'three' is not a number"),
        b"<Publish_Date>12/28/2023</Publish_Date>": ("<Publish_Date>2023-12-28</Publish_Date>", "SDN.XML:4: publshInformation/Publish_Date '2023-12-28' is not a date"),
    }  # fmt: skip
    for old, (new, expected) in cases.items():
        with pytest.raises(ListFileError) as caught:
            parse_sdn_xml(LIST_ID, "SDN.XML", data.replace(old, new.encode()))
        assert str(caught.value).startswith(expected), str(caught.value)
    start, end = data.index(b"  <publshInformation>"), data.index(b"</publshInformation>\n") + 21
    with pytest.raises(ListFileError, match="SDN.XML: no publshInformation element"):
        parse_sdn_xml(LIST_ID, "SDN.XML", data[:start] + data[end:])
    entries, published = parse_sdn_xml(LIST_ID, "SDN.XML", data)
    assert len(entries) == 3 and published == datetime(2023, 12, 28, tzinfo=UTC)


# ---------------------------------------------------------------- unit: removals and limits


def _entry(
    entry_id: str, aliases: tuple[str, ...] = (), countries: tuple[str, ...] = (), programs: tuple[str, ...] = ()
) -> Entry:
    return Entry(
        list_id=LIST_ID,
        entry_id=entry_id,
        entity_type=EntityType.ORGANIZATION,
        names=(Name(f"PARTY {entry_id}"), *(Name(alias) for alias in aliases)),
        addresses=tuple(Address(country_name=country) for country in countries),
        programs=programs,
    )


def test_removals_count_what_entries_that_stay_lose() -> None:
    old = [
        _entry("1", ("A", "B"), ("Cuba",), ("CUBA",)),
        _entry("2", ("C",), ("Iran", "Iran"), ("IRAN", "SDGT")),
        _entry("3", ("D",)),
    ]
    new = [_entry("1", ("A",), ("Cuba",), ("CUBA",)), _entry("2", ("C", "E"), ("Iran",), ("IRAN",)), _entry("4")]
    found = removals(old, new)
    assert {m: (r.removed, r.total) for m, r in found.items()} == {
        "entries": (1, 3),  # entry 3, whose alias D goes with it and is not counted again
        "aliases": (1, 4),
        "addresses": (1, 3),  # one of the two identical addresses
        "programs": (1, 3),
    }
    assert found["aliases"].example == "entry 1: 'B'"
    assert found["addresses"].example == "entry 2: 'Iran'"
    assert found["entries"].example == "entry 3 'PARTY 3'"


def _meta(parsed: ParsedList) -> VersionMeta:
    now = datetime.now(UTC)
    return VersionMeta(LIST_ID, parsed.version, parsed.format, len(parsed.entries), "test", parsed.files, now, now)


def _parsed(entries: list[Entry], published_at: datetime | None = None) -> ParsedList:
    return ParsedList(LIST_ID, "ofac_legacy_csv", tuple(entries), (), "test", published_at=published_at)


@pytest.mark.parametrize(
    ("measure", "update"),
    [
        ("aliases", lambda e: _entry(e.entry_id, (), ("Cuba",), ("CUBA",))),
        ("addresses", lambda e: _entry(e.entry_id, ("X",), (), ("CUBA",))),
        ("programs", lambda e: _entry(e.entry_id, ("X",), ("Cuba",), ())),
    ],
)
def test_each_measure_has_its_own_limit(test_catalog: Catalog, measure: str, update: object) -> None:
    spec = test_catalog.get(LIST_ID)  # 0.2 for each measure, 0.5 for entries
    old = [_entry(str(i), ("X",), ("Cuba",), ("CUBA",)) for i in range(10)]
    two = [update(e) if i < 2 else e for i, e in enumerate(old)]  # type: ignore[operator]
    three = [update(e) if i < 3 else e for i, e in enumerate(old)]  # type: ignore[operator]
    current = _meta(_parsed(old))
    validate_update(spec, _parsed(two), current, previous=old)  # 20%: at the limit
    with pytest.raises(UpdateRejected) as caught:
        validate_update(spec, _parsed(three), current, previous=old)
    assert f"remove 3 of the serving version's 10 {measure} from entries that stay listed (30.0%; e.g. entry 0:" in str(
        caught.value
    )
    assert f"more than the allowed 20% (lists/sources.toml max_shrink_{measure})" in str(caught.value)
    validate_update(spec, _parsed(three), current, force=True, previous=old)


def test_entry_removals_count_even_when_additions_hide_them(test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    old = [_entry(str(i)) for i in range(10)]
    swapped = old[6:] + [_entry(str(i)) for i in range(100, 110)]  # 6 removed, 10 added: the count grows
    with pytest.raises(UpdateRejected, match=r"change the list from 10 to 14 entries \(6 removed, 10 added: 60.0%"):
        validate_update(spec, _parsed(swapped), _meta(_parsed(old)), previous=old)


def test_older_publication_is_a_rollback(test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    entries = [_entry(str(i)) for i in range(5)]
    current = msgspec.structs.replace(_meta(_parsed(entries)), published_at=datetime(2023, 12, 28, tzinfo=UTC))
    validate_update(spec, _parsed(entries, datetime(2023, 12, 28, tzinfo=UTC)), current, previous=entries)
    with pytest.raises(UpdateRejected, match="older than the serving version's 2023-12-28"):
        validate_update(spec, _parsed(entries, datetime(2023, 12, 27, tzinfo=UTC)), current, previous=entries)


# ---------------------------------------------------------------- unit: file sets


def test_read_directory_prefers_a_complete_format_and_reports_an_incomplete_one(
    test_catalog: Catalog, tmp_path: Path
) -> None:
    spec = test_catalog.get(LIST_ID)
    incomplete = read_directory(spec, BAD / "sdn_without_alt")
    assert incomplete is not None and incomplete.format == "ofac_legacy_csv"
    assert incomplete.missing_required == ("alt.csv",)
    assert incomplete.unavailable == {"alt.csv": f"not in {BAD / 'sdn_without_alt'}"}

    both = tmp_path / "both"
    shutil.copytree(BAD / "sdn_without_alt", both)
    shutil.copy(XML_DIR / "SDN.XML", both)
    complete = read_directory(spec, both)
    assert complete is not None and complete.format == "ofac_sdn_xml" and not complete.missing_required
    assert complete.passed_over == (f"ofac_legacy_csv not taken: alt.csv not in {both}",)

    only_alt = tmp_path / "only_alt"
    only_alt.mkdir()
    shutil.copy(GOOD / "alt.csv", only_alt)
    assert read_directory(spec, only_alt) is None  # no primary file: not offered, the list is left as it is


def test_validate_files(test_catalog: Catalog) -> None:
    spec = test_catalog.get(LIST_ID)
    fetched = read_directory(spec, BAD / "sdn_without_alt")
    assert fetched is not None
    with pytest.raises(UpdateRejected) as caught:
        validate_files(fetched, None)
    assert str(caught.value) == (
        f"alt.csv: a required file of the ofac_legacy_csv set is missing (not in {BAD / 'sdn_without_alt'}): without "
        "it the update would drop every a.k.a., f.k.a. and n.k.a. but the weak ones quoted in Remarks; add it to the "
        "set, or rerun with --force to publish without it"
    )
    [note] = validate_files(fetched, None, force=True)
    assert note.startswith("alt.csv: a required file of the ofac_legacy_csv set is missing") and "(--force)" in note
    parsed = parse_fetched(fetched, force=True, file_notes=[note])
    assert parsed.notes[0] == note
    complete = FetchedFiles(LIST_ID, "ofac_legacy_csv", fixture_set(), "test")
    assert validate_files(complete, _meta(parse_fetched(complete))) == []


# ---------------------------------------------------------------- unit: the catalogue


def test_real_catalogue_requires_the_alias_and_address_files_and_sets_the_sdn_limits() -> None:
    catalog = load_catalog()
    sdn, cons = catalog.get("ofac_sdn"), catalog.get("ofac_cons")
    assert sdn.formats[0].required == ["sdn.csv", "add.csv", "alt.csv"]
    assert sdn.formats[0].optional == ["sdn_comments.csv"]
    assert cons.formats[0].required == ["cons_prim.csv", "cons_add.csv", "cons_alt.csv"]
    assert [sdn.shrink_limit(m) for m in ("entries", "aliases", "addresses", "programs")] == [0.02, 0.01, 0.01, 0.01]
    assert cons.shrink_limit("aliases") == cons.max_shrink == 0.10  # unset: the entries' limit


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("max_shrink_aliases = 0.2", "max_shrink_aliases = 1.5", "lists.ofac_sdn.max_shrink_aliases: must be a share between 0 and 1"),
        ("max_shrink_programs = 0.2", "max_shrink_programs = -0.1", "lists.ofac_sdn.max_shrink_programs: must be a share"),
        ("max_shrink_aliases = 0.2", "max_shrink_alias = 0.2", "max_shrink_alias"),
        ('required = ["sdn.csv", "add.csv", "alt.csv"]\noptional = ["sdn_comments.csv"]',
         'required = ["sdn.csv", "add.csv"]\noptional = ["alt.csv", "sdn_comments.csv"]',
         "lists.ofac_sdn.formats[0].required: alt.csv must be required, not optional"),
        ('required = ["sdn.csv", "add.csv", "alt.csv"]', 'required = ["alt.csv", "add.csv", "sdn.csv"]',
         "lists.ofac_sdn.formats[0].required: the first required file is the primary one, sdn.csv, not alt.csv"),
    ],
)  # fmt: skip
def test_catalogue_errors_name_the_key(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = (FIXTURES / "sources.toml").read_text()
    assert old in text
    path = tmp_path / "sources.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigFileError) as caught:
        load_catalog(path)
    assert expected in str(caught.value)
