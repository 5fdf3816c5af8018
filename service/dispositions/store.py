"""Reviewer dispositions in Redis: the "good-guy" (cleared-party) list.

A compliance reviewer marks a (party, listed entry) pair as a false positive
or a confirmed match. Later screenings of the same party against the same
entry are suppressed, but only while the entry is unchanged: a disposition
carries the entry's content hash from when the reviewer decided, and
`applies()` compares it with the entry's current hash. When the list
publisher changes the entry, the alert comes back for a fresh look.

Four eyes: a false positive the policy says one reviewer may not clear alone
(service/decide/four_eyes.py) is recorded PENDING and clears nothing until a
different principal approves it (or rejects it: REJECTED, clears nothing).
Any other false positive is ACTIVE at once; while nobody has approved it, it
clears only possible matches (the screener checks the score). Approving and
rejecting are new versions like recording and revoking, so the history shows
both principals. `revoked` stays a separate flag: a revoked disposition keeps
the status it had, for the record.

Layout (all keys under `prefix`; US = the 0x1f unit separator):

    {prefix}disp:{subject}                          hash: "{list_id}US{entry_id}" -> JSON Disposition (latest version)
    {prefix}disp-history:{subject}US{list_id}US{entry_id}   list: every version, oldest first (JSON)
    {prefix}dispositions:log                        stream: one entry per change, for audit (MAXLEN ~ 100000)

One hash per subject lets the request path fetch every disposition for a
screening's matches with a single HMGET. Every record, approval, rejection and
revocation is a new version of its key, written with the history and the log
entry in one WATCH/MULTI transaction, so concurrent writers never produce the
same version twice and the hash, history and log never disagree. The same
transaction makes "approve the version I looked at" safe: `expected_version`
is checked against what the transaction read.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import random
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import ClassVar

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import WatchError

from service.store import replies
from service.store.keyspace import DISPOSITIONS, KeySpace

DEFAULT_PREFIX = "screening:"
# Separates key parts inside hash fields and history keys; rejected in ids so parts cannot collide.
SEP = "\x1f"
# Audit stream length (approximate trim); dispositions themselves are never trimmed.
LOG_MAXLEN = 100_000
MAX_ID_LENGTH = 128
# A subject is "ref:" or "fp:" before a party reference of up to MAX_ID_LENGTH characters.
MAX_SUBJECT_LENGTH = MAX_ID_LENGTH + 4
MAX_REASON_LENGTH = 1024
# Optimistic-transaction attempts before giving up; each round lets at least one writer through.
MAX_ATTEMPTS = 100
SUBJECT_KINDS = ("ref:", "fp:")


class DispositionKind(str, Enum):
    FALSE_POSITIVE = "false_positive"
    CONFIRMED_MATCH = "confirmed_match"


class DispositionStatus(str, Enum):
    ACTIVE = "active"  # in force (a false positive nobody approved clears possible matches only)
    PENDING = "pending"  # waiting for a second reviewer; clears nothing
    REJECTED = "rejected"  # a second reviewer refused it; clears nothing


class Disposition(msgspec.Struct, frozen=True):
    subject: str  # "ref:<party_reference>" or "fp:<party fingerprint>", see subject_for()
    list_id: str
    entry_id: str
    entry_hash: str  # content hash of the entry when the reviewer decided
    kind: DispositionKind
    reason: str
    reviewer: str
    recorded_at: datetime  # UTC; a revoke version keeps the revoked decision's time
    version: int  # 1, 2, ... per (subject, list_id, entry_id)
    revoked: bool = False
    revoked_by: str = ""
    revoked_at: datetime | None = None
    revoke_reason: str = ""
    screening_id: str = ""  # the screening the reviewer looked at, optional
    # Four eyes. Every field has a default so that records stored before still decode (as ACTIVE).
    status: DispositionStatus = DispositionStatus.ACTIVE
    approval_required: str = ""  # why a second reviewer is needed; "" when one suffices
    reviewer_name: str = ""  # a display name the caller gave; `reviewer` is the authenticated principal
    approved_by: str = ""
    approved_at: datetime | None = None
    approval_note: str = ""
    rejected_by: str = ""
    rejected_at: datetime | None = None
    rejection_note: str = ""


# Each error names the gRPC status the API answers it with, so the API maps them from one table.


class DispositionError(ValueError):
    """Invalid input (the message starts with the field); the base of every refusal but a write conflict."""

    grpc_code: ClassVar[str] = "INVALID_ARGUMENT"


class DispositionNotFoundError(DispositionError):
    """No disposition for (subject, list, entry)."""

    grpc_code: ClassVar[str] = "NOT_FOUND"


class DispositionStateError(DispositionError):
    """The change does not fit the disposition's current state (revoked, already approved, another version ...)."""

    grpc_code: ClassVar[str] = "FAILED_PRECONDITION"


