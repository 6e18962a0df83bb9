"""The cleaning steps (extract, boilerplate, normalise, language, quality, MinHash) in a pool
of worker processes, so that fetching and cleaning overlap and every core works.

Extraction is ~12 ms of CPU per page; on the reactor thread (or in a thread, under the GIL)
it holds up the downloads and leaves the other cores idle. `CleaningPipeline` sends each
page to one of CLEANING_PROCESSES long-lived processes (default: one per core), each
running the steps named in CLEANING_STEPS, and gets back the cleaned page or the reason it
was dropped, plus the stats the steps counted. With CLEANING_PROCESSES=0 the same steps run
in the crawler process itself (the path the pool is tested against).

Each worker process is served by a thread of the crawler that keeps it one page ahead and
gets its results back in order, so the page a process works on is always known: if the
process dies (a crash in lxml, the OOM killer), that page is dropped as `worker_died`, a
new process takes its place, and the page sent ahead goes to the new one.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import threading
from collections import deque
from dataclasses import replace

from scrapy.settings import BaseSettings, Settings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet import defer, reactor

from pipelines.drops import Drop

logger = logging.getLogger(__name__)

PAGES_AHEAD = 1   # pages sent to a cleaning process beyond the one it works on


class WorkerDied(Drop):
    reason = "worker_died"


class PipelineError(Drop):
    """A step failed on a page with an exception that is not a drop (a bug): counted under
    the exception's name, as the crawler counts pipeline errors, and logged with it."""

    def __init__(self, detail: str = "", url: str | None = None, log_level: str = "ERROR",
                 exception: str = "Exception"):
        self.reason = f"pipeline_error_{exception}"
        self.exception = exception
        super().__init__(detail, url, log_level)

    def __reduce__(self):
        return (PipelineError, (self.detail, self.url, "ERROR", self.exception))


class DeltaStats:
    """What the steps count in a worker process, replayed on the crawler's stats."""

    def __init__(self):
        self.ops: list[tuple[str, str, object]] = []

    def inc_value(self, key, count=1, start=0, spider=None):
        self.ops.append(("inc_value", key, count))

    def set_value(self, key, value, spider=None):
        self.ops.append(("set_value", key, value))

    def max_value(self, key, value, spider=None):
        self.ops.append(("max_value", key, value))

    def min_value(self, key, value, spider=None):
        self.ops.append(("min_value", key, value))

    def take(self) -> list:
        ops, self.ops = self.ops, []
        return ops


def replay(ops: list, stats) -> None:
    for method, key, value in ops:
        getattr(stats, method)(key, value)


class StepContext:
    """What a step's from_crawler reads in a worker process: settings and stats."""

    def __init__(self, settings: BaseSettings, stats: DeltaStats):
        self.settings = settings
        self.stats = stats


def build_steps(paths: list[str], context: StepContext) -> list:
    steps = []
    for path in paths:
        cls = load_object(path)
        steps.append(cls.from_crawler(context) if hasattr(cls, "from_crawler") else cls())
    return steps


def run_steps(steps: list, page):
    """The page through every step: ("ok", page) or ("drop", the Drop)."""
    try:
        for step in steps:
            page = step.process_item(page)
    except Drop as drop:
        return "drop", drop
    except Exception as exc:  # a bug on one page must not take the worker down
        logger.exception("cleaning failed on %s", getattr(page, "fetched_url", "?"))
        return "drop", PipelineError(repr(exc), getattr(page, "fetched_url", None), exception=type(exc).__name__)
    return "ok", slim(page)


def slim(page):
    """Only what the steps after the pool read travels back (not the page's HTML, its
    link texts or its raw paragraphs)."""
    page.html = None
    page.decisions = []
    if page.extracted is not None:
        page.extracted = replace(page.extracted, paragraphs=[], link_keys=frozenset(), tag_links=[])
    return page


# --- the worker process ---------------------------------------------------------------

def _worker_main(conn, settings: dict, paths: list[str]) -> None:
    stats = DeltaStats()
    steps = build_steps(paths, StepContext(Settings(settings), stats))
    # A thread takes pages off the pipe as they come, so the crawler's send never waits
    # for a page to finish (and never blocks while this process sends back a large result).
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_read_pages, args=(conn, inbox), daemon=True).start()
    while True:
        raw = inbox.get()
        if raw is None:   # the crawler closed the pipe: time to go
            return
        status, payload = run_steps(steps, pickle.loads(raw))
        conn.send((status, payload, stats.take()))


def _read_pages(conn, inbox: queue.Queue) -> None:
    while True:
        try:
            inbox.put(conn.recv_bytes())
        except (EOFError, OSError):
            inbox.put(None)
            return


