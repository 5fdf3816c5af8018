"""The party registry: a company's customers and suppliers, kept in Redis for re-screening.

Each registered party is stored once, keyed by the caller's party reference
(upsert), with what re-screening needs precomputed: the party as validated
protobuf bytes (to rebuild the query) and its normalised name tokens (to find,
for a list change, the few parties that could match it without scoring all).
Its current screening state (decision and the entries it is alerted on) sits
next to it.

Parties are spread over a fixed number of buckets (hashes) by a hash of the
reference: a bucket is the unit of re-screening work (a shard), small enough to
load in one round trip, and the hash keeps buckets even.

A party that is new, or whose data changed, is marked unscreened (a set per
bucket, and the bucket in a set of buckets with such parties); a `registered`
job gives it its first state against every list (see service.rescreen.jobs).
Registering the same data again changes nothing and screens nothing.

A bucket's keys share a Redis Cluster slot (service.store.keyspace), so the
scripts below touch one slot; the set of buckets with unscreened parties lives
with the jobs, and is written after the bucket (a crash in between is repaired
by `sweep_unscreened`).

Who registered and removed what is kept in the stream `{prefix}parties:log`
(one entry per call: action, principal, count, the references), beside the
log line of the request: a removed party leaves no other trace.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from service.registry.identifiers import identifier_keys, packed, unpacked
from service.store import replies
from service.store.keyspace import JOBS, KeySpace, bucket_group, load_scripts
from service.store.snapshots import DEFAULT_PREFIX

BUCKETS = 256
# The field that says a bucket's identifier index holds every party of it (no reference starts with NUL).
_INDEXED = "\x00indexed"
# Registration and removal history (approximate trim; one entry per call).
LOG_MAXLEN = 100_000


class RegisteredParty(msgspec.Struct, frozen=True, array_like=True):
    reference: str
    # screening_pb2.Party, serialised (validated when registered).
    party: bytes
    # Normalised tokens of every name of the party (legal forms set aside), for the delta pre-filter.
    tokens: tuple[str, ...]
    # The direction the party is re-screened for ("export", "import", "payment", "other").
    direction: str = "export"


class Alerted(msgspec.Struct, frozen=True, array_like=True):
    """One listed entry a party is currently alerted on."""

    list_id: str
    entry_id: str
    entry_hash: str
    score: float
    decision: str
    # The listed name (primary or alias) the party matched, for whoever reads the state.
    listed_name: str = ""


class PartyState(msgspec.Struct, frozen=True, array_like=True):
    """What the last screening of a registered party found."""

    decision: str  # CLEAR | REVIEW | HOLD | BLOCK
    alerts: tuple[Alerted, ...] = ()
    # list_id -> the version the party was last screened against.
    versions: dict[str, str] = {}
    screened_at: str = ""


# KEYS: the bucket's parties, its unscreened set, its identifier index. ARGV: reference, record
# bytes, the party's identifier keys (packed, '' for none), the index's "complete" field. Returns 2 new, 1 changed, 0 the same data
# again. The index is written even for the same data: registering again fills it for parties
# registered before it existed. A bucket's first party marks its index complete (nothing to backfill).
_UPSERT = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[3], ARGV[4], '1') end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) else redis.call('HDEL', KEYS[3], ARGV[1]) end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if old then return 1 end
return 2
"""

# KEYS: the bucket's parties, its unscreened set. ARGV: reference, record bytes screened, ...
# A party re-registered with other data while it was being screened stays unscreened.
_MARK_SCREENED = """
local done = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    done = done + redis.call('SREM', KEYS[2], ARGV[i])
  end
end
return done
"""


class StoredState(NamedTuple):
    """A party's state as read, with its stored bytes: what a compare-and-set expects to find."""

    state: PartyState
    raw: bytes


_PARTY_ENCODER = msgspec.msgpack.Encoder()
_PARTY_DECODER = msgspec.msgpack.Decoder(RegisteredParty)
_STATE_DECODER = msgspec.msgpack.Decoder(PartyState)


def bucket_of(reference: str) -> int:
    return zlib.crc32(reference.encode()) % BUCKETS


@dataclass(frozen=True)
class RegisterResult:
    stored: int
    new: int
    # New or changed parties, queued for their first screening against every list.
    queued: int = 0


