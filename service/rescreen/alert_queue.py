"""The review queue's alerts: raised alerts, filtered, oldest first (ListAlerts).

WatchAlerts follows the stream as it grows; a reviewer opening the console wants
the opposite: what is waiting now, oldest first, narrowed to a list, a decision
or an age. The stream is read newest first and at most SCAN_LIMIT alerts deep
(one XREVRANGE page: bounded work per call however long the stream is), so an
answer says when older alerts were left unread.

"Open" is decided from the registry and the dispositions, not from the alert:
an alert stays open while its party's current state still carries one of the
alert's entries and nobody has recorded a verdict on that entry as it is now (a
disposition, pending a second reviewer or not, made on the entry's current
content). A later re-screen that cleared the entry, a verdict, or removing the
party closes it; of several alerts of one party only the newest can be open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from service.dispositions.queue import SCAN_LIMIT, VERDICT_CHUNK, QueueFilter
from service.dispositions.store import DispositionStore, is_verdict, subject_for
from service.registry.store import PartyRegistry
from service.rescreen.jobs import AlertRecord, Jobs

_DECODER = msgspec.json.Decoder(AlertRecord)


@dataclass(frozen=True)
class AlertPage:
    alerts: list[tuple[str, bytes]]  # (alert id, alert JSON), oldest first
    scanned: int
    truncated: bool  # older alerts than the scanned ones exist and were not read
    more: bool  # more alerts matched than the page holds (the newest were left out)


async def list_alerts(
    jobs: Jobs,
    registry: PartyRegistry | None,
    dispositions: DispositionStore,
    rules: QueueFilter,
    now: datetime,
    scan_limit: int = SCAN_LIMIT,
) -> AlertPage:
    chosen: list[tuple[str, bytes, AlertRecord]] = []
    seen_parties: set[str] = set()
    scanned = 0
    truncated = False
    # Page by page, so that the loop serves other calls between pages (service/store/streams.py).
    async for page in jobs.newest_alerts(scan_limit + 1):
        for alert_id, raw in page:
            if scanned == scan_limit:
                truncated = True
                break
            scanned += 1
            alert = _DECODER.decode(raw)
            if rules.open_only:
                # Only a party's newest alert can be open: an older one was overtaken by it.
                if alert.reference in seen_parties:
                    continue
                seen_parties.add(alert.reference)
            if rules.passes(alert.decision, (entry[0] for entry in alert.entries), alert.raised_at, now):
                chosen.append((alert_id, raw, alert))
    if rules.open_only:
        chosen = await _still_open(registry, dispositions, chosen)
    # The queue is worked oldest first; what does not fit is the newest.
    chosen.reverse()
    shown = [(alert_id, raw) for alert_id, raw, _ in chosen[: rules.page_size]]
    return AlertPage(shown, scanned, truncated, len(chosen) > rules.page_size)


async def _still_open(
    registry: PartyRegistry | None, dispositions: DispositionStore, chosen: Sequence[tuple[str, bytes, AlertRecord]]
) -> list[tuple[str, bytes, AlertRecord]]:
    if registry is None or not chosen:
        return []
    references = [alert.reference for _, _, alert in chosen]
    states = {}
    for start in range(0, len(references), VERDICT_CHUNK):
        states.update(await registry.states(references[start : start + VERDICT_CHUNK]))
    # Per alert: the entries it raised that the party is still alerted on, with their current content hash.
    waiting: list[dict[tuple[str, str], str]] = []
    for _, _, alert in chosen:
        state = states.get(alert.reference)
        current = {(a.list_id, a.entry_id): a.entry_hash for a in state.alerts} if state is not None else {}
        raised = {(entry[0], entry[1]) for entry in alert.entries if entry[4] != "cleared"}
        waiting.append({key: current[key] for key in raised if key in current})
    pairs = zip(chosen, waiting, strict=True)
    asked = [(subject_for(alert.reference, ""), list(keys)) for (_, _, alert), keys in pairs]
    verdicts = []
    for start in range(0, len(asked), VERDICT_CHUNK):
        verdicts += await dispositions.active_for_many(asked[start : start + VERDICT_CHUNK])
    return [
        item
        for item, keys, held in zip(chosen, waiting, verdicts, strict=True)
        if any(not is_verdict(held.get(key), entry_hash) for key, entry_hash in keys.items())
    ]
