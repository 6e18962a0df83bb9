"""The run's totals: what was kept, what was dropped and why, and where it went.

The crawl report (crawler/extensions/report.py) carries these keys at its top level, so
SUMMARY_FILE readers written before the per-site report keep working.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from scrapy.extensions.feedexport import FeedExporter


def summarize(stats: dict, feeds: list[str]) -> dict:
    prefix = "docs/dropped/"
    dropped = {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}
    return {
        "kept": stats.get("docs/kept", 0),
        "dropped": dropped,
        "dropped_total": sum(dropped.values()),
        "articles_fetched": stats.get("articles/fetched", 0),
        "articles_skipped_seen": stats.get("articles/skipped_seen", 0),
        "feeds": feeds,
    }


def feed_slots(crawler) -> list:
    exporter = crawler.get_extension(FeedExporter)
    return list(getattr(exporter, "slots", []) if exporter else [])


def written_feeds(crawler) -> list[str]:
    """Remote feeds by URI, local ones by path if the file exists (an empty feed is not
    stored: FEED_STORE_EMPTY)."""
    out = []
    for slot in feed_slots(crawler):
        uri = urlparse(slot.uri)
        if uri.scheme not in ("", "file"):
            out.append(slot.uri)
        elif Path(unquote(uri.path)).exists():
            out.append(unquote(uri.path))
    return out


def first_local_feed(crawler) -> Path | None:
    """The path of the first feed written to a local file, whether or not it holds anything."""
    for slot in feed_slots(crawler):
        path = getattr(slot.storage, "path", None)
        if isinstance(path, str):
            return Path(path)
    return None
