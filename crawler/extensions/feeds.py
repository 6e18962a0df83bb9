"""Scrapy's feed exports, with a failed write made visible, and documents held until the
feed file that has them is stored where it belongs.

Scrapy catches an exception raised while a feed exports an item, logs it and goes on: the
item is reported as scraped and the state store would mark it done, so a document could be
lost without a trace. This FeedExporter records the ids it failed to write; the dedupe
pipeline leaves those documents' claims provisional, so the next run fetches them again.

A document is done only once every feed that takes it holds it durably:
- our JSON Lines and txt exporters writing a local file put each document on disk as it is
  exported: the dedupe pipeline marks it done at once;
- everything else is held until its feed file (or batch) is stored: a Parquet file is
  readable only once closed, CSV, XML and JSON are buffered, a post-processed (gzip) file is
  whole only at its end, and S3, GCS, FTP and stdout feeds are a local temporary file until
  their storage's `store()` succeeded (crawler/feedstorage.py records it; read here on
  Scrapy's public `feed_slot_closed` signal). Killed before, the document stays provisional
  and the next run fetches it again, unless a local JSON Lines feed of the run has it.

A run whose feeds Scrapy disables (an unknown or disabled scheme, such as `s3://` without
boto3, an unknown format) stops before it starts: Scrapy would log the error and crawl on,
exporting nothing, and every document would count as kept.
"""
from __future__ import annotations

import logging
import weakref
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter

from crawler import faults
from crawler.exporters import FlushingJsonLinesItemExporter, TxtItemExporter
from crawler.feedstorage import writes_in_place
from pipelines.dedupe import FeedLedger

logger = logging.getLogger(__name__)


# Libraries a storage imports only when it uploads, at the feed's close: missing, the crawl
# would run to its end and then fail to store anything.
UPLOAD_LIBRARIES = {"gs": "google.cloud.storage"}

# Exporters that have the document in their file when export_item returns.
ON_DISK_AT_ONCE = (FlushingJsonLinesItemExporter, TxtItemExporter)


class FeedsUnavailable(RuntimeError):
    """The configured feeds cannot be written: the crawl must not start."""


class CheckedFeedExporter(FeedExporter, FeedLedger):
    @classmethod
    def from_crawler(cls, crawler):
        exporter = super().from_crawler(crawler)
        crawler.signals.connect(exporter.feed_slot_closed, signals.feed_slot_closed)
        return exporter

    def __init__(self, crawler):
        try:
            super().__init__(crawler)
        except NotConfigured:
            configured = list(crawler.settings.getdict("FEEDS")) or [crawler.settings.get("FEED_URI")]
            if any(configured):
                raise FeedsUnavailable(
                    f"feeds {', '.join(map(str, configured))} cannot be written (Scrapy disabled its feed exports: "
                    f"see the error above); stopping before the crawl starts, so that no document is counted as "
                    f"kept or marked done without a feed holding it") from None
            raise
        faults.configure(crawler.settings)
        self._check_upload_libraries()
        self.crawler = crawler
        # What the dedupe pipeline reads before it marks a document done (FeedLedger): the
        # documents a feed failed to write, and those an open feed file holds unstored (which
        # it leaves to us to mark done when the file is stored).
        FeedLedger.__init__(self)
        self.held_by_slot: dict[int, list[str]] = {}
        self.noted: set[str] = set()
        self.noted_slots: weakref.WeakSet = weakref.WeakSet()   # asked once each, not at every item

    def _check_upload_libraries(self) -> None:
        import importlib
        from urllib.parse import urlparse
        for uri in self.feeds:
            library = UPLOAD_LIBRARIES.get(urlparse(uri).scheme)
            if library:
                try:
                    importlib.import_module(library)
                except ImportError:
                    raise FeedsUnavailable(f"feed {uri} needs the Python library {library}, which is not installed; "
                                           f"stopping before the crawl starts") from None

    def _note_feed_files(self):
        """Tell the state store where this run's feeds write, before anything is written
        there: after a kill, recovery reads those feeds (local files, remote objects) for
        documents that reached a feed but were not yet marked done."""
        from crawler.state import state_store
        for slot in self.slots:
            if slot in self.noted_slots:
                continue
            self.noted_slots.add(slot)
            where = str(Path(slot.storage.path).resolve()) if writes_in_place(slot.storage) else slot.uri
            if where not in self.noted:
                self.noted.add(where)
                state_store(self.crawler).note_feed(where)

    def _durable_at_once(self, slot) -> bool:
        return (writes_in_place(slot.storage) and not slot.feed_options.get("postprocessing")
                and issubclass(self.exporters[slot.format], ON_DISK_AT_ONCE))

    def item_scraped(self, item, spider):
        self._note_feed_files()
        doc_id = item.get("id") if hasattr(item, "get") else None
        if doc_id:
            taken = False
            for slot in self.slots:
                if slot.filter.accepts(item):
                    taken = True
                    if not self._durable_at_once(slot):
                        self.held_by_slot.setdefault(id(slot), []).append(doc_id)
                        self.held_ids[doc_id] += 1
            if not taken:   # no feed takes it: it is nowhere, so it is not done
                self.failed_ids.add(doc_id)
            faults.reached("before_feed_write")
        try:
            super().item_scraped(item, spider)
            if doc_id:
                faults.reached("after_feed_write")
        except Exception as exc:
            self.failed_ids.add(doc_id)
            self.crawler.stats.inc_value("docs/export_failed")
            logger.error("feed export failed for %s: %r; it will be fetched again next run",
                         item.get("url") if hasattr(item, "get") else item, exc)

    def feed_slot_closed(self, slot):
        if not hasattr(slot.storage, "stored"):
            logger.error("feed storage %s does not say whether it stored %s (derive it from "
                         "crawler.feedstorage.RecordsStore)", type(slot.storage).__name__, slot.uri)
        stored = getattr(slot.storage, "stored", None) is True
        done = []
        for doc_id in self.held_by_slot.pop(id(slot), []):
            held = self.held_ids
            held[doc_id] -= 1
            if held[doc_id] <= 0:
                del held[doc_id]
                if stored and doc_id not in self.failed_ids:
                    done.append(doc_id)
        if done:
            faults.reached("after_feed_store")
            self._done(done)
        if not stored:
            logger.error("feed %s was not stored: its documents stay provisional and are fetched again "
                         "next run", slot.uri)

    def _done(self, doc_ids: list[str]) -> None:
        """One transaction for the whole file: a kill leaves all of them done or none."""
        from crawler.state import state_store
        from pipelines.state import StoreUnavailable, stop_crawl
        store = state_store(self.crawler)
        try:
            with store.claims():
                for doc_id in doc_ids:
                    store.done(doc_id)
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