class SelfReviewError(DispositionError):
    """A reviewer tried to approve or reject their own disposition: four eyes need two people."""

    grpc_code: ClassVar[str] = "PERMISSION_DENIED"


class DispositionConflictError(RuntimeError):
    """Too many concurrent writers on one key: the optimistic transaction kept losing."""

    grpc_code: ClassVar[str] = "ABORTED"


_DECODER = msgspec.json.Decoder(Disposition)


def subject_for(party_reference: str, fingerprint: str) -> str:
    """The subject a disposition is keyed by.

    The caller's party reference is preferred: it stays stable when the party's
    data is corrected, which a fingerprint of that data does not. Parties sent
    without a reference fall back to the fingerprint (service.privacy), so no
    party data ends up in Redis keys.
    """
    reference = party_reference.strip()
    if reference:
        return f"ref:{reference}"
    if fingerprint.strip():
        return f"fp:{fingerprint.strip()}"
    raise DispositionError("subject: a party reference or a fingerprint is required")


def applies(disposition: Disposition, current_entry_hash: str) -> bool:
    """Whether `disposition` is in force for the entry as it is now.

    Not revoked, not pending or rejected (a verdict still waiting for, or refused
    by, a second reviewer is no verdict), and the entry unchanged. A false
    positive nobody approved is in force, but clears less: see `suppresses`.
    """
    return (
        not disposition.revoked
        and disposition.status is DispositionStatus.ACTIVE
        and disposition.entry_hash == current_entry_hash
    )


def is_verdict(disposition: Disposition | None, current_entry_hash: str) -> bool:
    """Whether a reviewer has decided on this entry as it is now (for the review queue).

    A disposition in force or waiting for its second reviewer is a verdict (the pending one
    waits in the clearances); a revoked or rejected one, or one made on other content of the
    entry, is none.
    """
    return (
        disposition is not None
        and not disposition.revoked
        and disposition.status is not DispositionStatus.REJECTED
        and disposition.entry_hash == current_entry_hash
    )


def suppresses(disposition: Disposition, current_entry_hash: str, score: float, match_threshold: float) -> bool:
    """Whether a false positive hides a match scoring `score`.

    Only an approved one clears a match at or above the match threshold; one
    reviewer alone clears possible matches (which yield REVIEW) only.
    """
    return (
        disposition.kind is DispositionKind.FALSE_POSITIVE
        and applies(disposition, current_entry_hash)
        and (bool(disposition.approved_by) or score < match_threshold)
    )


def needs_approval(disposition: Disposition) -> bool:
    """Whether a second reviewer can still approve or reject it: a false positive, pending or not yet approved."""
    return (
        not disposition.revoked
        and disposition.kind is DispositionKind.FALSE_POSITIVE
        and (
            disposition.status is DispositionStatus.PENDING
            or (disposition.status is DispositionStatus.ACTIVE and not disposition.approved_by)
        )
    )


def _active(keys: Sequence[tuple[str, str]], raws: Sequence[bytes | None]) -> dict[tuple[str, str], Disposition]:
    # Pending and rejected ones are kept: the screener notes them beside the match they do not clear.
    found: dict[tuple[str, str], Disposition] = {}
    for key, raw in zip(keys, raws, strict=True):
        if raw:
            disposition = _DECODER.decode(raw)
            if not disposition.revoked:
                found[key] = disposition
    return found


