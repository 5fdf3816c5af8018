"""The export desk's console: server-rendered pages over the HTTP door (issue 16)."""
