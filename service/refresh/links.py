"""Find a publisher's current file on its web page, as a browser user would: by the link.

Some publishers (CBP's withhold-release orders) put a date in the file's name and link
the current file from a page; the catalogue then gives the page's URL and a pattern the
link must match (`links` in lists/sources.toml), and the download follows the link.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

# Dates in file names: 2024-05-14, 20240514, 05-14-2024, 05142024 are all seen on government sites.
_ISO_DATE = re.compile(r"(20\d{2})[-_]?([01]\d)[-_]?([0-3]\d)")
_US_DATE = re.compile(r"([01]\d)[-_]?([0-3]\d)[-_]?(20\d{2})")


class NoLink(Exception):
    """The page has no link matching the pattern."""


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, text), in page order
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = next((value for name, value in attrs if name == "href" and value), None)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href.strip(), " ".join("".join(self._text).split())))
            self._href = None


def _date_key(href: str) -> str:
    """A sortable date from a link's file name ("" when it has none)."""
    if match := _ISO_DATE.search(href):
        return "".join(match.groups())
    if match := _US_DATE.search(href):
        month, day, year = match.groups()
        return f"{year}{month}{day}"
    return ""


def discover_link(page: bytes, page_url: str, pattern: str) -> str:
    """The absolute URL of the page's link whose address or text matches `pattern`: the
    newest by the date in its name when several do, else the first on the page."""
    parser = _Anchors()
    parser.feed(page.decode("utf-8", errors="replace"))
    parser.close()
    wanted = re.compile(pattern, re.IGNORECASE)
    found = [href for href, text in parser.links if wanted.search(href) or wanted.search(text)]
    if not found:
        raise NoLink(f"{page_url}: no link matching {pattern!r} among the page's {len(parser.links)} links")
    newest = max(found, key=_date_key)  # max keeps the first of equal keys: page order without dates
    return urljoin(page_url, newest)
