"""Is an OFAC legacy CSV set whole? File-level checks, before and after the rows are read.

Observed in the real files (shared/data: SDN 2021-07, 2023-12-28, 2024-05-03, five
daily publications 2022-02 .. 2024-05, 2026-06 add/alt; non-SDN 2025-12):
- sdn.csv, add.csv, alt.csv and all four cons_*.csv end in CR LF and one 0x1A
  (SUB, Ctrl-Z) byte, every one of them. OFAC writes it after the last row, so a
  download cut at a line boundary (which still parses) is told apart by it alone:
  these files carry no row count. The one real sdn_comments.csv (2021-07, 5 rows)
  ends in CR LF without it, so that file is not held to it.
- Text: ASCII only (see service/sources/text.py, decode_strict). A byte that is not
  UTF-8 is an error naming line and byte offset; `--force` reads the file as
  Windows-1252 instead, with a note (the escape hatch, should OFAC ever send it).
- Remarks longer than OFAC's 1,000-character column limit are cut at exactly 1,000
  characters and continue in the spill-over file (sdn_comments.csv /
  cons_comments.csv, data specification "SPILLOVER FILES"): in both real sets with
  a comments file (5 SDN entries, 10 non-SDN), the entries whose Remarks are
  exactly 1,000 characters long are exactly the entries the comments file
  continues. What spills over is identifiers, weak a.k.a.s and "Linked To".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from service.sources.errors import ListFileError
from service.sources.text import decode_strict, decode_text

END_MARKER = b"\x1a"
# OFAC's Remarks column width (data specification: "Remarks text 1000").
REMARKS_LIMIT = 1000
_ENCODING = "ASCII"


@dataclass(frozen=True)
class LegacyFileNames:
    primary: str
    addresses: str
    aliases: str
    comments: str
    # Files that end in the 0x1A marker in every real copy.
    marked: frozenset[str]

    @property
    def all(self) -> tuple[str, ...]:
        return (self.primary, self.addresses, self.aliases, self.comments)

    def content(self, name: str) -> str:
        """What a file of the set carries, for messages about its absence."""
        return {
            self.primary: "every entry",
            self.addresses: "every address",
            self.aliases: "every a.k.a., f.k.a. and n.k.a. but the weak ones quoted in Remarks",
            self.comments: "the Remarks beyond 1,000 characters (identifiers, weak a.k.a.s, Linked To)",
        }.get(name, "")

    @property
    def essential(self) -> tuple[str, ...]:
        """Files without which entries lose names or addresses: a catalogue must list them as required."""
        return (self.primary, self.addresses, self.aliases)


SDN_FILES = LegacyFileNames(
    "sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv", marked=frozenset({"sdn.csv", "add.csv", "alt.csv"})
)
CONSOLIDATED_FILES = LegacyFileNames(
    "cons_prim.csv",
    "cons_add.csv",
    "cons_alt.csv",
    "cons_comments.csv",
    marked=frozenset({"cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv"}),
)


def file_set_for(file_names: Collection[str]) -> LegacyFileNames:
    """The non-SDN set when its primary file is there, else the SDN set."""
    return CONSOLIDATED_FILES if CONSOLIDATED_FILES.primary in file_names else SDN_FILES


def file_text(name: str, data: bytes, marked: bool, forced: bool, notes: list[str]) -> str:
    """The file's text without its end marker; ListFileError when the marker or the encoding is wrong.

    `forced` (refresh --force) reads a marked file without its marker, with a note:
    the operator vouches for a file edited by hand.
    """
    # A line end after the marker is harmless (a copy re-saved by a tool that adds one).
    body = data.rstrip(b"\r\n")
    if body.endswith(END_MARKER):
        body = body[: -len(END_MARKER)]
    elif marked:
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        where = "the file is empty" if not data else f"it ends after line {lines}, at byte offset {len(data)}"
        if not forced:
            raise ListFileError(
                name,
                f"no end-of-file marker (0x1A): the download looks cut short ({where}); download it again, or "
                f"rerun with --force if the file was edited by hand",
            )
        notes.append(f"{name}: no end-of-file marker (0x1A), read as it is (--force; {where})")
        body = data
    try:
        return decode_strict(name, body, _ENCODING)
    except ListFileError as exc:
        if not forced:
            raise ListFileError(
                exc.path, f"{exc.detail}, or rerun with --force to read it as Windows-1252", exc.line
            ) from None
        # The message up to its advice: "byte 0xff at byte offset 902 is not ASCII or UTF-8 text (...)".
        notes.append(f"{exc.path}:{exc.line}: {exc.detail.split(':')[0]}; read as Windows-1252 (--force)")
        return decode_text(body)[0]


def check_spillover(
    names: LegacyFileNames,
    cut_remarks: Mapping[str, int],
    continued: set[str],
    comments_present: bool,
    forced: bool,
    notes: list[str],
) -> None:
    """Every Remarks cut at the column limit must continue in the comments file.

    `cut_remarks`: ent_num -> line in the primary file, of the Remarks exactly
    REMARKS_LIMIT characters long; `continued`: the ent_nums the comments file continues.
    """
    if not cut_remarks:
        return
    if not comments_present:
        # The file is optional (real mirrors lack it, and the entries, names and
        # addresses are all there without it), but what it would add is said.
        sample = ", ".join(sorted(cut_remarks, key=int)[:5])
        notes.append(
            f"{names.comments} is absent: the Remarks of {len(cut_remarks)} entries stop at OFAC's "
            f"{REMARKS_LIMIT}-character limit, and their identifiers, weak a.k.a.s and Linked To beyond it are "
            f"missing (ent_num {sample}{', ...' if len(cut_remarks) > 5 else ''})"
        )
        return
    lacking = sorted((ent for ent in cut_remarks if ent not in continued), key=int)
    if not lacking:
        return
    first = lacking[0]
    message = (
        f"no continuation for {len(lacking)} entries whose Remarks stop at OFAC's {REMARKS_LIMIT}-character limit "
        f"(first: ent_num {first}, {names.primary} line {cut_remarks[first]}): the file looks cut short or comes "
        f"from another publication"
    )
    if not forced:
        raise ListFileError(names.comments, f"{message}; download the set again, or rerun with --force")
    notes.append(f"{names.comments}: {message} (read as it is, --force)")
