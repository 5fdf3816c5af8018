"""The audit trail: one record per screening, buffered in a bounded Redis Stream
and exported to append-only, rotated JSON Lines files for long-term retention
(OFAC's record-keeping period is 10 years; Redis only buffers)."""
