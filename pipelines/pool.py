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

No page holds a process longer than CLEANING_PAGE_TIMEOUT seconds: the thread waits for a
result with that deadline, counted from the moment the process starts the page; past it the
process is killed, the page dropped as `cleaning_timeout` and a new process takes over. A
process announces that its steps are built before it is given a deadline, so a process that
cannot start (its steps fail to load, no process can be made) costs no page: the start is
tried again, and after START_TRIES failures in a row the slot cleans in the crawler process.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import replace

from scrapy.settings import Settings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, reactor

from pipelines.drops import Drop, PipelineError, as_drop_item  # noqa: F401 (PipelineError: its old home)
from pipelines.steps import DeltaStats, StepContext, build_steps, replay, run_steps

logger = logging.getLogger(__name__)

PAGES_AHEAD = 1   # pages sent to a cleaning process beyond the one it works on
START_TRIES = 3   # failed starts in a row before a slot cleans in the crawler process
START_TIMEOUT = 120.0   # seconds for a new process to build its steps (imports, models)
READY = "ready"   # what a process sends once its steps are built


class WorkerDied(Drop):
    reason = "worker_died"


class CleaningTimeout(Drop):
    reason = "cleaning_timeout"


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
    conn.send((READY, None, []))
    # A thread takes pages off the pipe as they come, so the crawler's send never waits
    # for a page to finish (and never blocks while this process sends back a large result).
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_read_pages, args=(conn, inbox), daemon=True).start()
    while True:
        raw = inbox.get()
        if raw is None:   # the crawler closed the pipe: time to go
            return
        status, payload = run_steps(steps, pickle.loads(raw))
        conn.send((status, slim(payload) if status == "ok" else payload, stats.take()))


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
    pages went, so the oldest page not answered is the one the process works on: the one a
    dying process held, and the one whose deadline runs; the pages behind it are sent again
    to the process that takes its place.

    Everything that waits (starting a process, a page's result, a process's exit) waits
    in this thread; the reactor only hears the results, and `closed` when the thread ends."""

    def __init__(self, pool: WorkerPool, number: int):
        self.pool, self.number = pool, number
        self.process = self.conn = None
        self.held: deque = deque()   # (page, deferred) sent and not answered, oldest first
        self.ready = False           # the process has built its steps
        self.clock = 0.0             # when the process began its oldest held page (or was spawned)
        self.start_failures = 0      # in a row
        self.local_steps: list | None = None   # once no process can be started
        self.local_stats = DeltaStats()
        self.closed = defer.Deferred()
        self.thread = threading.Thread(target=self.run, name=f"cleaning-{number}", daemon=True)
        self.thread.start()

    def run(self) -> None:
        try:
            self._start()
            self.serve()
        except Exception:   # a bug here must not leave pages unanswered: clean them here
            logger.exception("cleaning process %d: its thread failed; its pages are cleaned in the crawler process",
                             self.number)
            self._kill()
            self._go_local()
            self.serve()
        finally:
            reactor.callFromThread(self.closed.callback, None)

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
                    if not self.held:
                        self.clock = time.monotonic()
                    self.held.append(task)
                    self._send(task[0])
            if not self.held:   # closing, and every page answered
                self._stop_process()
                return
            if self.local_steps is not None:
                page, deferred = self.held.popleft()
                status, payload = run_steps(self.local_steps, page)
                payload = slim(payload) if status == "ok" else payload
                self._answer(deferred, (status, payload, self.local_stats.take()))
            else:
                self._await_result()

    def _await_result(self) -> None:
        """The next message of the process, or what its silence or death means."""
        if self.ready:
            limit = self.pool.page_timeout
        else:
            limit = START_TIMEOUT
        wait = None if limit is None else max(0.0, self.clock + limit - time.monotonic())
        try:
            if not self.conn.poll(wait):
                if self.ready:
                    self._timed_out()
                else:
                    self._start_failed(f"its steps were not ready after {START_TIMEOUT:g} s")
                return
            status, payload, ops = self.conn.recv()
        except (EOFError, OSError) as exc:
            if self.ready:
                self._died(exc)
            else:   # it died building its steps: no page's fault
                self._start_failed(f"it exited with {self._reap()} before it was ready ({exc!r})")
            return
        if status == READY:
            self.ready, self.start_failures, self.clock = True, 0, time.monotonic()
            return
        page, deferred = self.held.popleft()
        self.clock = time.monotonic()   # the process has gone on to the page sent ahead
        self._answer(deferred, (status, payload, ops))

    def _answer(self, deferred: defer.Deferred, result: tuple) -> None:
        reactor.callFromThread(deferred.callback, result)

    def _send(self, page) -> None:
        if self.conn is None:
            return   # cleaned here (local_steps), or sent when the next process starts
        try:
            self.conn.send(page)
        except OSError:
            pass   # the process is gone: the next recv says so, and the page is sent again

    # --- a process's life -----------------------------------------------------------

    def _spawn(self) -> None:
        ours, theirs = self.pool.context.Pipe()
        process = self.pool.context.Process(
            target=_worker_main, args=(theirs, self.pool.settings, self.pool.paths),
            name=f"arabic-news-cleaning-{self.number}", daemon=True)
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # so that our end sees EOF when the process dies
        self.process, self.conn = process, ours
        self.ready, self.clock = False, time.monotonic()

    def _start(self) -> None:
        """A new process, given the pages held; after START_TRIES failed starts in a row,
        none: the slot cleans its pages in the crawler process from then on."""
        while True:
            try:
                self._spawn()
            except Exception as exc:
                if self._count_start_failure(f"it could not be started ({exc!r})"):
                    continue
                return
            for page, _ in self.held:
                self._send(page)
            return

    def _start_failed(self, why: str) -> None:
        self._kill()
        if self._count_start_failure(why):
            self._start()

    def _count_start_failure(self, why: str) -> bool:
        """True: try again. False: the slot has gone local."""
        self.start_failures += 1
        self.pool.notify("cleaning/start_failed")
        logger.error("cleaning process %d: %s (failed start %d of %d)", self.number, why,
                     self.start_failures, START_TRIES)
        if self.start_failures < START_TRIES:
            time.sleep(0.5 * self.start_failures)
            return True
        self._go_local()
        return False

    def _go_local(self) -> None:
        self.process = self.conn = None
        logger.error("cleaning process %d: no process could be started; its pages are cleaned in the crawler "
                     "process, without CLEANING_PAGE_TIMEOUT", self.number)
        self.pool.notify("cleaning/local_slots")
        self.local_steps = build_steps(self.pool.paths, StepContext(Settings(self.pool.settings), self.local_stats))

    def _timed_out(self) -> None:
        page, deferred = self.held.popleft()
        timeout = self.pool.page_timeout
        logger.warning("cleaning_timeout: cleaning %s took more than %g s (CLEANING_PAGE_TIMEOUT); "
                       "its process %d is replaced", page.fetched_url, timeout, self.number)
        self._kill()
        self._answer(deferred, ("drop", CleaningTimeout(f"its steps ran longer than {timeout:g} s",
                                                        page.fetched_url), []))
        self._start()

    def _died(self, exc: Exception) -> None:
        page, deferred = self.held.popleft()
        code = self._reap()
        logger.error("cleaning process %d died (exit code %s) on %s; starting another",
                     self.number, code, page.fetched_url)
        self._answer(deferred, ("drop", WorkerDied(f"cleaning process exited with {code} ({exc!r})",
                                                   page.fetched_url), []))
        if self.held:
            logger.info("cleaning process %d: %d page(s) sent ahead go to its successor", self.number, len(self.held))
        self._start()

    def _reap(self) -> int | None:
        if self.conn is not None:
            self.conn.close()
        self.process.join(timeout=5)
        return self.process.exitcode

    def _kill(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
            self.process = None

    def _stop_process(self) -> None:
        """Closing the pipe tells the process to go; one that does not is killed."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            self.process.join(timeout=10)
            self._kill()


