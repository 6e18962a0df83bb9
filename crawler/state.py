"""One state store per crawler, shared by the spider and the pipelines."""
import logging
import os
import re
import socket

from scrapy import signals
from twisted.internet import task

from crawler.pages import now_iso
from pipelines.state import LOCK_TTL, StateError, StateStore, open_store

logger = logging.getLogger(__name__)


def state_store(crawler) -> StateStore:
    store = getattr(crawler, "state_store", None)
    if store is None:
        uri = crawler.settings.get("STATE_URI")
        store = open_store(uri)
        if crawler.settings.getbool("STATE_LOCK", True) and ":memory:" not in uri:
            _lock(crawler, store, uri)
        exported = ids_in_feeds(store.feeds())
        released = store.recover(lambda doc_id: doc_id in exported)
        store.forget_feeds()
        if released:
            crawler.stats.set_value("state/recovered", released)
            logger.warning("state store: %d documents were claimed but never exported by an "
                           "interrupted run; they will be fetched again", released)
        crawler.state_store = store
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store


def _lock(crawler, store: StateStore, uri: str) -> None:
    """One crawl at a time per state store: a second run started while the first still
    goes (a cron job overlapping a slow crawl) stops at once with a clear message, before
    it touches anything."""
    holder = {"host": socket.gethostname(), "pid": os.getpid(), "since": now_iso()}
    other = store.acquire_lock(holder)
    if other is not None:
        store.close()
        raise StateError(f"state store {uri.split('@')[-1]} is in use by another crawl (pid {other.get('pid')} "
                         f"on {other.get('host')}, since {other.get('since')}); wait for it to finish, "
                         f"or give this crawl its own STATE_URI")
    heartbeat = task.LoopingCall(store.refresh_lock, holder)
    heartbeat.start(LOCK_TTL / 4, now=False)

    def release():
        if heartbeat.running:
            heartbeat.stop()
        store.release_lock(holder)

    crawler.signals.connect(release, signal=signals.engine_stopped)


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