class _Slot:
    """One worker process and the crawler thread that feeds it.

    The thread keeps PAGES_AHEAD pages sent beyond the one the process works on, so that
    the process starts its next page at once instead of waiting for this thread to get the
    GIL back (~3 ms a page, 11% of a process's time). Results come back in the order the
    pages went, so the oldest page not answered is the one a dying process held; the pages
    behind it are sent again to the process that takes its place."""

    def __init__(self, pool: WorkerPool, number: int):
        self.pool, self.number = pool, number
        self.process = self.conn = None
        self.held: deque = deque()   # (page, deferred) sent and not answered, oldest first
        self.start_process()
        self.thread = threading.Thread(target=self.serve, name=f"cleaning-{number}", daemon=True)
        self.thread.start()

    def start_process(self) -> None:
        ours, theirs = self.pool.context.Pipe()
        self.process = self.pool.context.Process(
            target=_worker_main, args=(theirs, self.pool.settings, self.pool.paths),
            name=f"arabic-news-cleaning-{self.number}", daemon=True)
        self.process.start()
        theirs.close()  # so that our end sees EOF when the process dies
        self.conn = ours

    def serve(self) -> None:
        closing = False
        while True:
            while not closing and len(self.held) <= PAGES_AHEAD:
                # a page sent ahead waits behind another: only when there is one for every slot
                if self.held and self.pool.tasks.qsize() < len(self.pool.slots):
                    break
                try:
                    task = self.pool.tasks.get(block=not self.held)
                except queue.Empty:
                    break
                if task is None:
                    closing = True
                else:
                    self.held.append(task)
                    self._send(task[0])
            if not self.held:   # closing, and every page answered
                self.conn.close()
                self.process.join(timeout=10)
                return
            try:
                result = self.conn.recv()
                page, deferred = self.held.popleft()
            except (EOFError, OSError) as exc:
                page, deferred = self.held.popleft()
                result = ("drop", self._replace_process(page, exc), [])
            reactor.callFromThread(deferred.callback, result)

    def _send(self, page) -> None:
        try:
            self.conn.send(page)
        except OSError:
            pass   # the process is gone: the next recv says so, and the page is sent again

    def _replace_process(self, page, exc: Exception) -> WorkerDied:
        self.process.join(timeout=5)
        code = self.process.exitcode
        logger.error("cleaning process %d died (exit code %s) on %s; starting another",
                     self.number, code, page.fetched_url)
        self.start_process()
        if self.held:
            logger.info("cleaning process %d: %d page(s) sent ahead go to its successor", self.number, len(self.held))
        for waiting, _ in self.held:
            self._send(waiting)
        return WorkerDied(f"cleaning process exited with {code} ({exc!r})", page.fetched_url)


class WorkerPool:
    def __init__(self, size: int, settings: dict, paths: list[str]):
        # forkserver: workers are started from a clean process, never forked from the
        # crawler's threads and open sockets.
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["pipelines.pool", *{p.rsplit(".", 1)[0] for p in paths}])
        self.settings, self.paths = settings, paths
        self.tasks: queue.Queue = queue.Queue()
        self.slots = [_Slot(self, n) for n in range(size)]

    def submit(self, page) -> defer.Deferred:
        deferred = defer.Deferred()
        self.tasks.put((page, deferred))
        return deferred

    def close(self) -> None:
        for _ in self.slots:
            self.tasks.put(None)
        for slot in self.slots:
            slot.thread.join(timeout=15)


# --- Scrapy item pipeline ---------------------------------------------------------------

def pool_size(settings) -> int:
    size = settings.get("CLEANING_PROCESSES")
    if size in (None, "", "auto"):
        return os.cpu_count() or 1
    return int(size)


class CleaningPipeline:
    def __init__(self, crawler, paths: list[str], processes: int):
        self.crawler = crawler
        self.paths = paths
        self.processes = processes
        self.pool: WorkerPool | None = None
        self.local_stats = DeltaStats()
        if not processes:   # in-process: the same steps, on the crawler's thread
            self.steps = build_steps(paths, StepContext(crawler.settings, self.local_stats))

    @classmethod
    def from_crawler(cls, crawler):
        paths = crawler.settings.getlist("CLEANING_STEPS")
        return cls(crawler, paths, pool_size(crawler.settings))

    def open_spider(self, spider=None):
        if self.processes:
            settings = {k: v for k, v in self.crawler.settings.copy_to_dict().items() if _picklable(v)}
            self.pool = WorkerPool(self.processes, settings, self.paths)
            self.crawler.stats.set_value("cleaning/processes", self.processes)

    def close_spider(self, spider=None):
        if self.pool:
            self.pool.close()

    async def process_item(self, page):
        if self.pool:
            status, payload, ops = await maybe_deferred_to_future(self.pool.submit(page))
        else:
            status, payload = run_steps(self.steps, page)
            ops = self.local_stats.take()
        replay(ops, self.crawler.stats)
        if status == "drop":
            raise payload
        return payload


def _picklable(value) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True