class DispositionStore:
    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        # One cluster slot for all: a change writes the subject's hash, the entry's history and
        # the log in one WATCH/MULTI (service.store.keyspace).
        self._keys = KeySpace(client, prefix)

    # ------------------------------------------------------------ keys

    def _subject_key(self, subject: str) -> str:
        return self._keys.key(f"disp:{subject}", DISPOSITIONS)

    def _history_key(self, subject: str, list_id: str, entry_id: str) -> str:
        return self._keys.key(f"disp-history:{subject}{SEP}{list_id}{SEP}{entry_id}", DISPOSITIONS)

    @property
    def log_key(self) -> str:
        return self._keys.key("dispositions:log", DISPOSITIONS)

    # ------------------------------------------------------------ writes

    async def record(
        self,
        subject: str,
        list_id: str,
        entry_id: str,
        entry_hash: str,
        kind: DispositionKind | str,
        reason: str,
        reviewer: str,
        screening_id: str = "",
        now: datetime | None = None,
        *,
        approval_required: str = "",
        reviewer_name: str = "",
    ) -> Disposition:
        """Store a reviewer's decision as the next version of (subject, list_id, entry_id).

        `reviewer` is the authenticated principal (the caller's job);
        `reviewer_name` only a display name. A false positive with
        `approval_required` (four_eyes.approval_required) is stored PENDING;
        anything else ACTIVE. A confirmed match clears nothing, so it never
        waits for anyone and keeps no approval text. Recording over any earlier
        version (revoked, pending, rejected) is allowed: it simply becomes the
        new version, and a second reviewer is asked again if need be.
        """
        _check_key(subject, list_id, entry_id)
        _check_id("entry_hash", entry_hash)
        _check_id("reviewer", reviewer)
        _check_text("reason", reason)
        _check_id("screening_id", screening_id, required=False)
        _check_id("reviewer_name", reviewer_name, required=False)
        _check_text("approval_required", approval_required, required=False)
        kind = _check_kind(kind)
        at = _utc(now)
        if kind is not DispositionKind.FALSE_POSITIVE:
            approval_required = ""
        status = DispositionStatus.PENDING if approval_required.strip() else DispositionStatus.ACTIVE

        def build(previous: Disposition | None) -> Disposition:
            return Disposition(
                subject=subject,
                list_id=list_id,
                entry_id=entry_id,
                entry_hash=entry_hash,
                kind=kind,
                reason=reason,
                reviewer=reviewer,
                recorded_at=at,
                version=_next_version(previous),
                screening_id=screening_id,
                status=status,
                approval_required=approval_required,
                reviewer_name=reviewer_name,
            )

        return await self._change("record", subject, list_id, entry_id, build)

    async def approve(
        self,
        subject: str,
        list_id: str,
        entry_id: str,
        approver: str,
        note: str = "",
        expected_version: int = 0,
        now: datetime | None = None,
    ) -> Disposition:
        """A second reviewer approves a false positive: ACTIVE, and from now on it clears any match of the entry.

        `approver` is the authenticated principal and must differ from the
        reviewer who recorded it. `expected_version` (0: whatever is current) is
        the version the approver looked at; a later one is refused, so nobody
        approves what they have not seen.
        """
        _check_key(subject, list_id, entry_id)
        _check_id("approver", approver)
        _check_text("note", note, required=False)
        _check_version(expected_version)
        at = _utc(now)

        def build(previous: Disposition | None) -> Disposition:
            current = _reviewable("approve", previous, subject, list_id, entry_id, approver, expected_version)
            return msgspec.structs.replace(
                current,
                version=current.version + 1,
                status=DispositionStatus.ACTIVE,
                approved_by=approver,
                approved_at=at,
                approval_note=note,
            )

        return await self._change("approve", subject, list_id, entry_id, build)

    async def reject(
        self,
        subject: str,
        list_id: str,
        entry_id: str,
        approver: str,
        note: str,
        expected_version: int = 0,
        now: datetime | None = None,
    ) -> Disposition:
        """A second reviewer refuses a false positive: REJECTED, it clears nothing; `note` (required) says why.

        The same rules as `approve`: another principal, the version looked at.
        The match comes back in later screenings with the rejection beside it;
        a new `record` starts over.
        """
        _check_key(subject, list_id, entry_id)
        _check_id("approver", approver)
        _check_text("note", note)
        _check_version(expected_version)
        at = _utc(now)

        def build(previous: Disposition | None) -> Disposition:
            current = _reviewable("reject", previous, subject, list_id, entry_id, approver, expected_version)
            return msgspec.structs.replace(
                current,
                version=current.version + 1,
                status=DispositionStatus.REJECTED,
                rejected_by=approver,
                rejected_at=at,
                rejection_note=note,
            )

        return await self._change("reject", subject, list_id, entry_id, build)

    async def revoke(
        self, subject: str, list_id: str, entry_id: str, reviewer: str, reason: str, now: datetime | None = None
    ) -> Disposition:
        """Withdraw the current disposition; the alert comes back on the next screening.

        The new version repeats the revoked decision (kind, reason, reviewer,
        recorded_at) so it reads on its own, and adds who revoked it, when, why.
        """
        _check_key(subject, list_id, entry_id)
        _check_id("reviewer", reviewer)
        _check_text("reason", reason)
        at = _utc(now)

        def build(previous: Disposition | None) -> Disposition:
            if previous is None:
                raise DispositionNotFoundError(f"no disposition to revoke for {subject} on {list_id}/{entry_id}")
            if previous.revoked:
                raise DispositionStateError(
                    f"disposition for {subject} on {list_id}/{entry_id} is already revoked "
                    f"(version {previous.version}, by {previous.revoked_by})"
                )
            return msgspec.structs.replace(
                previous,
                version=previous.version + 1,
                revoked=True,
                revoked_by=reviewer,
                revoked_at=at,
                revoke_reason=reason,
            )

        return await self._change("revoke", subject, list_id, entry_id, build)

    async def _change(
        self,
        action: str,
        subject: str,
        list_id: str,
        entry_id: str,
        build: Callable[[Disposition | None], Disposition],
    ) -> Disposition:
        """Read the latest version, build the next one, write it only if nobody else wrote first.

        WATCH makes EXEC fail when another writer changed the subject's hash in
        between; we then re-read and rebuild, so versions stay 1, 2, 3 ... with
        no duplicates however many writers race.
        """
        subject_key = self._subject_key(subject)
        field = f"{list_id}{SEP}{entry_id}"
        for attempt in range(MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(subject_key)
                    raw = await pipe.hget(subject_key, field)
                    disposition = build(_DECODER.decode(raw) if raw else None)
                    encoded = msgspec.json.encode(disposition)
                    pipe.multi()
                    pipe.hset(subject_key, field, encoded)
                    pipe.rpush(self._history_key(subject, list_id, entry_id), encoded)
                    pipe.xadd(
                        self.log_key,
                        {
                            "action": action,
                            "subject": subject,
                            "list_id": list_id,
                            "entry_id": entry_id,
                            "version": disposition.version,
                            "disposition": encoded,
                        },
                        maxlen=LOG_MAXLEN,
                        approximate=True,
                    )
                    await pipe.execute()
                    return disposition
                except WatchError:
                    # Lost the race; a short jittered pause keeps writers in other
                    # processes from colliding in lockstep.
                    await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * (attempt + 1))))
        raise DispositionConflictError(
            f"{action} of {subject} on {list_id}/{entry_id} lost {MAX_ATTEMPTS} concurrent-write races"
        )

    # ------------------------------------------------------------ reads

    async def current(self, subject: str, list_id: str, entry_id: str) -> Disposition | None:
        """The latest version, revoked or not."""
        raw = await self._redis.hget(self._subject_key(subject), f"{list_id}{SEP}{entry_id}")
        return _DECODER.decode(raw) if raw else None

    async def active_for(self, subject: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Disposition]:
        """Latest non-revoked disposition per (list_id, entry_id) among `keys`, whatever its status.

        On the request path (only for screenings with matches): one HMGET, no
        validation beyond what the lookup needs. Pending and rejected ones are
        returned too, so the screener can say why they do not clear the match;
        whether one clears a match is the caller's `suppresses()` call.
        """
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        raws = await self._redis.hmget(self._subject_key(subject), [f"{lid}{SEP}{eid}" for lid, eid in unique])
        return _active(unique, replies.raw_all(raws))

    async def active_for_many(
        self, wanted: Sequence[tuple[str, Sequence[tuple[str, str]]]]
    ) -> builtins.list[dict[tuple[str, str], Disposition]]:
        """`active_for` of several (subject, keys) in one pipelined round trip (a batch message's screenings)."""
        asked = [(subject, builtins.list(dict.fromkeys(keys))) for subject, keys in wanted]
        if not any(unique for _, unique in asked):
            return [{} for _ in asked]
        async with self._redis.pipeline(transaction=False) as pipe:
            for subject, unique in asked:
                if unique:
                    pipe.hmget(self._subject_key(subject), [f"{lid}{SEP}{eid}" for lid, eid in unique])
            answers = iter(await pipe.execute())
        return [_active(unique, next(answers)) if unique else {} for _, unique in asked]

    async def history(self, subject: str, list_id: str, entry_id: str) -> builtins.list[Disposition]:
        """Every version of the key, oldest first."""
        raws = await self._redis.lrange(self._history_key(subject, list_id, entry_id), 0, -1)
        return [_DECODER.decode(raw) for raw in raws]

    # `builtins.list` in annotations: the method below shadows `list` in the class body.
    async def list(
        self, subject: str | None = None, include_revoked: bool = False, pending_only: bool = False
    ) -> builtins.list[Disposition]:
        """Current dispositions of one subject, or of all (SCAN, never KEYS), sorted by key.

        `pending_only`: only those waiting for a second reviewer (never revoked
        ones), oldest recorded first: the approval queue, longest waiting on top.
        """
        if subject is not None:
            hashes = [await self._redis.hgetall(self._subject_key(subject))]
        else:
            hashes = await self._all_subject_hashes()
        found = [_DECODER.decode(raw) for values in hashes for raw in values.values()]
        if pending_only:
            found = [d for d in found if d.status is DispositionStatus.PENDING and not d.revoked]
            found.sort(key=lambda d: (d.recorded_at, d.subject, d.list_id, d.entry_id))
            return found
        if not include_revoked:
            found = [d for d in found if not d.revoked]
        found.sort(key=lambda d: (d.subject, d.list_id, d.entry_id))
        return found

    async def snapshot(self) -> tuple[str, builtins.list[Disposition]]:
        """Every subject's latest dispositions (revoked ones included), and the log position they are at least as new as.

        The log id is read before the scan: a change made during the scan is in the
        scan or after that id, so a reader that applies the log from there misses nothing.
        """
        last = replies.entries(await self._redis.xrevrange(self.log_key, count=1))
        position = last[0][0].decode() if last else "0-0"
        hashes = await self._all_subject_hashes()
        return position, [_DECODER.decode(raw) for values in hashes for raw in values.values()]

    async def changes_after(
        self, after: str, block_ms: int | None = None, count: int = 500, client: aioredis.Redis | None = None
    ) -> builtins.list[tuple[str, Disposition]]:
        """(log id, disposition as changed) after log id `after`, oldest first; waits up to `block_ms` for some.

        `client`: a client of its own for a blocking follower (see RedisConnection.dedicated).
        """
        read = await (client or self._redis).xread({self.log_key: after}, count=count, block=block_ms)
        return [
            (entry_id.decode(), _DECODER.decode(fields[b"disposition"]))
            for _, entries in replies.streams_read(read)
            for entry_id, fields in entries
        ]

    async def _all_subject_hashes(self) -> builtins.list[dict[bytes | str, bytes | str]]:
        # SCAN may return a key more than once; the set removes repeats.
        pattern = f"{_glob_escape(self._subject_key(''))}*"
        keys = {key async for key in self._redis.scan_iter(match=pattern, count=1000)}
        hashes: builtins.list[dict[bytes | str, bytes | str]] = []
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in ordered[start : start + 500]:
                    pipe.hgetall(key)
                hashes.extend(await pipe.execute())
        return hashes

    async def export_jsonl(self, path: Path, include_revoked: bool = True) -> int:
        """Write the current dispositions as JSON lines; returns how many.

        Written to a temporary file beside `path` and renamed over it, so a
        reader (or a crash) never sees half an export.
        """
        dispositions = await self.list(include_revoked=include_revoked)
        payload = b"".join(msgspec.json.encode(d) + b"\n" for d in dispositions)
        await asyncio.to_thread(_write_atomically, path, payload)
        return len(dispositions)


