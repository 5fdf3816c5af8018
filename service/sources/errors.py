"""Errors a source raises when a publisher's file cannot be used."""

from __future__ import annotations


class ListFileError(Exception):
    """A list file is missing, unreadable or malformed; nothing from it is used."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
