"""Scrapy's feed exports, with a failed write made visible.

Scrapy catches an exception raised while a feed exports an item, logs it and goes on: the
item is reported as scraped and the state store would mark it done, so a document could be
lost without a trace. This FeedExporter records the ids it failed to write; the dedupe
pipeline leaves those documents' claims provisional, so the next run fetches them again.
"""
from __future__ import annotations

import logging
from pathlib import Path

from scrapy.extensions.feedexport import FeedExporter

logger = logging.getLogger(__name__)


class CheckedFeedExporter(FeedExporter):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        crawler.export_failed_ids = set()
        self.noted: set[str] = set()

    def _note_feed_files(self):
        """Tell the state store which local files this run's feeds write, before anything
        is written to them: after a kill, recovery looks there for documents that reached a
        feed but were not yet marked done."""
        from crawler.state import state_store
        for slot in self.slots:
            path = getattr(slot.storage, "path", None)
            if isinstance(path, str) and path not in self.noted:
                self.noted.add(path)
                state_store(self.crawler).note_feed(str(Path(path).resolve()))

    def item_scraped(self, item, spider):
        self._note_feed_files()
        try:
            super().item_scraped(item, spider)
        except Exception as exc:
            doc_id = item.get("id") if hasattr(item, "get") else None
            self.crawler.export_failed_ids.add(doc_id)
            self.crawler.stats.inc_value("docs/export_failed")
            logger.error("feed export failed for %s: %r; it will be fetched again next run",
                         item.get("url") if hasattr(item, "get") else item, exc)
