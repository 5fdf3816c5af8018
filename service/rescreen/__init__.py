"""Re-screening registered parties after list updates (delta) or on demand (full), sharded over workers."""
