"""One state store per crawl, shared by the spider, the middlewares, the pipelines and the
feeds: a Scrapy extension (`StateStoreExtension`, in EXTENSIONS) that opens it on first use,
takes the run's lock, keeps its heartbeat, and stops the crawl if it stops answering.
Components reach it with `state_store(crawler)`, or, under pipelines/ (which never import
this package), with `crawler.get_extension(pipelines.state.StoreKeeper)`."""
import logging
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler import faults
from crawler.pages import now_iso
from pipelines.state import (  # noqa: F401 (stop_crawl: re-exported for the crawler's modules)
    LOCK_TTL, StateError, StateStore, StoreKeeper, StoreUnavailable, open_store, process_namespace, stop_crawl,
    store_lost,
)

logger = logging.getLogger(__name__)


class StateStoreExtension(StoreKeeper):
    def __init__(self, crawler):
        self.crawler = crawler
        self._store: StateStore | None = None
        self.holder: dict | None = None   # who this crawl is, in the store's lock and worker list
        self.lost = False

    @classmethod
    def from_crawler(cls, crawler):
        keeper = cls(crawler)
        crawler.signals.connect(keeper.store_lost, signal=store_lost)
        return keeper

    def store(self) -> StateStore:
        if self._store is None:
            self._store, self.holder = _open(self.crawler)
        return self._store

    def store_lost(self, exc: Exception) -> None:
        if self.lost:
            return
        self.lost = True
        logger.error("stopping the crawl: %s", exc)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="state_store_unavailable"))


def keeper(crawler) -> StateStoreExtension:
    found = crawler.get_extension(StoreKeeper)
    if found is None:
        raise NotConfigured("the state store needs crawler.state.StateStoreExtension in EXTENSIONS")
    return found


def state_store(crawler) -> StateStore:
    return keeper(crawler).store()


def _open(crawler) -> tuple[StateStore, dict]:
    faults.configure(crawler.settings)
    uri = crawler.settings.get("STATE_URI")
    store = open_store(uri)
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "since": now_iso(), "ns": process_namespace()}
    # A store shared by workers (Redis) is meant to be crawled by several processes at
    # once; one on a single machine (SQLite) takes the run lock.
    if not store.shared and crawler.settings.getbool("STATE_LOCK", True) and ":memory:" not in uri:
        _lock(store, uri, holder)
    store.join(holder)
    _keep_alive(crawler, store, holder)
    exported = ids_in_feeds(store.feeds(), lambda where: read_feed(crawler, where))
    released = store.recover(lambda doc_id: _passing_recovery() or doc_id in exported)
    store.forget_feeds()
    if released:
        crawler.stats.set_value("state/recovered", released)
        logger.warning("state store: %d documents were claimed but never exported by an "
                       "interrupted run; they will be fetched again", released)
    crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store, holder


def _passing_recovery() -> bool:
    faults.reached("recovery")   # called once a document: the 2nd call has settled one
    return False


def _lock(store: StateStore, uri: str, holder: dict) -> None:
    """One crawl at a time per state store: a second run started while the first still
    goes (a cron job overlapping a slow crawl) stops at once with a clear message, before
    it touches anything."""
    other = store.acquire_lock(holder)
    if other is not None:
        store.close()
        raise StateError(f"state store {uri.split('@')[-1]} is in use by another crawl (pid {other.get('pid')} "
                         f"on {other.get('host')}, since {other.get('since')}); wait for it to finish, "
                         f"or give this crawl its own STATE_URI")


def _keep_alive(crawler, store: StateStore, holder: dict) -> None:
    """A heartbeat while the crawl runs: other processes tell a live worker (or lock
    holder) on another machine from a dead one by it."""
    heartbeat = task.LoopingCall(_beat, crawler, store, holder)
    heartbeat.start(LOCK_TTL / 4, now=False)

    def stop():
        if heartbeat.running:
            heartbeat.stop()
        try:
            store.leave(holder)
            store.release_lock(holder)
        except StoreUnavailable:
            pass  # the store is gone: its entries for this worker age out with the heartbeat

    # engine_stopped handlers run in order of connection: this one before store.close
    crawler.signals.connect(stop, signal=signals.engine_stopped)


def _beat(crawler, store: StateStore, holder: dict) -> None:
    try:
        store.heartbeat(holder)
    except StoreUnavailable as exc:
        stop_crawl(crawler, exc)


FEED_ID = re.compile(r'"id":\s*"([0-9a-f]{40})"')
XML_ID = re.compile(rb"<id>([0-9a-f]{40})</id>")
CSV_ID = re.compile(r"([0-9a-f]{40}),")


def ids_in_feeds(feeds: list[str], read=lambda path: Path(path).read_bytes()) -> set[str]:
    """Document ids written in the feeds of the last run, local files or remote objects:
    JSON Lines (a line cut by a kill has its id first, so it still counts: the document is
    there, whole or not), CSV and XML (the `id` field), and Parquet files that were closed
    (one cut by a kill is unreadable, and holds no document)."""
    ids: set[str] = set()
    for where in feeds:
        try:
            ids |= ids_in(read(where))
        except OSError:
            continue
    return ids


def ids_in(data: bytes) -> set[str]:
    if data[:4] == b"PAR1":
        import pyarrow as pa
        import pyarrow.parquet as pq
        try:
            return {v for v in pq.read_table(pa.BufferReader(data), columns=["id"]).column("id").to_pylist() if v}
        except Exception:   # no footer: the kill cut it
            return set()
    if data.lstrip()[:5] in (b"<?xml", b"<item"):
        return {m.decode() for m in XML_ID.findall(data)}
    ids: set[str] = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        m = FEED_ID.search(line[:200]) or CSV_ID.match(line)
        if m:
            ids.add(m.group(1))
    return ids


def read_feed(crawler, where: str) -> bytes:
    """A noted feed as it is now: a local path, or a URI read back through the storage
    Scrapy would write it with (crawler/feedstorage.py). One that cannot be read counts
    as empty: its documents are fetched again (a duplicate is better than a loss)."""
    if "://" not in where or where.startswith("file:"):
        return Path(where.removeprefix("file://")).read_bytes()
    from scrapy.utils.misc import build_from_crawler, load_object
    scheme = urlsplit(where).scheme
    path = crawler.settings.getwithbase("FEED_STORAGES").get(scheme)
    try:
        storage = build_from_crawler(load_object(path), crawler, where, feed_options={})
        return storage.read_back() if hasattr(storage, "read_back") else b""
    except Exception as exc:
        logger.error("state store: cannot read back feed %s to recover (%r); its documents will be "
                     "fetched again", urlsplit(where)._replace(netloc=urlsplit(where).hostname or "").geturl(), exc)
        return b""
