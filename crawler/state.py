"""One state store per crawler, shared by the spider and the pipelines."""
import logging

from scrapy import signals

from pipelines.state import StateStore, open_store

logger = logging.getLogger(__name__)


def state_store(crawler) -> StateStore:
    store = getattr(crawler, "state_store", None)
    if store is None:
        store = open_store(crawler.settings.get("STATE_URI"))
        released = store.recover()
        if released:
            crawler.stats.set_value("state/recovered", released)
            logger.warning("state store: %d documents were claimed but never exported by an "
                           "interrupted run; they will be fetched again", released)
        crawler.state_store = store
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store
