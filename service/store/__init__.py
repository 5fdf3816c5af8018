"""Redis: connection (server or embedded) and versioned list snapshots."""