class PartyRegistry:
    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._keys = KeySpace(client, prefix)
        self._upsert = client.register_script(_UPSERT)
        self._mark_screened = client.register_script(_MARK_SCREENED)
        self._scripts_loaded = False

    @property
    def unscreened_buckets_key(self) -> str:
        return self._keys.key("parties:unscreened-buckets", JOBS)

    def unscreened_key(self, bucket: int) -> str:
        return self._keys.key(f"parties:unscreened:{bucket}", bucket_group(bucket))

    def parties_key(self, bucket: int) -> str:
        return self._keys.key(f"parties:{bucket}", bucket_group(bucket))

    def states_key(self, bucket: int) -> str:
        return self._keys.key(f"party-state:{bucket}", bucket_group(bucket))

    def identifiers_key(self, bucket: int) -> str:
        """The bucket's identifier index: reference -> its identifier keys (service.registry.identifiers)."""
        return self._keys.key(f"party-ids:{bucket}", bucket_group(bucket))

    def outbox_key(self, bucket: int) -> str:
        """Alerts settled in this bucket, not yet on the alert stream (service.rescreen.jobs)."""
        return self._keys.key(f"alert-outbox:{bucket}", bucket_group(bucket))

    @property
    def log_key(self) -> str:
        return self._keys.key("parties:log")

    def _log(self, pipe: Any, action: str, by: str, references: Sequence[str]) -> None:
        pipe.xadd(
            self.log_key,
            {"action": action, "by": by, "count": len(references), "references": "\x1f".join(references)},
            maxlen=LOG_MAXLEN,
            approximate=True,
        )

    async def register(self, parties: Sequence[RegisteredParty], by: str = "") -> RegisterResult:
        """Upsert by reference, in one pipelined round trip; new and changed parties are queued for screening.

        `by`: the principal registering them, kept in the registry log.
        """
        if not parties:
            return RegisterResult(0, 0)
        buckets = [bucket_of(party.reference) for party in parties]
        if not self._scripts_loaded:
            await load_scripts(self._redis, self._upsert)
            self._scripts_loaded = True
        try:
            outcomes = await self._upsert_all(parties, buckets, by)
            waiting = {bucket for bucket, outcome in zip(buckets, outcomes, strict=True) if outcome}
        except NoScriptError:
            # A cluster primary that lost its scripts (restarted, failed over) refused its part.
            # Upserts are idempotent: run them all again. What the first attempt stored now
            # reads "unchanged", so every bucket is put in the waiting set (an empty shard costs little).
            await load_scripts(self._redis, self._upsert)
            outcomes = await self._upsert_all(parties, buckets, by)
            waiting = set(buckets)
        # After the parties, on purpose: a `registered` job started in between still finds
        # these buckets here. A crash before this line is repaired by sweep_unscreened.
        if waiting:
            await self._redis.sadd(self.unscreened_buckets_key, *waiting)
        return RegisterResult(len(parties), outcomes.count(2), sum(1 for n in outcomes if n))

    async def _upsert_all(self, parties: Sequence[RegisteredParty], buckets: Sequence[int], by: str) -> list[int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for party, bucket in zip(parties, buckets, strict=True):
                keys = [self.parties_key(bucket), self.unscreened_key(bucket), self.identifiers_key(bucket)]
                keys_held = packed(identifier_keys(party.party))
                args: list[str | bytes] = [party.reference, _PARTY_ENCODER.encode(party), keys_held, _INDEXED]
                await self._upsert(keys=keys, args=args, client=pipe)
            self._log(pipe, "register", by, [party.reference for party in parties])
            return [int(n) for n in (await pipe.execute())[:-1]]

    async def sweep_unscreened(self) -> int:
        """Put back in the waiting set every bucket with unscreened parties; returns how many.

        Repairs a registration that stopped between its parties and the waiting set.
        """
        async with self._redis.pipeline(transaction=False) as pipe:
            for bucket in range(BUCKETS):
                pipe.scard(self.unscreened_key(bucket))
            counts = await pipe.execute()
        waiting = [bucket for bucket, count in enumerate(counts) if count]
        if waiting:
            await self._redis.sadd(self.unscreened_buckets_key, *waiting)
        return len(waiting)

    async def remove(self, references: Iterable[str], by: str = "") -> int:
        """Forget parties and their screening state; returns how many existed. `by`: as for register."""
        references = list(dict.fromkeys(references))
        if not references:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for reference in references:
                bucket = bucket_of(reference)
                pipe.hdel(self.parties_key(bucket), reference)
                pipe.hdel(self.states_key(bucket), reference)
                pipe.srem(self.unscreened_key(bucket), reference)
                pipe.hdel(self.identifiers_key(bucket), reference)
            self._log(pipe, "remove", by, references)
            results = (await pipe.execute())[:-1]
        return sum(int(n) for n in results[0::4])

    async def history(self, count: int = 100) -> list[dict[str, str]]:
        """The last `count` registrations and removals, newest first (action, by, count, references, at)."""
        entries = replies.entries(await self._redis.xrevrange(self.log_key, count=count))
        history = []
        for entry_id, fields in entries:
            item = {key.decode(): value.decode() for key, value in fields.items()}
            item["at_ms"] = entry_id.decode().split("-")[0]
            history.append(item)
        return history

    async def get(self, reference: str) -> RegisteredParty | None:
        raw = replies.raw(await self._redis.hget(self.parties_key(bucket_of(reference)), reference))
        return _PARTY_DECODER.decode(raw) if raw is not None else None

    async def state(self, reference: str) -> PartyState | None:
        raw = replies.raw(await self._redis.hget(self.states_key(bucket_of(reference)), reference))
        return _STATE_DECODER.decode(raw) if raw is not None else None

    async def states(self, references: Sequence[str]) -> dict[str, PartyState]:
        """The current states of these parties, in one round trip (parties never screened are left out)."""
        if not references:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for reference in references:
                pipe.hget(self.states_key(bucket_of(reference)), reference)
            raws = await pipe.execute()
        return {ref: _STATE_DECODER.decode(raw) for ref, raw in zip(references, raws, strict=True) if raw is not None}

    async def lookup(self, reference: str) -> tuple[RegisteredParty, PartyState | None, bool] | None:
        """A party, its state and whether its first screening is queued, in one round trip; None if unknown."""
        bucket = bucket_of(reference)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.parties_key(bucket), reference)
            pipe.hget(self.states_key(bucket), reference)
            pipe.sismember(self.unscreened_key(bucket), reference)
            raw_party, raw_state, queued = await pipe.execute()
        if raw_party is None:
            return None
        state = _STATE_DECODER.decode(raw_state) if raw_state is not None else None
        return _PARTY_DECODER.decode(raw_party), state, bool(queued)

    async def count(self) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            for bucket in range(BUCKETS):
                pipe.hlen(self.parties_key(bucket))
            return sum(await pipe.execute())

    async def bucket(self, bucket: int) -> tuple[list[RegisteredParty], dict[str, StoredState]]:
        """A bucket's parties and their states, in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hvals(self.parties_key(bucket))
            pipe.hgetall(self.states_key(bucket))
            raw_parties, raw_states = await pipe.execute()
        parties = [_PARTY_DECODER.decode(raw) for raw in raw_parties]
        return parties, {key.decode(): StoredState(_STATE_DECODER.decode(raw), raw) for key, raw in raw_states.items()}

    async def identifier_index(self, bucket: int, parties: Sequence[RegisteredParty]) -> dict[str, tuple[str, ...]]:
        """The bucket's identifier index (reference -> keys) for these parties of it.

        A bucket indexed before the index existed is indexed here first, once, from its parties
        (HSETNX: a registration meanwhile wrote newer keys, which stay).
        """
        raw = replies.raw_hash(await self._redis.hgetall(self.identifiers_key(bucket)))
        if _INDEXED.encode() not in raw:
            found = {party.reference: keys for party in parties if (keys := identifier_keys(party.party))}
            async with self._redis.pipeline(transaction=False) as pipe:
                for reference, keys in found.items():
                    pipe.hsetnx(self.identifiers_key(bucket), reference, packed(keys))
                pipe.hset(self.identifiers_key(bucket), _INDEXED, "1")
                await pipe.execute()
            raw = replies.raw_hash(await self._redis.hgetall(self.identifiers_key(bucket)))
        return {name.decode(): unpacked(value) for name, value in raw.items() if name != _INDEXED.encode()}

    async def stored_states(self, bucket: int, references: Sequence[str]) -> dict[str, StoredState]:
        """The current states of some of a bucket's parties (those without one are left out)."""
        raws = replies.raw_all(await self._redis.hmget(self.states_key(bucket), list(references)))
        return {
            ref: StoredState(_STATE_DECODER.decode(raw), raw)
            for ref, raw in zip(references, raws, strict=True)
            if raw is not None
        }

    async def unscreened(self, bucket: int) -> tuple[list[tuple[RegisteredParty, bytes]], dict[str, StoredState]]:
        """A bucket's parties awaiting their first screening (each with its stored bytes) and their states."""
        references = [ref.decode() for ref in replies.raw_all(await self._redis.smembers(self.unscreened_key(bucket)))]
        if not references:
            return [], {}
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.parties_key(bucket), references)
            pipe.hmget(self.states_key(bucket), references)
            raw_parties, raw_states = await pipe.execute()
        parties = [(_PARTY_DECODER.decode(raw), raw) for raw in raw_parties if raw is not None]
        states = {ref: StoredState(_STATE_DECODER.decode(raw), raw)
                  for ref, raw in zip(references, raw_states, strict=True) if raw is not None}  # fmt: skip
        return parties, states

    async def mark_screened(self, bucket: int, screened: Sequence[tuple[str, bytes]]) -> int:
        """Take screened parties off the bucket's unscreened set, unless re-registered with other data meanwhile."""
        if not screened:
            return 0
        args = [value for reference, raw in screened for value in (reference, raw)]
        return int(await self._mark_screened(keys=[self.parties_key(bucket), self.unscreened_key(bucket)], args=args))

    def encode_state(self, state: PartyState) -> bytes:
        return _PARTY_ENCODER.encode(state)

    async def memory_per_party(self, sample_buckets: int = 8) -> float:
        """Redis bytes per registered party (party and state), from a sample of buckets."""
        used, parties = 0, 0
        for bucket in range(min(sample_buckets, BUCKETS)):
            for key in (self.parties_key(bucket), self.states_key(bucket)):
                used += int(await self._redis.memory_usage(key, samples=0) or 0)
            parties += int(await self._redis.hlen(self.parties_key(bucket)))
        return used / parties if parties else 0.0
