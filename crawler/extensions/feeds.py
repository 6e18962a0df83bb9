"""Scrapy's feed exports, with a failed write made visible, and documents held until their
feed file is whole.

Scrapy catches an exception raised while a feed exports an item, logs it and goes on: the
item is reported as scraped and the state store would mark it done, so a document could be
lost without a trace. This FeedExporter records the ids it failed to write; the dedupe
pipeline leaves those documents' claims provisional, so the next run fetches them again.

Only our JSON Lines and txt exporters put each document on disk as it is exported. A
Parquet file is readable only once closed (its footer comes last), and CSV, XML and JSON
are buffered: a kill loses their last documents. A document written to such a feed is
marked done only when that feed file (or batch) has been stored; killed before, it stays
provisional and the next run fetches it again, unless a JSON Lines feed of the run has it.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from scrapy.extensions.feedexport import FeedExporter

from crawler.exporters import FlushingJsonLinesItemExporter, TxtItemExporter

logger = logging.getLogger(__name__)


# Exporters that have the document on disk when export_item returns.
ON_DISK_AT_ONCE = (FlushingJsonLinesItemExporter, TxtItemExporter)


class CheckedFeedExporter(FeedExporter):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        crawler.export_failed_ids = set()
        # document id -> how many open feed files still hold it unstored (the dedupe
        # pipeline leaves these to us to mark done)
        crawler.feed_held_ids = Counter()
        self.held_by_slot: dict[int, list[str]] = {}
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
        doc_id = item.get("id") if hasattr(item, "get") else None
        if doc_id:
            for slot in self.slots:
                if slot.filter.accepts(item) and not issubclass(self.exporters[slot.format], ON_DISK_AT_ONCE):
                    self.held_by_slot.setdefault(id(slot), []).append(doc_id)
                    self.crawler.feed_held_ids[doc_id] += 1
        try:
            super().item_scraped(item, spider)
        except Exception as exc:
            doc_id = item.get("id") if hasattr(item, "get") else None
            self.crawler.export_failed_ids.add(doc_id)
            self.crawler.stats.inc_value("docs/export_failed")
            logger.error("feed export failed for %s: %r; it will be fetched again next run",
                         item.get("url") if hasattr(item, "get") else item, exc)

    async def _close_slot(self, slot, spider):
        failed_before = self._failed_stores()
        await super()._close_slot(slot, spider)
        stored = self._failed_stores() == failed_before
        for doc_id in self.held_by_slot.pop(id(slot), []):
            held = self.crawler.feed_held_ids
            held[doc_id] -= 1
            if held[doc_id] <= 0:
                del held[doc_id]
                if stored and doc_id not in self.crawler.export_failed_ids:
                    self._done(doc_id)
        if not stored:
            logger.error("feed %s was not stored: its documents stay provisional and are fetched again "
                         "next run", slot.uri)

    def _failed_stores(self) -> int:
        stats = self.crawler.stats.get_stats()
        return sum(v for k, v in stats.items() if k.startswith("feedexport/failed_count/"))

    def _done(self, doc_id: str) -> None:
        from crawler.state import state_store
        from pipelines.state import StoreUnavailable, stop_crawl
        try:
            state_store(self.crawler).done(doc_id)
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
