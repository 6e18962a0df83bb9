"""Scrapy's feed exports, with a failed write made visible.

Scrapy catches an exception raised while a feed exports an item, logs it and goes on: the
item is reported as scraped and the state store would mark it done, so a document could be
lost without a trace. This FeedExporter records the ids it failed to write; the dedupe
pipeline leaves those documents' claims provisional, so the next run fetches them again.
"""
from __future__ import annotations

import logging

from scrapy.extensions.feedexport import FeedExporter

logger = logging.getLogger(__name__)


class CheckedFeedExporter(FeedExporter):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        crawler.export_failed_ids = set()

    def item_scraped(self, item, spider):
        try:
            super().item_scraped(item, spider)
        except Exception as exc:
            doc_id = item.get("id") if hasattr(item, "get") else None
            self.crawler.export_failed_ids.add(doc_id)
            self.crawler.stats.inc_value("docs/export_failed")
            logger.error("feed export failed for %s: %r; it will be fetched again next run",
                         item.get("url") if hasattr(item, "get") else item, exc)
