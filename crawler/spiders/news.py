"""The one generic news spider: seed files say where to look, this says how.

Discovery: sitemaps (indexes, gzip, Google News), RSS/Atom feeds and section pages; links
are followed within the seed's domains; only URLs that match the seed's article pattern
become pages for the pipelines. Discovery reads freshness (docs/discovery.md): each site's
run reads a date window (`-a since=`, the site's last complete run, or DISCOVERY_DAYS), a
sitemap index's children and a listing's entries are taken by their dates, and listings
are asked for conditionally with the validators the last complete run kept.
"""
from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number

from crawler.discovery import DatedSitemap, Window, entry_date, entry_in_window, parse_date, parse_since, window_for
from crawler.distributed import apply_shared_scheduler
from crawler.extensions.docstats import SITES, count_drop, count_seen, is_failed_fetch, url_site
from crawler.links import page_links
from crawler.middlewares.network import PrivateNetworkBlocked
from crawler.middlewares.seen import AlreadyStored
from crawler.pages import apply_default_feed, page_from_response
from crawler.seeds import Seed, SeedError, load_seeds
from crawler.state import keeper, state_store
from pipelines.state import StoreUnavailable, stop_crawl
from pipelines.urls import clean_url

# Feeds and sitemaps are parsed with entities and network access off: a hostile file
# must not expand a billion laughs or make us fetch anything.
logger = logging.getLogger(__name__)
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


