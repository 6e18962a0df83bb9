"""Counts what became of every page: `docs/kept`, `docs/dropped/<reason>`.

Pipeline drops raise a `pipelines.drops.Drop` subclass and arrive through the
`item_dropped` signal; a pipeline that fails on a page is counted as
`docs/dropped/pipeline_error_<Exception>` (the `item_error` signal); the spider reports pages that never reached the pipelines (non-HTML
bodies, HTTP errors, failed fetches) with `count_drop`. Both log the URL at DEBUG.
"""
from __future__ import annotations

import logging

from scrapy import signals
from scrapy.logformatter import LogFormatter

logger = logging.getLogger(__name__)


def count_drop(crawler, reason: str, url: str, detail: str = "", article: bool = True) -> None:
    """A page lost before the pipelines. Discovery files (sitemaps, feeds, section pages)
    are counted apart from article pages: they are not documents."""
    prefix = "docs/dropped" if article else "discovery/failed"
    crawler.stats.inc_value(f"{prefix}/{reason}")
    logger.debug("%s/%s <%s>: %s", prefix, reason, url, detail)


class DocStats:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def item_scraped(self, item, response, spider):
        self.stats.inc_value("docs/kept")

    def item_dropped(self, item, response, exception, spider):
        reason = getattr(exception, "reason", type(exception).__name__)
        self.stats.inc_value(f"docs/dropped/{reason}")


    def item_error(self, item, response, spider, failure):
        # A bug in a pipeline on one page: Scrapy logs the traceback; the page is counted
        # with its own reason so that no page disappears from the run's accounts.
        self.stats.inc_value(f"docs/dropped/pipeline_error_{failure.type.__name__}")


class QuietDropsLogFormatter(LogFormatter):
    """Drops are routine on the web: log them at their own level (DEBUG for ours) with the
    reason and URL, never with the whole item (which may still hold a page of HTML)."""

    def dropped(self, item, exception, response, spider):
        level = getattr(exception, "log_level", None) or logging.WARNING
        if isinstance(level, str):
            level = getattr(logging, level)
        return {"level": level, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
