"""Counts what became of every page: `docs/kept`, `docs/dropped/<reason>`, and the same per site.

Pipeline drops raise a `pipelines.drops.PageDropped` subclass (handed to Scrapy as a
`DropItem` by `as_drop_item`) and arrive through the `item_dropped` signal; a pipeline that
fails on a page is counted as `docs/dropped/pipeline_error_<Exception>` (the `item_error`
signal); the spider reports pages that never reached the pipelines (non-HTML bodies, HTTP
errors, failed fetches) with `count_drop`. Both log the URL at DEBUG.

Per site, under `sites/<site>/` (the crawl report and the close-time checks read these):
`pages` (downloads that ended: a response, or a fetch that failed), `errors` (failed fetches,
see `is_failed_fetch`, and pipeline errors), `kept`, `words` (of kept documents),
`filled/<field>` (kept documents with that field non-empty), `dropped/<reason>` (article
pages) and `seen` (articles skipped as already stored). The site is the document's `site`
field, the registered domain of the page's URL: a page that never became a document is
counted under the name its document would have carried.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.logformatter import LogFormatter

from pipelines.urls import site_of

logger = logging.getLogger(__name__)

SITES = "sites/"
# A document's `site` is "" when it has no web URL (a saved file cleaned by `scrapy clean`).
LOCAL_FILES = "(local files)"
# The fields a page may lack; their coverage is what shows a site's layout changed.
COVERAGE_FIELDS = ("title", "text", "published", "author", "source", "keywords")
# Reasons on_error and the dupefilter give to a download that ended without a usable response:
# each is one of the site's pages.
NO_RESPONSE_REASONS = ("dns_error", "too_large", "redirect_loop")
NO_RESPONSE_PREFIXES = ("http_", "fetch_")
# Of those, the ones that are not a failure to fetch: the site's own answer about that URL
# (gone, too big, going in circles). They are never stored, so a dead link in a sitemap is
# asked for again on every run: counting it as failed would fail every hourly run of a site
# with a few of them.
NOT_FAILURES = ("http_404", "http_410", "too_large", "redirect_loop")


def site_key(site: str | None) -> str:
    return site or LOCAL_FILES


def url_site(url: str | None) -> str:
    return site_key(site_of(url) if url and urlsplit(url).scheme in ("http", "https") else "")


def page_site(item) -> str:
    """The site a page or document is counted under: a Document says it; a Page that was
    dropped on the way has its canonical URL once extraction ran, else the fetched one."""
    if hasattr(item, "fields"):  # a scrapy.Item: the Document
        return site_key(item.get("site"))
    return url_site(getattr(item, "url", None) or getattr(item, "fetched_url", None))


def ended_without_response(reason: str) -> bool:
    return reason.startswith(NO_RESPONSE_PREFIXES) or reason in NO_RESPONSE_REASONS


def is_failed_fetch(reason: str) -> bool:
    """Network errors, timeouts, DNS, and error statuses other than 404/410 (blocked,
    rate-limited, server errors): what a site that is down or refusing us looks like."""
    return ended_without_response(reason) and reason not in NOT_FAILURES


def count_drop(crawler, reason: str, url: str, detail: str = "", article: bool = True) -> None:
    """A page lost before the pipelines. Discovery files (sitemaps, feeds, section pages)
    are counted apart from article pages: they are not documents."""
    prefix = "docs/dropped" if article else "discovery/failed"
    stats = crawler.stats
    stats.inc_value(f"{prefix}/{reason}")
    site = SITES + url_site(url)
    if article:
        stats.inc_value(f"{site}/dropped/{reason}")
    if ended_without_response(reason):  # response_received did not count it
        stats.inc_value(f"{site}/pages")
    if is_failed_fetch(reason):
        stats.inc_value(f"{site}/errors")
    logger.debug("%s/%s <%s>: %s", prefix, reason, url, detail)


def count_page(stats, url: str) -> None:
    """One of the site's pages came back (a response, or a page `scrapy clean` read)."""
    stats.inc_value(f"{SITES}{url_site(url)}/pages")


def count_seen(crawler, url: str) -> None:
    """An article URL skipped because the state store has it: per site, this is what tells
    an incremental run with nothing new from a site that yields nothing."""
    crawler.stats.inc_value("articles/skipped_seen")
    crawler.stats.inc_value(f"{SITES}{url_site(url)}/seen")


class DocStats:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def response_received(self, response, request, spider):
        # An error status goes on to the spider's errback, which counts it as a failed fetch;
        # robots.txt is the crawler's own business, not one of the site's pages, and so is
        # the empty data: response `scrapy clean` ends its run with.
        if response.status >= 400 or response.url.startswith("data:") or urlsplit(response.url).path == "/robots.txt":
            return
        count_page(self.stats, response.url)

    def item_scraped(self, item, response, spider):
        self.stats.inc_value("docs/kept")
        site = SITES + page_site(item)
        # a Document; or, with the pipelines turned off, the spider's Page (a dataclass)
        fields = ItemAdapter(item)
        self.stats.inc_value(f"{site}/kept")
        self.stats.inc_value(f"{site}/words", fields.get("word_count") or 0)
        for name in COVERAGE_FIELDS:
            if fields.get(name):
                self.stats.inc_value(f"{site}/filled/{name}")

    def item_dropped(self, item, response, exception, spider):
        reason = getattr(exception, "reason", type(exception).__name__)
        self.stats.inc_value(f"docs/dropped/{reason}")
        site = SITES + page_site(item)
        self.stats.inc_value(f"{site}/dropped/{reason}")

    def item_error(self, item, response, spider, failure):
        # A bug in a pipeline on one page: Scrapy logs the traceback; the page is counted
        # with its own reason so that no page disappears from the run's accounts.
        reason = f"pipeline_error_{failure.type.__name__}"
        self.stats.inc_value(f"docs/dropped/{reason}")
        site = SITES + page_site(item)
        self.stats.inc_value(f"{site}/dropped/{reason}")
        self.stats.inc_value(f"{site}/errors")


class QuietDropsLogFormatter(LogFormatter):
    """Drops are routine on the web: log them at their own level (DEBUG for ours) with the
    reason and URL, never with the whole item (which may still hold a page of HTML)."""

    def dropped(self, item, exception, response, spider):
        level = getattr(exception, "log_level", None) or logging.WARNING
        if isinstance(level, str):
            level = getattr(logging, level)
        return {"level": level, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
