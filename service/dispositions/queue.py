"""What the review queue's two lists share (ListReviews, ListAlerts): the filter, its bounds, and the test.

Both lists read a stream newest first, at most SCAN_LIMIT entries deep, keep the entries the
filter passes, and ask Redis for verdicts in pipelines of VERDICT_CHUNK.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SCAN_LIMIT = 10_000
DEFAULT_PAGE = 100
MAX_PAGE = 1000
# Pipelines of a few hundred: the event loop serves other calls between them.
VERDICT_CHUNK = 250


@dataclass(frozen=True)
class QueueFilter:
    list_id: str = ""  # "" = any list
    decision: str = ""  # "CLEAR" | "REVIEW" | "HOLD" | "BLOCK"; "" = any
    min_age: timedelta | None = None  # raised (screened) at least this long ago
    max_age: timedelta | None = None  # raised (screened) at most this long ago
    open_only: bool = False
    page_size: int = DEFAULT_PAGE

    def passes(self, decision: str, list_ids: Iterable[str], when: datetime, now: datetime) -> bool:
        """Whether an entry of this decision, on these lists, raised at `when`, is wanted."""
        if self.decision and decision != self.decision:
            return False
        if self.list_id and self.list_id not in list_ids:
            return False
        age = now - when
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age