# ---------------------------------------------------------------- helpers


def _next_version(previous: Disposition | None) -> int:
    return 1 if previous is None else previous.version + 1


def _describe(disposition: Disposition) -> str:
    """The current state in words, for an error that says why a change is refused."""
    if disposition.revoked:
        return f"revoked by {disposition.revoked_by}"
    if disposition.kind is DispositionKind.CONFIRMED_MATCH:
        return "a confirmed match, which clears nothing and needs no approval"
    if disposition.status is DispositionStatus.REJECTED:
        return f"rejected by {disposition.rejected_by}"
    if disposition.approved_by:
        return f"already approved by {disposition.approved_by}"
    status: str = disposition.status.value  # mypy reads .value of a narrowed str enum as Any
    return status


def _reviewable(
    action: str,
    previous: Disposition | None,
    subject: str,
    list_id: str,
    entry_id: str,
    approver: str,
    expected_version: int,
) -> Disposition:
    """The disposition a second reviewer may approve or reject, or the error that says why not."""
    if previous is None:
        raise DispositionNotFoundError(f"no disposition to {action} for {subject} on {list_id}/{entry_id}")
    if expected_version and previous.version != expected_version:
        raise DispositionStateError(
            f"version: the disposition for {subject} on {list_id}/{entry_id} changed since you looked: now version "
            f"{previous.version} ({_describe(previous)}), not {expected_version}; look again before you {action}"
        )
    if not needs_approval(previous):
        raise DispositionStateError(
            f"cannot {action} the disposition for {subject} on {list_id}/{entry_id}: it is {_describe(previous)} "
            f"(version {previous.version}); only a false positive that waits for a second reviewer can be approved "
            "or rejected"
        )
    # Case and surrounding space do not make another person.
    if approver.strip().casefold() == previous.reviewer.strip().casefold():
        raise SelfReviewError(
            f"approver: {approver} recorded this disposition and cannot {action} it; a second reviewer must"
        )
    return previous


