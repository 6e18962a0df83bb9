"""At the end of every run: what was kept, what was dropped and why, and where it went."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

from scrapy import signals
from scrapy.extensions.feedexport import FeedExporter

logger = logging.getLogger(__name__)


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


def format_summary(summary: dict) -> str:
    lines = [f"documents kept: {summary['kept']}  (article pages fetched: {summary['articles_fetched']}, "
             f"skipped as already stored: {summary['articles_skipped_seen']})",
             f"dropped: {summary['dropped_total']}"]
    lines += [f"  {reason:<16} {n}" for reason, n in summary["dropped"].items()]
    lines += [f"feed: {feed}" for feed in summary["feeds"]] or ["feed: none written (no documents)"]
    return "\n".join(lines)


class CrawlSummary:
    def __init__(self, crawler, path: str | None):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.get("SUMMARY_FILE") or None)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _feeds(self) -> list[str]:
        exporter = self.crawler.get_extension(FeedExporter)
        out = []
        for slot in getattr(exporter, "slots", []) if exporter else []:
            uri = urlparse(slot.uri)
            if uri.scheme not in ("", "file"):
                out.append(slot.uri)
            elif Path(unquote(uri.path)).exists():  # an empty feed is not stored (FEED_STORE_EMPTY)
                out.append(unquote(uri.path))
        return out

    def spider_closed(self, spider, reason):
        summary = summarize(self.crawler.stats.get_stats(), self._feeds())
        summary["finish_reason"] = reason
        logger.info("Crawl summary (%s):\n%s", spider.name, format_summary(summary))
        if self.path:
            Path(self.path).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
