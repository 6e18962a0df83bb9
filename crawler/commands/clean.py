"""`scrapy clean PATH... -o FILE`: the crawl's pipelines over saved HTML pages and WARC archives.

`scrapy clean --explain DIR PATH...` reads the pages the same way (file:// handler, encoding
detection, WARC replay), so what it shows is what a clean does to them; only the pipelines
differ: the cleaning steps run in this process, without dedupe, and record every cut into an
HTML report in DIR (pipelines/explain.py) instead of writing documents.
"""
from __future__ import annotations

import logging
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.extensions.docstats import count_drop
from crawler.pages import apply_default_feed, page_from_response
from crawler.warc import WarcRecordError, index_responses, is_warc, load_response

logger = logging.getLogger(__name__)

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in HTML_SUFFIXES or is_warc(path)


def html_files(paths: list[str]) -> list[Path]:
    """The HTML and WARC files named, and those under the folders named, in a stable order."""
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _wanted(p) and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {arg}", print_help=False)
    return found


class WarcReplayMiddleware:
    """Answers a request from the archive record it names (`meta["warc"] = (path, offset)`),
    so an archived response takes a crawled page's path from here on: the downloader
    middlewares' process_response (HttpCompressionMiddleware decodes the body), the
    spider, the pipelines. It runs first, so nothing after it (the private-network guard,
    a download handler) sees the request: an archived page is never fetched again."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        where = request.meta.get("warc")
        if where is None:
            return None   # a saved HTML file, through the file:// handler
        path, offset = where
        try:
            return load_response(path, offset, request, self.maxsize)
        except WarcRecordError as exc:
            logger.warning("WARC: %s <%s>: %s", exc.reason, request.url, exc)
            count_drop(self.crawler, exc.reason, request.url, str(exc))
            raise IgnoreRequest(str(exc)) from exc


class OneAtATime:
    """Archived pages go through the pipelines one at a time, in archive order. Dedupe keeps
    the first of two copies it sees: the crawl saw them in the order it downloaded them,
    which is the archive's order, so the same copy is kept. Many at a time, extraction
    threads finish in any order and the other copy may win.

    A page is done when the pipelines have kept, dropped or failed it, or when it never
    reached them (errback, an error in the callback, no page from the response)."""

    def __init__(self, crawler):
        self.seq = 0
        self._done: Deferred | None = None
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error, signals.spider_error):
            crawler.signals.connect(self._response_done, signal=signal)
        crawler.signals.connect(self._request_done, signal=signals.request_dropped)
        crawler.signals.connect(self._release, signal=signals.spider_closed)

    async def next(self) -> int:
        """Waits for the page before; returns the number of the next one."""
        if self._done is not None and not self._done.called:
            await maybe_deferred_to_future(self._done)
        self.seq += 1
        self._done = Deferred()
        return self.seq

    def done(self, meta) -> None:
        if meta.get("warc_seq") == self.seq:
            self._release()

    def _release(self, *args, **kwargs) -> None:
        if self._done is not None and not self._done.called:
            self._done.callback(None)

    def _response_done(self, response=None, **kwargs) -> None:
        if response is not None:
            self.done(response.meta)

    def _request_done(self, request, **kwargs) -> None:
        self.done(request.meta)


class CleanSpider(scrapy.Spider):
    """Reads local files through Scrapy's file:// handler, and archived responses through
    WarcReplayMiddleware, so the pages take exactly the path a crawled page takes: same
    encoding detection, same pipelines, same stats."""

    name = "clean"
    custom_settings = {
        # Local files: no throttling (it never adapts for file://), no robots, no politeness.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": 16,
        # Each clean stands alone unless -s STATE_URI=... asks to share a crawl's state.
        "STATE_URI": "sqlite:///:memory:",
        "SKIP_SEEN_ARTICLES": False,
    }

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_default_feed(settings)
        # Before every other downloader middleware (the first is at 50); at spider priority,
        # as the runner merges the project's settings into the crawler again at its own.
        settings.set("DOWNLOADER_MIDDLEWARES", {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                                WarcReplayMiddleware: 10}, priority="spider")

    def __init__(self, files: list[Path] | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.files = files or []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.in_order = OneAtATime(crawler)
        return spider

    async def start(self):
        for path in self.files:
            if is_warc(path):
                async for request in self._archived(path):
                    yield request
            else:
                yield scrapy.Request(path.resolve().as_uri(), self.parse_page, dont_filter=True)

    async def _archived(self, path: Path):
        """A request per HTML response record, found as the archive is read, one at a
        time: a 1 GB archive is never held in memory."""
        stats = self.crawler.stats
        for entry in index_responses(path):
            if entry.skip == "corrupt":
                logger.warning("WARC: %s is unreadable from offset %d: %s", path, entry.offset, entry.detail)
                count_drop(self.crawler, "warc_corrupt", str(path), entry.detail)
            elif entry.skip == "truncated":
                logger.warning("WARC: record of %s is cut off (%s)", entry.url, entry.detail)
                count_drop(self.crawler, "warc_truncated", entry.url, entry.detail)
            elif entry.skip:
                stats.inc_value(f"warc/skipped_{entry.skip}")
            else:
                stats.inc_value("warc/responses")
                seq = await self.in_order.next()
                # dont_redirect: a meta refresh must not lead cleaning out to the web
                yield scrapy.Request(entry.url, self.parse_page, errback=self.on_error, dont_filter=True,
                                     meta={"warc": (str(path), entry.offset), "warc_seq": seq,
                                           "warc_date": entry.date, "dont_redirect": True})

    def parse_page(self, response):
        page = page_from_response(self.crawler, response)
        if page is None:
            self.in_order.done(response.meta)
            return
        if "warc_date" in response.meta:
            # From an archive, the page was crawled when the archive says, not now.
            page.crawled_at = response.meta["warc_date"] or page.crawled_at
        yield page

    def on_error(self, failure):
        # Already logged and counted where it failed (WarcReplayMiddleware, HttpCompressionMiddleware).
        self.in_order.done(failure.request.meta)


class Command(BaseRunSpiderCommand):
    requires_project = True

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--explain", metavar="DIR",
                            help="write an HTML report of every block the cleaner kept or removed, "
                                 "and why, to DIR (DIR/index.html), instead of documents")
        queue = parser.add_argument_group("backfill queue")
        queue.add_argument("--queue", metavar="REDIS_URL",
                           help="a Redis work queue of files shared by many workers (docs/backfill.md); "
                                "with --enqueue or --enqueue-list, add files to it; with --status, show it; "
                                "alone, work on it, cleaning its files until it is empty")
        queue.add_argument("--enqueue", action="store_true",
                           help="queue the PATHs (local files, s3:// or http(s):// URLs), one job each")
        queue.add_argument("--enqueue-list", metavar="FILE", action="append", default=[],
                           help="queue every file named in FILE, one a line (e.g. a Common Crawl warc.paths)")
        queue.add_argument("--base-url", metavar="URL",
                           help="prefix for the relative lines of --enqueue-list "
                                "(e.g. https://data.commoncrawl.org/)")
        queue.add_argument("--status", action="store_true",
                           help="print the queue's files queued, in progress, done and failed, and each "
                                "worker's files and pages/s")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        if opts.queue:
            self._queue_options(opts)
        elif opts.enqueue or opts.enqueue_list or opts.status:
            raise UsageError("--enqueue, --enqueue-list and --status need --queue redis://HOST:PORT/DB",
                             print_help=False)
        if not opts.explain:
            return
        if opts.queue:
            raise UsageError("--explain does not go with --queue", print_help=False)
        if opts.output or opts.overwrite_output:
            raise UsageError("--explain writes a report, not documents: leave out -o/-O", print_help=False)
        self.settings.set("EXPLAIN_DIR", opts.explain, priority="cmdline")
        self.settings.set("ITEM_PIPELINES", {"pipelines.explain.ExplainPipeline": 100}, priority="cmdline")
        self.settings.set("DEFAULT_FEED_URI", "", priority="cmdline")

    def _queue_options(self, opts):
        from urllib.parse import urlsplit

        from scrapy.settings import SETTINGS_PRIORITIES
        if urlsplit(opts.queue).scheme not in ("redis", "rediss", "unix"):
            raise UsageError(f"--queue takes a Redis URL (redis://HOST:PORT/DB), not {opts.queue!r}",
                             print_help=False)
        # No crawl in this process: the queue commands need none, and a worker's crawls run
        # in its work horses, each a fork that must install its own reactor.
        self.requires_crawler_process = False
        if opts.enqueue or opts.enqueue_list or opts.status:
            return
        if opts.overwrite_output:
            raise UsageError("a queue worker runs one crawl per file: -O would overwrite each file's documents "
                             "with the next one's; use -o, which appends", print_help=False)
        for uri in self.settings.getdict("FEEDS"):
            if urlsplit(str(uri)).scheme not in ("", "file") and "%(" not in str(uri):
                raise UsageError(f"feed {uri}: each file's crawl stores its own object; name it with a "
                                 f"placeholder, e.g. %(backfill_job)s or %(batch_time)s", print_help=False)
        # Workers share the state store, or near-duplicates across them go unnoticed and a
        # killed worker's documents cannot be recovered by another: the queue's Redis by default.
        if self.settings.getpriority("STATE_URI") >= SETTINGS_PRIORITIES["cmdline"]:   # given with -s
            state = self.settings.get("STATE_URI")
            if urlsplit(state).scheme not in ("redis", "rediss", "unix"):
                raise UsageError(f"STATE_URI {state.split('@')[-1]} is not shared by the queue's workers; "
                                 f"leave it out (the queue's Redis is used) or give a redis:// one",
                                 print_help=False)
        else:
            self.settings.set("STATE_URI", opts.queue, priority="cmdline")

    def syntax(self):
        return ("[options] PATH [PATH ...]   (or: --explain DIR PATH [PATH ...]; "
                "--queue REDIS_URL [--enqueue PATH ... | --enqueue-list FILE | --status])")

    def short_desc(self):
        return "Clean saved HTML pages and WARC archives (files or folders) with the crawl's pipelines"

    def run(self, args, opts):
        if opts.queue:
            self._run_queue(args, opts)
            return
        if not args:
            raise UsageError("give at least one HTML or WARC file, or a folder")
        files = html_files(args)
        if not files:
            raise UsageError(f"no .html/.htm/.warc/.warc.gz files under {' '.join(args)}", print_help=False)
        crawler = self._create_crawler(CleanSpider)
        self.crawler_process.crawl(crawler, files=files, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif opts.explain:
            index = Path(opts.explain) / "index.html"
            if index.exists():
                print(f"explain report: {index.resolve()}")
            else:
                self.exitcode = 1

    def _run_queue(self, args, opts):
        from crawler import backfill
        connection = backfill.connect(opts.queue)
        if opts.enqueue or opts.enqueue_list:
            lines = list(args)
            for name in opts.enqueue_list:
                try:
                    lines += backfill.read_list(Path(name))
                except OSError as exc:
                    raise UsageError(f"cannot read --enqueue-list {name}: {exc}", print_help=False)
            sources = [s for s in (backfill.source_of(line, opts.base_url) for line in lines) if s]
            if not sources:
                raise UsageError("nothing to enqueue: give files or URLs, or a non-empty --enqueue-list",
                                 print_help=False)
            done = backfill.enqueue(connection, sources, self.settings)
            print(f"queued {done.queued} files on {self.settings.get('BACKFILL_QUEUE', backfill.QUEUE_NAME)}"
                  f" ({done.already} already queued or done, {done.requeued} failed ones queued again)")
            return
        if args:
            raise UsageError("a queue worker takes its files from the queue: give PATHs with --enqueue",
                             print_help=False)
        if opts.status:
            print(backfill.format_status(backfill.status(connection, self.settings)))
            return
        from scrapy.utils.log import configure_logging
        configure_logging(self.settings)
        totals = backfill.run_worker(self.settings, opts.queue)
        if totals["files_failed"]:   # given up on: cron and scripts see it, as with a failed crawl check
            self.exitcode = 1