def _check_key(subject: str, list_id: str, entry_id: str) -> None:
    _check_id("subject", subject)
    kind = next((k for k in SUBJECT_KINDS if subject.startswith(k)), None)
    # A bare reference would key the same party two ways; subject_for() is the one spelling.
    if kind is None or not subject[len(kind) :].strip():
        raise DispositionError(f"subject: must be 'ref:<reference>' or 'fp:<fingerprint>', got {subject!r}")
    _check_id("list_id", list_id)
    _check_id("entry_id", entry_id)
    for name, value in (("subject", subject), ("list_id", list_id), ("entry_id", entry_id)):
        # The separator joins key parts; allowing it would let two keys collide.
        if SEP in value:
            raise DispositionError(f"{name}: must not contain the 0x1f separator")


def _check_id(name: str, value: str, required: bool = True) -> None:
    if not isinstance(value, str):
        raise DispositionError(f"{name}: must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise DispositionError(f"{name}: must not be empty")
    limit = MAX_SUBJECT_LENGTH if name == "subject" else MAX_ID_LENGTH
    if len(value) > limit:
        raise DispositionError(f"{name}: at most {limit} characters, got {len(value)}")


def _check_text(name: str, value: str, required: bool = True) -> None:
    if not isinstance(value, str):
        raise DispositionError(f"{name}: must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise DispositionError(f"{name}: must not be empty")
    if len(value) > MAX_REASON_LENGTH:
        raise DispositionError(f"{name}: at most {MAX_REASON_LENGTH} characters, got {len(value)}")


def _check_version(expected_version: int) -> None:
    # bool is an int; True as "version 1" would be an accident, not a request.
    if not isinstance(expected_version, int) or isinstance(expected_version, bool) or expected_version < 0:
        raise DispositionError(
            f"version: must be the version you looked at (1, 2, ...) or 0 for the current one, got {expected_version!r}"
        )


def _check_kind(kind: DispositionKind | str) -> DispositionKind:
    try:
        return DispositionKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in DispositionKind)
        raise DispositionError(f"kind: must be one of {allowed}, got {kind!r}") from None


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # A naive time is ambiguous in an audit record; refuse it rather than guess the zone.
    if now.tzinfo is None or now.utcoffset() is None:
        raise DispositionError("now: must be timezone-aware")
    return now.astimezone(UTC)


def _glob_escape(text: str) -> str:
    """Escape SCAN MATCH metacharacters so a prefix matches only itself."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
