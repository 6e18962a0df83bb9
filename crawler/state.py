"""One state store per crawler, shared by the spider and the pipelines."""
from scrapy import signals

from pipelines.state import StateStore, open_store


def state_store(crawler) -> StateStore:
    store = getattr(crawler, "state_store", None)
    if store is None:
        store = open_store(crawler.settings.get("STATE_URI"))
        crawler.state_store = store
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
    return store
