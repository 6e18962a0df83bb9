"""Many machines: with STATE_URI=redis://..., every `scrapy crawl news` process joins one crawl.

scrapy-redis shares the request queue and the request dupefilter through the same Redis
that holds the state store, so the processes split the work and no page is requested
twice. Two things scrapy-redis leaves to its users are settled here (docs/development.md):

- When a crawl starts and ends. The dupefilter must last one crawl, not forever: kept,
  an hourly run would find its sitemaps "already seen". A worker that starts while no
  live worker is in the crawl starts a new crawl (a new dupefilter key, an empty queue);
  otherwise it joins the running one.
- When a worker stops. Its own idleness is not enough (another worker may be about to
  push links): it stops when the shared queue has stayed empty, and every other worker
  idle, for WORKER_IDLE_TIMEOUT s. Busy workers say so in Redis every few seconds.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlparse

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.dupefilter import RedirectLoopCounting
from crawler.state import keeper, state_store
from pipelines.state import StoreUnavailable, owner_of, stop_crawl

logger = logging.getLogger(__name__)

SHARED_SCHEMES = ("redis", "rediss", "unix")
PREFIX = "arabic-news:"   # the state store's own key prefix (pipelines/state_redis.py)
BUSY_EVERY = 2.0          # seconds between a busy worker's announcements
BUSY_FRESH = 3 * BUSY_EVERY


def apply_shared_scheduler(settings) -> None:
    """From the spider's update_settings: a Redis STATE_URI shares the scheduler too
    (SHARE_SCHEDULER=False keeps each process's queue its own)."""
    uri = settings.get("STATE_URI") or ""
    if urlparse(uri).scheme not in SHARED_SCHEMES or not settings.getbool("SHARE_SCHEDULER", True):
        return
    for name, value in {
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.SharedDupeFilter",
        "REDIS_URL": uri,
        # Never delete the shared queue when one worker stops: the others still use it.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": PREFIX + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": PREFIX + "%(spider)s:dupefilter",
    }.items():
        settings.set(name, value, priority="spider")


class SharedDupeFilter(RedirectLoopCounting, RFPDupeFilter):
    """scrapy-redis's dupefilter, counting redirect loops like the single-process one."""

    @classmethod
    def from_spider(cls, spider):
        dupefilter = super().from_spider(spider)
        dupefilter.crawler = spider.crawler
        return dupefilter


class SharedScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.idle_timeout = crawler.settings.getfloat("WORKER_IDLE_TIMEOUT", 30)
        scheduler.last_busy = time.monotonic()
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        super().open(spider)
        state_store(self.crawler)  # joins the store's live workers, if the pipelines have not yet
        self.owner = owner_of(keeper(self.crawler).holder)
        with self.server.lock(PREFIX + "crawl:lock", timeout=30, blocking_timeout=30):
            members = self._live_members()
            generation = self.server.get(PREFIX + "crawl:generation")
            if generation is None or not members:
                # No live worker: a new crawl. What a crashed crawl left (its queue, its
                # fingerprints, which include requests it lost in flight) is dropped: the
                # seeds find every article again, and the state store skips the stored ones.
                if len(self.queue):
                    logger.info("dropping %d requests left by a crawl that stopped without finishing",
                                len(self.queue))
                    self.queue.clear()
                generation = self.server.incr(PREFIX + "crawl:generation")
                self.server.delete(self.df.key + f":{int(generation) - 1}")
                logger.info("starting crawl %s of the shared queue", int(generation))
            else:
                logger.info("joining crawl %s (%d other workers, %d requests queued)",
                            int(generation), len(members), len(self.queue))
            self.server.sadd(PREFIX + "crawl:workers", self.owner)
        self.df.key = self.df.key + f":{int(generation)}"
        self.busy_loop = task.LoopingCall(self._announce_busy)
        self.busy_loop.start(BUSY_EVERY, now=False)

    def _live_members(self) -> set[str]:
        """The other workers of the current crawl that still answer (a killed one is dropped)."""
        live = {owner_of(h) for h in state_store(self.crawler).live_workers()}
        members = {m.decode() for m in self.server.smembers(PREFIX + "crawl:workers")}
        gone = members - live
        if gone:
            self.server.srem(PREFIX + "crawl:workers", *gone)
        return (members & live) - {self.owner}

    def close(self, reason):
        if self.busy_loop.running:
            self.busy_loop.stop()
        try:
            with self.server.lock(PREFIX + "crawl:lock", timeout=30, blocking_timeout=30):
                self.server.srem(PREFIX + "crawl:workers", self.owner)
                self.server.hdel(PREFIX + "crawl:busy", self.owner)
                if not self._live_members() and not len(self.queue):
                    self.server.delete(self.df.key)   # the crawl is over: its fingerprints go
        except RedisError as exc:  # Redis gone: the next crawl's first worker cleans up
            logger.warning("could not leave the shared crawl cleanly: %s", exc)
        return super().close(reason)

    # Redis gone mid-crawl: stop the crawl as the state store does (the pages in flight are
    # left unclaimed, so the next run fetches them), instead of an unhandled error per call.

    def _lost(self, exc: Exception):
        stop_crawl(self.crawler, StoreUnavailable(f"the shared queue stopped answering: {exc}"))

    def enqueue_request(self, request):
        self.last_busy = time.monotonic()
        try:
            return super().enqueue_request(request)
        except RedisError as exc:
            self._lost(exc)
            return False

    def next_request(self):
        try:
            request = super().next_request()
        except RedisError as exc:
            self._lost(exc)
            return None
        if request is not None:
            self.last_busy = time.monotonic()
        return request

    def has_pending_requests(self):
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            self._lost(exc)
            return False

    def _announce_busy(self) -> None:
        """Every few seconds while this worker fetches or cleans: the others wait for it, since
        the page in its hands may still add links to the shared queue."""
        try:
            if not self.crawler.engine.spider_is_idle():
                self.server.hset(PREFIX + "crawl:busy", self.owner, time.time())
        except RedisError as exc:
            self._lost(exc)
        except RuntimeError:
            pass   # the engine is closing

    def _others_busy(self) -> bool:
        now = time.time()
        busy = self.server.hgetall(PREFIX + "crawl:busy")
        return any(owner.decode() != self.owner and now - float(at) < BUSY_FRESH
                   for owner, at in busy.items())

    def spider_idle(self, spider):
        """This worker has nothing to do. Stop only once the shared queue has been empty and
        every other worker idle for the idle timeout: until then one may still push links."""
        if keeper(self.crawler).lost:
            return
        try:
            if self.has_pending_requests() or self._others_busy():
                self.last_busy = time.monotonic()
        except RedisError as exc:
            self._lost(exc)
            return
        if time.monotonic() - self.last_busy < self.idle_timeout:
            raise DontCloseSpider
        logger.info("the shared queue has been empty and every worker idle for %.0f s: this worker stops",
                    self.idle_timeout)