@contextmanager
def import_path_for_forkserver():
    """Python 3.11's forkserver imports its preload modules from its own default path, not
    the crawler's `sys.path` (it is handed over and left unused). Under Scrapyd the project
    is an egg on the crawler's path only: the cleaning processes would import another
    installed copy of the project (a worker then dies on a module only the egg has), or
    none. The forkserver inherits the environment, so it is given the path there."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


class WorkerPool:
    def __init__(self, size: int, settings: dict, paths: list[str], page_timeout: float | None = None,
                 notify=lambda key: None):
        # forkserver: workers are started from a clean process, never forked from the
        # crawler's threads and open sockets.
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["pipelines.pool", *{p.rsplit(".", 1)[0] for p in paths}])
        self.settings, self.paths = settings, paths
        self.page_timeout = page_timeout
        self.notify = notify   # counts an event in the crawler's stats (from any thread)
        self.tasks: queue.Queue = queue.Queue()
        with import_path_for_forkserver():   # the first process started starts the forkserver
            self.slots = [_Slot(self, n) for n in range(size)]

    def submit(self, page) -> defer.Deferred:
        deferred = defer.Deferred()
        self.tasks.put((page, deferred))
        return deferred

    def close(self) -> defer.Deferred:
        """Fires once every slot has answered its pages and let its process go; nothing
        here waits, so the reactor goes on (a page still running has its deadline)."""
        for _ in self.slots:
            self.tasks.put(None)
        return defer.DeferredList([slot.closed for slot in self.slots])


# --- Scrapy item pipeline ---------------------------------------------------------------

def page_timeout(settings) -> float | None:
    """CLEANING_PAGE_TIMEOUT in seconds; 0 or less: no bound."""
    seconds = settings.getfloat("CLEANING_PAGE_TIMEOUT", 60.0)
    return seconds if seconds > 0 else None


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
            stats = self.crawler.stats
            self.pool = WorkerPool(self.processes, settings, self.paths, page_timeout(self.crawler.settings),
                                   notify=lambda key: reactor.callFromThread(stats.inc_value, key))
            stats.set_value("cleaning/processes", self.processes)

    async def close_spider(self, spider=None):
        if self.pool:
            await maybe_deferred_to_future(self.pool.close())

    async def process_item(self, page):
        if self.pool:
            status, payload, ops = await maybe_deferred_to_future(self.pool.submit(page))
        else:
            status, payload = run_steps(self.steps, page)
            payload = slim(payload) if status == "ok" else payload
            ops = self.local_stats.take()
        replay(ops, self.crawler.stats)
        if status == "drop":
            raise as_drop_item(payload)
        return payload


def _picklable(value) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True
