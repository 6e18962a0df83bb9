"""One state store per crawler, shared by the spider and the pipelines."""
import logging
import re

from scrapy import signals

from pipelines.state import StateStore, open_store

logger = logging.getLogger(__name__)


def state_store(crawler) -> StateStore:
    store = getattr(crawler, "state_store", None)
    if store is None:
        store = open_store(crawler.settings.get("STATE_URI"))
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
