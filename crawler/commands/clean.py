"""`scrapy clean PATH... -o FILE`: the crawl's pipelines over saved HTML pages and WARC archives.

`scrapy clean --explain DIR PATH...` reads the pages the same way (encoding detection, WARC
records decoded as a crawl decodes them), so what it shows is what a clean does to them; only the pipelines
differ: the cleaning steps run in this process, without dedupe, and record every cut into an
HTML report in DIR (pipelines/explain.py) instead of writing documents.
"""
from __future__ import annotations

import logging
from pathlib import Path

import scrapy
from scrapy import Request
from scrapy.commands import BaseRunSpiderCommand
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import NotConfigured, UsageError
from scrapy.responsetypes import responsetypes

from crawler.extensions.docstats import count_drop, count_page
from crawler.pages import apply_default_feed, page_from_response
from crawler.warc import is_warc, read_responses
from pipelines.order import ReorderBuffer

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


# How `scrapy clean` counts what it does not clean: a drop (a page lost) or a skip (a
# record a crawl's callbacks would never have seen: an error status, not HTML).
WARC_DROPS = {"truncated": "warc_truncated", "corrupt": "warc_corrupt", "undecodable": "warc_corrupt",
              "too_large": "too_large"}


class CleanSpider(scrapy.Spider):
    """Reads saved pages and archived responses itself and hands each to the pipelines as a
    Page: no request, no scheduler, no downloader (nothing is downloaded). A page takes the
    rest of a crawled page's path: the same encoding detection (crawler/pages.py), Content-
    Encoding undone by the crawl's HttpCompressionMiddleware within DOWNLOAD_MAXSIZE, the
    same pipelines and stats.

    Pages are cleaned many at a time; the reorder buffer (pipelines/order.py) numbers them
    as read and lets dedupe claim them in that order, so the copy kept of two duplicates is
    the one the crawl kept. CLEAN_WINDOW pages at most are read ahead of the oldest one
    not finished."""

    name = "clean"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        # Nothing is downloaded: no download handler and no downloader middleware is loaded
        # (the HTTPS handler, which RetryMiddleware imports for its exceptions, alone costs a
        # second of CPU at start, in Scrapy's deprecation checks).
        "DOWNLOAD_HANDLERS": {"http": None, "https": None, "s3": None, "ftp": None},
        "DOWNLOADER_MIDDLEWARES_BASE": {},
        "CLEAN_WINDOW": 32,
        # Each clean stands alone unless -s STATE_URI=... asks to share a crawl's state.
        "STATE_URI": "sqlite:///:memory:",
        "SKIP_SEEN_ARTICLES": False,
    }

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_default_feed(settings)
        # at spider priority, as the runner merges the project's settings into the crawler
        # again at its own
        settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), ReorderBuffer: 0}, priority="spider")

    def __init__(self, files: list[Path] | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.files = files or []

    async def start(self):
        order = self.crawler.get_extension(ReorderBuffer)
        self.maxsize = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        try:
            self.decompression = HttpCompressionMiddleware.from_crawler(self.crawler)
        except NotConfigured:   # COMPRESSION_ENABLED=False: bodies stay as archived
            self.decompression = None
        for path in self.files:
            responses = self._archived(path) if is_warc(path) else self._saved(path)
            for response, crawled_at in responses:
                page = page_from_response(self.crawler, response)
                if page is None:
                    continue
                # From an archive, the page was crawled when the archive says, not now.
                page.crawled_at = crawled_at or page.crawled_at
                page.seq = await order.room()
                yield page
        # Scrapy looks for an idle spider after a response, or every 5 s: with pages only,
        # the run would end up to 5 s after its last page. One empty response, once every
        # page has its outcome, ends it at once.
        await order.drained()
        yield Request("data:,", self.finished, dont_filter=True)

    def finished(self, response):
        return None

    def _saved(self, path: Path):
        """A saved page, as Scrapy's file:// handler would return it."""
        url = path.resolve().as_uri()
        try:
            body = path.read_bytes()
        except OSError as exc:
            logger.warning("cannot read %s: %s", path, exc)
            count_drop(self.crawler, f"fetch_{type(exc).__name__}", url, str(exc))
            return
        count_page(self.crawler.stats, url)
        yield responsetypes.from_args(filename=str(path), body=body)(url=url, body=body), None

    def _archived(self, path: Path):
        """The HTML responses of an archive, read as it goes: a 1 GB archive is never held."""
        stats = self.crawler.stats
        for entry in read_responses(path, self.maxsize, self._decode):
            if entry.skip in WARC_DROPS:
                where = str(path) if entry.skip == "corrupt" else entry.url
                logger.warning("WARC: %s <%s> in %s: %s", WARC_DROPS[entry.skip], where, path, entry.detail)
                count_drop(self.crawler, WARC_DROPS[entry.skip], where, entry.detail)
            elif entry.skip:
                stats.inc_value(f"warc/skipped_{entry.skip}")
            else:
                stats.inc_value("warc/responses")
                count_page(stats, entry.url)
                yield entry.response, entry.date

    def _decode(self, response):
        if self.decompression is None:
            return response
        return self.decompression.process_response(Request(response.url), response)


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
