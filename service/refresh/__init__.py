"""Fetch (directory or official URLs) -> parse -> validate -> publish, for each list."""
