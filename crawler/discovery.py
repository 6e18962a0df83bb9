"""Freshness: which listed URLs a run reads, decided from dates (docs/discovery.md).

Pure functions over plain values, no Scrapy: the window a run reads (from `-a since=`, the
site's last complete run, or DISCOVERY_DAYS), and the date a sitemap entry, a feed item or
a URL carries. The spider (crawler/spiders/news.py) asks them about every listed link.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from scrapy.utils.sitemap import Sitemap

SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhw])\s*$", re.IGNORECASE)
SPAN_UNITS = {"h": 1 / 24, "d": 1, "w": 7}

# A date in a URL: /2026/12/06/, /2026-12-06/, sitemap-2026-12-06.xml, /20261206/ (the
# last only between separators, so an article number is not read as a date).
URL_DATES = (
    re.compile(r"(?<!\d)((?:19|20)\d\d)[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"(?<=[/_.-])((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)
# A month alone (/2026/12/, sitemap-2026-12.xml): a monthly child sitemap.
URL_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_-](0?[1-9]|1[0-2])(?![\d])(?![/_-]\d)")


class SinceError(ValueError):
    """`since` is neither a date nor a span such as 3d."""


def parse_since(value: str, now: datetime) -> datetime:
    """`YYYY-MM-DD` (midnight UTC), an ISO 8601 time, or a span back from now: `3d`, `12h`, `2w`."""
    span = SPAN.match(value)
    if span:
        return now - timedelta(days=float(span.group(1)) * SPAN_UNITS[span.group(2).lower()])
    when = parse_date(value)
    if when is None:
        raise SinceError(f"since={value!r}: give a date (2026-12-01), a time (2026-12-01T06:00Z) "
                         f"or a span back from now (3d, 12h, 2w)")
    return when


def parse_date(text: str | None) -> datetime | None:
    """A W3C/ISO date or time (sitemaps, Atom) or an RFC 822 one (RSS), as an aware UTC
    datetime; a date without a zone is read as UTC. None if it is not a date."""
    if not text:
        return None
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def date_in_url(url: str) -> date | None:
    """The day a URL names, if any (the last one: a host or section never holds one)."""
    for pattern in URL_DATES:
        found = list(pattern.finditer(url))
        if found:
            year, month, day = (int(g) for g in found[-1].groups())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def month_in_url(url: str) -> date | None:
    """The last day of the month a URL names (a monthly child sitemap), if any."""
    found = list(URL_MONTH.finditer(url))
    if not found:
        return None
    year, month = (int(g) for g in found[-1].groups())
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """What a run of one site reads: listed URLs changed at or after `start`. `reason`
    says where the start came from, for the log and the report."""
    start: datetime
    reason: str

    def holds(self, when: datetime | None) -> bool | None:
        """Whether a dated entry falls in the window; None when it carries no date."""
        return None if when is None else when >= self.start

    def holds_day(self, day: date | None) -> bool | None:
        """Whether a day named in a URL may hold changes in the window. A URL's day is the
        site's local day, which may start up to 14 hours before UTC's: a day of slack."""
        return None if day is None else day >= (self.start - timedelta(days=1)).date()


def window_for(now: datetime, since: datetime | None, last_run: float | None, first_run_since: datetime | None,
               days: float, overlap_hours: float) -> Window:
    if since is not None:
        return Window(since, f"since={since:%Y-%m-%dT%H:%MZ}")
    if last_run is not None:
        start = datetime.fromtimestamp(last_run, timezone.utc) - timedelta(hours=overlap_hours)
        return Window(start, f"changes since the last complete run ({overlap_hours:g} h overlap)")
    if first_run_since is not None:
        return Window(first_run_since, f"first run, back to the seed's first_run_since {first_run_since:%Y-%m-%d}")
    return Window(now - timedelta(days=days), f"first run, the last {days:g} days (DISCOVERY_DAYS)")


def entry_date(entry: dict) -> datetime | None:
    """A sitemap entry's date: its lastmod, else its Google News publication date."""
    return parse_date(entry.get("lastmod")) or parse_date(entry.get("publication_date"))


def entry_in_window(window: Window, url: str, when: datetime | None) -> bool | None:
    """A listed URL by its own date, else by the day (or month) its URL names; None when it
    carries neither."""
    held = window.holds(when)
    if held is not None:
        return held
    held = window.holds_day(date_in_url(url))
    if held is not None:
        return held
    return window.holds_day(month_in_url(url))


class DatedSitemap(Sitemap):
    """Scrapy's sitemap parser, which keeps only an entry's direct children: a Google News
    entry's date sits one level down (<news:news><news:publication_date>), so it is taken
    before the element is read and cleared."""

    __slots__ = ()

    def _process_sitemap_element(self, elem):
        published = next((el.text for el in elem.iter("{*}publication_date") if el.text), None)
        entry = super()._process_sitemap_element(elem)
        if entry is not None and published:
            entry["publication_date"] = published.strip()
        return entry
