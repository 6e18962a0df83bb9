"""One state store per crawl, shared by the spider, the middlewares, the pipelines and the
feeds: a Scrapy extension (`StateStoreExtension`, in EXTENSIONS) that opens it on first use,
takes the run's lock, keeps its heartbeat, and stops the crawl if it stops answering.
Components reach it with `state_store(crawler)`, or, under pipelines/ (which never import
this package), with `crawler.get_extension(pipelines.state.StoreKeeper)`."""
import logging
import os
import re
import socket

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.pages import now_iso
from pipelines.state import (  # noqa: F401 (stop_crawl: re-exported for the crawler's modules)
    LOCK_TTL, StateError, StateStore, StoreKeeper, StoreUnavailable, open_store, stop_crawl, store_lost,
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
    uri = crawler.settings.get("STATE_URI")
    store = open_store(uri)
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "since": now_iso()}
    # A store shared by workers (Redis) is meant to be crawled by several processes at
    # once; one on a single machine (SQLite) takes the run lock.
    if not store.shared and crawler.settings.getbool("STATE_LOCK", True) and ":memory:" not in uri:
        _lock(store, uri, holder)
    store.join(holder)
    _keep_alive(crawler, store, holder)
    exported = ids_in_feeds(store.feeds())
    released = store.recover(lambda doc_id: doc_id in exported)
    store.forget_feeds()
    if released:
        crawler.stats.set_value("state/recovered", released)
        logger.warning("state store: %d documents were claimed but never exported by an "
                       "interrupted run; they will be fetched again", released)
    crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store, holder


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


def ids_in_feeds(paths: list[str]) -> set[str]:
    """Document ids written in the local JSON Lines feeds of the last run (a line cut by a
    kill has its id first, so it still counts: the document is there, whole or not)."""
    ids: set[str] = set()
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as feed:
                for line in feed:
                    m = FEED_ID.search(line[:200])
                    if m:
                        ids.add(m.group(1))
        except OSError:
            continue
    return ids