class RecentUrls:
    """The article URLs this run asked for most recently, at most `size` of them: a URL that
    a sitemap, a feed and a section page all list is looked up in the store once, and memory
    stays bounded however long a backfill runs (the request dupefilter catches the rest)."""

    def __init__(self, size: int):
        self.size = size
        self.keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """False if `key` is among the recent ones (and it becomes the most recent)."""
        if key in self.keys:
            self.keys.move_to_end(key)
            return False
        self.keys[key] = None
        if len(self.keys) > self.size:
            self.keys.popitem(last=False)
        return True


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, seeds: str | None = None, site: str | None = None, urls: str | None = None,
                 since: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeds_arg, self.site_arg, self.urls_arg, self.since_arg = seeds, site, urls, since

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_default_feed(settings)
        apply_shared_scheduler(settings)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.seeds = spider._load_seeds(settings.get("SEEDS_DIR", "seeds"))
        # A URL list is the user's explicit choice: no offsite filtering for it.
        spider.allowed_domains = [] if spider.urls_arg else sorted({d for s in spider.seeds for d in s.allowed_domains})
        contact = settings.get("CONTACT")
        if contact:  # UserAgentMiddleware prefers the spider's user_agent attribute
            spider.user_agent = f"{settings.get('USER_AGENT')} (+{contact})"
        spider.skip_seen = settings.getbool("SKIP_SEEN_ARTICLES", True)
        spider.refetch_hours = settings.getfloat("REFETCH_HOURS", 0)
        spider.links = LinkExtractor(unique=True)
        # A wrong `since` stops the crawl before it starts: a backfill must not silently
        # become an ordinary run.
        spider.since = parse_since(spider.since_arg, datetime.now(timezone.utc)) if spider.since_arg else None
        spider.discovery_days = settings.getfloat("DISCOVERY_DAYS", 2)
        spider.overlap_hours = settings.getfloat("DISCOVERY_OVERLAP_HOURS", 6)
        spider.undated_children = settings.getint("DISCOVERY_UNDATED_SITEMAPS", 4)
        spider.max_articles = settings.getint("MAX_ARTICLES_PER_SITE", 0)
        spider.recent = RecentUrls(settings.getint("DISCOVERY_RECENT_URLS", 100_000))
        spider.windows: dict[str, Window] = {}        # seed name -> what this run reads of it
        spider.conditional: dict[str, bool] = {}      # seed name -> whether listings are asked conditionally
        spider.requested: Counter[str] = Counter()    # seed name -> article requests made
        spider.unfinished: set[str] = set()           # seeds this run did not read through
        spider.learnt: dict[str, dict[str, tuple]] = {}   # seed name -> {listing URL: (ETag, Last-Modified)}
        crawler.signals.connect(spider.finish_runs, signal=signals.spider_closed)
        return spider

    def _load_seeds(self, seeds_dir: str) -> list[Seed]:
        try:
            seeds = load_seeds(self.seeds_arg or seeds_dir)
        except SeedError:
            if self.urls_arg and not self.seeds_arg:
                return []  # a URL list needs no seed; prune rules apply when one matches
            raise
        if self.site_arg:
            seeds = [s for s in seeds if s.name == self.site_arg]
            if not seeds:
                raise SeedError(f"no seed named {self.site_arg!r} in {self.seeds_arg or seeds_dir}")
        return seeds

    async def start(self):
        # With JOBDIR, Scrapy keeps `state` across a pause: a resumed run counts from when it
        # first started, so nothing published while it was paused falls outside the next window.
        state = getattr(self, "state", {})
        self.run_started = state.setdefault("run_started", time.time())
        self.learnt = state.setdefault("learnt", self.learnt)
        if self.urls_arg:
            for line in Path(self.urls_arg).read_text(encoding="utf-8").splitlines():
                url = line.strip()
                if url and not url.startswith("#"):
                    for request in self._article_requests([url], self._seed_for(url), None, listed=True):
                        yield request
            return
        for seed in self.seeds:
            try:
                self._open_window(seed)
                # Feeds and sitemaps (Google News ones among them) list the newest articles
                # with dates: asked first, so a capped run spends its articles on those.
                requests = ([self._listing(url, self.parse_feed, seed, priority=2) for url in seed.feeds]
                            + [self._listing(url, self.parse_sitemap, seed, priority=1) for url in seed.sitemaps]
                            + [self._listing(url, self.parse_section, seed) for url in seed.start_urls])
            except StoreUnavailable as exc:
                stop_crawl(self.crawler, exc)
                return
            for request in requests:
                yield request

    def _open_window(self, seed: Seed) -> None:
        now = datetime.now(timezone.utc)
        last = None if self.since else state_store(self.crawler).last_run(seed.name)
        window = window_for(now, self.since, last, seed.first_run_since, self.discovery_days, self.overlap_hours)
        self.windows[seed.name] = window
        # Validators are kept only by complete runs; a backfill reads what it is asked for.
        self.conditional[seed.name] = self.since is None and last is not None
        logger.info("%s: reading what changed since %s: %s", seed.name, f"{window.start:%Y-%m-%d %H:%M}Z",
                    window.reason)

    def _listing(self, url: str, callback, seed: Seed, priority: int = 0, root: bool = False) -> scrapy.Request:
        """A sitemap, feed or section page, asked for with the validators its last answer
        carried in the site's last complete run (a 304 then ends it: parse_* return at once)."""
        headers = {}
        try:
            known = state_store(self.crawler).validators(url) if self.conditional.get(seed.name) else None
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
            known = None
        if known:
            etag, modified = known
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        meta = {"seed": seed.name, "listing": url, "handle_httpstatus_list": [304]}
        if root:   # a listing found in a sitemap index starts a new chain: DEPTH_LIMIT counts links
            meta["depth_reset"] = True
        return scrapy.Request(url, callback, headers=headers, meta=meta, errback=self.on_error, priority=priority)

    def _changed(self, response: Response, seed: Seed | None) -> bool:
        """Whether a listing has anything to read: a 304 has not. Either way the validators
        are remembered, to be kept if the site's run completes."""
        url = response.meta.get("listing")
        if url is None or seed is None:
            return response.status != 304
        if response.status == 304:
            self.crawler.stats.inc_value("discovery/not_modified")
            self.crawler.stats.inc_value(f"{SITES}{url_site(url)}/not_modified")
            sent = response.request.headers
            self.learnt.setdefault(seed.name, {})[url] = (_header(sent, b"If-None-Match"),
                                                          _header(sent, b"If-Modified-Since"))
            return False
        self.crawler.stats.inc_value("discovery/listings_read")
        etag, modified = _header(response.headers, b"ETag"), _header(response.headers, b"Last-Modified")
        if etag or modified:
            self.learnt.setdefault(seed.name, {})[url] = (etag, modified)
        return True

    def finish_runs(self, spider, reason: str) -> None:
        """At a finished run's end, each site it read through gets its mark (the next run reads
        from there) and the validators of its listings, together."""
        if reason != "finished" or keeper(self.crawler).lost or not self.windows:
            return
        try:
            store = state_store(self.crawler)
            for name in self.windows:
                if name in self.unfinished:
                    logger.warning("%s: not marked as read through (capped, or a listing failed): the next "
                                   "run reads from the same point again", name)
                    continue
                store.finish_run(name, self.run_started, self.learnt.get(name, {}))
                self.crawler.stats.inc_value("discovery/sites_complete")
        except StoreUnavailable as exc:
            logger.error("could not record the sites' runs: %s", exc)

    # --- discovery -------------------------------------------------------------------

    def parse_sitemap(self, response: Response):
        seed = self._seed(response)
        if not self._changed(response, seed):
            return
        body = self._sitemap_body(response)
        if body is None:
            count_drop(self.crawler, "bad_sitemap", response.url, "not a sitemap", article=False)
            return
        try:
            sitemap = DatedSitemap(body)
        except etree.XMLSyntaxError as exc:
            count_drop(self.crawler, "bad_sitemap", response.url, str(exc), article=False)
            return
        window = self.windows[seed.name]
        if sitemap.type == "sitemapindex":
            yield from self._children(sitemap, response, seed, window)
            return
        found = []
        for entry in self._capped(sitemap, response):
            loc = self._entry_url(entry, response)
            if loc and seed.is_article(loc) and self._fresh(window, loc, entry_date(entry)):
                found.append(loc)
        yield from self._article_requests(found, seed, response, root=True)

    def _children(self, sitemap, response: Response, seed: Seed, window: Window):
        """The children of a sitemap index that may hold changes in the window: by their
        lastmod, else the day or month in their URL. Children with neither are read at both
        ends of the index only (DISCOVERY_UNDATED_SITEMAPS): an index is kept in date order,
        one way or the other, so the newest are at one end, and reading all of them is the
        whole archive again."""
        dated, undated = [], []
        every_lastmod = True
        for entry in self._capped(sitemap, response):
            loc = self._entry_url(entry, response)
            if not loc:
                continue
            every_lastmod = every_lastmod and entry_date(entry) is not None
            held = entry_in_window(window, loc, entry_date(entry))
            if held:
                dated.append(loc)
            elif held is None:
                undated.append(loc)
            else:
                self.crawler.stats.inc_value("discovery/sitemaps_old")
        limit = self.undated_children
        head = (limit + 1) // 2
        tail = limit - head
        keep = undated if limit <= 0 or len(undated) <= limit else undated[:head] + (undated[-tail:] if tail else [])
        if len(undated) > len(keep):
            self.crawler.stats.inc_value("discovery/sitemaps_undated_skipped", len(undated) - len(keep))
            logger.warning("%s: %d child sitemaps carry no date; read the %d at its ends "
                           "(DISCOVERY_UNDATED_SITEMAPS)", response.url, len(undated), len(keep))
        if not every_lastmod:
            # A 304 on this index would say nothing about its children (one without a lastmod
            # can change while the index stays the same): it is asked for in full next time.
            self.learnt.get(seed.name, {}).pop(response.meta.get("listing"), None)
        for loc in dated + keep:
            yield self._listing(loc, self.parse_sitemap, seed, priority=1, root=True)

    @staticmethod
    def _entry_url(entry: dict, response: Response) -> str | None:
        loc = entry.get("loc")
        if not loc:
            return None
        loc = response.urljoin(loc.strip())
        return loc if loc.startswith(("http://", "https://")) else None

    def _fresh(self, window: Window, url: str, when: datetime | None) -> bool:
        """Whether a listed article may have changed in the window; one with no date at all
        is taken (a listing that was itself in the window lists it)."""
        if entry_in_window(window, url, when) is False:
            self.crawler.stats.inc_value("discovery/links_old")
            return False
        return True

    def _capped(self, links, response: Response):
        """At most DISCOVERY_MAX_LINKS links from one sitemap, feed or page: a file of a
        million URLs must not flood the scheduler."""
        limit = self.crawler.settings.getint("DISCOVERY_MAX_LINKS", 50_000)
        for taken, link in enumerate(links):
            if taken >= limit:
                self.crawler.stats.inc_value("discovery/links_capped")
                logger.warning("%s: more than %d links; the rest are left (DISCOVERY_MAX_LINKS)", response.url, limit)
                return
            yield link

    def _sitemap_body(self, response: Response) -> bytes | None:
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, EOFError, ValueError):
                return None
        return body if b"<" in body[:1024] else None

    def parse_feed(self, response: Response):
        seed = self._seed(response)
        if not self._changed(response, seed):
            return
        try:
            root = etree.fromstring(response.body, parser=XML_PARSER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            count_drop(self.crawler, "bad_feed", response.url, "unparseable feed", article=False)
            return
        window = self.windows[seed.name]
        found = []
        for item in self._capped(root.xpath(FEED_ITEMS), response):
            link = next((x.strip() for x in item.xpath(FEED_ITEM_LINK) if x.strip()), None)
            if not link:
                continue
            url = response.urljoin(link)
            when = parse_date(next((x for x in item.xpath(FEED_ITEM_DATE) if x.strip()), None))
            if url.startswith(("http://", "https://")) and seed.is_article(url) and self._fresh(window, url, when):
                found.append(url)
        yield from self._article_requests(found, seed, response, root=True)

    def parse_section(self, response: Response):
        seed = self._seed(response)
        if not self._changed(response, seed):
            return
        if seed and seed.is_article(response.url):  # a section link that redirected to an article
            yield from self.parse_article(response)
            return
        if not isinstance(response, TextResponse):
            return
        window = self.windows[seed.name]
        depth = response.meta.get("depth", 0)
        found = []
        for link in self._capped(self._site_links(response, seed), response):
            if seed.is_article(link.url):
                if self._fresh(window, link.url, None):
                    found.append(link.url)
            elif depth < seed.max_depth:
                yield self._listing(link.url, self.parse_section, seed)
        yield from self._article_requests(found, seed, response)

    # --- articles --------------------------------------------------------------------

    def _article_requests(self, urls: list[str], seed: Seed | None, response: Response | None,
                          listed: bool = False, root: bool = False):
        """Requests for article pages not asked for recently in this run, unless an earlier
        run already stored them: one store lookup for a listing's worth of links."""
        fresh = [(url, key) for url, key in ((u, clean_url(u)) for u in urls) if self.recent.add(key)]
        if not fresh:
            return
        store = state_store(self.crawler)
        try:
            stored = store.stored_urls([key for _, key in fresh]) if self.skip_seen else set()
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
            return
        for url, key in fresh:
            refetch = False
            if key in stored:
                try:
                    refetch = bool(self.refetch_hours) and self._young(store.article(key))
                except StoreUnavailable as exc:
                    stop_crawl(self.crawler, exc)
                    return
                if not refetch:
                    count_seen(self.crawler, key)
                    continue
                self.crawler.stats.inc_value("articles/refetched")
            if not self._within_cap(seed):
                continue
            meta = {"seed": seed.name if seed else None, "listed": listed, "refetch": refetch}
            if root and response is not None:
                meta["depth_reset"] = True   # listed in a sitemap or feed: its own links start from it
            yield scrapy.Request(url, self.parse_article, errback=self.on_error, meta=meta)

    def _within_cap(self, seed: Seed | None) -> bool:
        """MAX_ARTICLES_PER_SITE: a backfill takes this many articles of a site per run; the
        site is then not marked as read through, so the next run goes on where it stopped."""
        if not self.max_articles or seed is None:
            return True
        if self.requested[seed.name] >= self.max_articles:
            if seed.name not in self.unfinished:
                logger.warning("%s: %d articles asked for in this run, the rest are left for the next "
                               "(MAX_ARTICLES_PER_SITE)", seed.name, self.max_articles)
            self.unfinished.add(seed.name)
            self.crawler.stats.inc_value("discovery/articles_capped")
            return False
        self.requested[seed.name] += 1
        return True

    def _young(self, stored) -> bool:
        """Whether an exported article is young enough to be fetched again for corrections."""
        first_export = stored[1] if stored else None
        return first_export is not None and time.time() - first_export < self.refetch_hours * 3600

    def parse_article(self, response: Response):
        seed = self._seed(response)
        page = page_from_response(self.crawler, response, seed)
        if page is None:
            return
        page.refetch = response.meta.get("refetch", False)
        yield page
        # "read also" and related links lead to more articles of the site; one whose URL
        # names a day before the window leads into the archive and is left
        # (read from the bytes: a full parse here would hold the crawler's thread ~10 ms)
        if seed and response.meta.get("depth", 0) < seed.max_depth and not response.meta.get("listed"):
            window = self.windows.get(seed.name)
            found = [url for url in page_links(response.body, response.url, response.encoding)
                     if self._on_site(url, seed) and seed.is_article(url)
                     and (window is None or self._fresh(window, url, None))]
            yield from self._article_requests(found, seed, response)

    def is_article_url(self, url: str) -> bool:
        seed = self._seed_for(url)
        return bool(seed and seed.is_article(url))

    def allows_private_network(self, request) -> bool:
        """A seed that allows private addresses covers exactly the host:port pairs its own
        URLs name, whichever request goes there (its pages, robots.txt, a redirect):
        crawler/middlewares/network.py. A link elsewhere on the same host is refused."""
        return any(seed.allow_private_networks and seed.names_endpoint(request.url) for seed in self.seeds)

    def on_error(self, failure):
        request = failure.request
        message = str(failure.value)
        if failure.check(AlreadyStored):
            return
        # By type where Scrapy gives one. Scrapy 2.19 raises a bare IgnoreRequest for robots.txt
        # and for too many redirects, and cancels an oversized download with a plain error: its
        # message is the only tell there (tests/test_hostile.py and test_crawl.py pin each reason).
        if failure.check(HttpError):
            reason = f"http_{failure.value.response.status}"
        elif failure.check(PrivateNetworkBlocked):
            reason = "private_network"
        elif "maxsize" in message.lower().replace("_", "") or "max size" in message.lower():
            reason = "too_large"   # DOWNLOAD_MAXSIZE, on the wire or decompressed
        elif failure.check(IgnoreRequest):
            if "robots.txt" in message:
                reason = "robots_txt"
            elif "max redirections" in message:
                reason = "redirect_loop"
            else:
                reason = "ignored"
        elif type(failure.value).__name__ in ("DNSLookupError", "CannotResolveHostError"):
            reason = "dns_error"   # the host does not resolve (two resolvers, two names)
        else:
            reason = f"fetch_{type(failure.value).__name__}"
        # Counted under the URL that was asked for; a redirect's last hop is in the detail.
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        detail = f"{failure.value!r}" + (f" (at {request.url})" if first != request.url else "")
        count_drop(self.crawler, reason, first, detail, article=request.callback == self.parse_article)
        # A listing that could not be read may hold articles of the window: the site is not
        # read through (a 404 or 410 is the site's answer, not a failure: it would never pass).
        if request.meta.get("listing") and is_failed_fetch(reason) and request.meta.get("seed"):
            self.unfinished.add(request.meta["seed"])

    def _site_links(self, response: Response, seed: Seed):
        """Links to the seed's own domains (hosts compared without ports, unlike
        LinkExtractor's allow_domains)."""
        for link in self.links.extract_links(response):
            if self._on_site(link.url, seed):
                yield link

    @staticmethod
    def _on_site(url: str, seed: Seed) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in seed.allowed_domains)

    # --- seeds -----------------------------------------------------------------------

    def _seed(self, response: Response) -> Seed | None:
        name = response.meta.get("seed")
        return next((s for s in self.seeds if s.name == name), None)

    def _seed_for(self, url: str) -> Seed | None:
        return next((s for s in self.seeds if s.is_article(url)), None)


# A feed's items (RSS 2.0, RSS 1.0 and Atom), each one's link and its date.
FEED_ITEMS = "//*[local-name()='item' or local-name()='entry']"
FEED_ITEM_LINK = ("*[local-name()='link'][not(@rel) or @rel='alternate']/@href | link/text() "
                  "| *[local-name()='link' and not(@href)]/text()")
FEED_ITEM_DATE = ("*[local-name()='pubDate' or local-name()='updated' or local-name()='published' "
                  "or local-name()='date']/text()")


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
