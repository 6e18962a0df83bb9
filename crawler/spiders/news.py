"""The one generic news spider: seed files say where to look, this says how.

Discovery: sitemaps (indexes, gzip, Google News), RSS/Atom feeds and section pages; links
are followed within the seed's domains; only URLs that match the seed's article pattern
become pages for the pipelines.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

from crawler.distributed import apply_shared_scheduler
from crawler.extensions.docstats import count_drop, count_seen
from crawler.links import page_links
from crawler.middlewares.network import PrivateNetworkBlocked
from crawler.middlewares.seen import AlreadyStored
from crawler.pages import apply_default_feed, page_from_response
from crawler.seeds import Seed, SeedError, load_seeds
from crawler.state import state_store
from pipelines.state import StoreUnavailable, stop_crawl
from pipelines.urls import clean_url

# Feeds and sitemaps are parsed with entities and network access off: a hostile file
# must not expand a billion laughs or make us fetch anything.
logger = logging.getLogger(__name__)
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, seeds: str | None = None, site: str | None = None, urls: str | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeds_arg, self.site_arg, self.urls_arg = seeds, site, urls

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_default_feed(settings)
        apply_shared_scheduler(settings)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.seeds = spider._load_seeds(crawler.settings.get("SEEDS_DIR", "seeds"))
        # A URL list is the user's explicit choice: no offsite filtering for it.
        spider.allowed_domains = [] if spider.urls_arg else sorted({d for s in spider.seeds for d in s.allowed_domains})
        contact = crawler.settings.get("CONTACT")
        if contact:  # UserAgentMiddleware prefers the spider's user_agent attribute
            spider.user_agent = f"{crawler.settings.get('USER_AGENT')} (+{contact})"
        spider.skip_seen = crawler.settings.getbool("SKIP_SEEN_ARTICLES", True)
        spider.refetch_hours = crawler.settings.getfloat("REFETCH_HOURS", 0)
        spider.asked = set()  # article URLs requested in this run
        spider.links = LinkExtractor(unique=True)
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
        if self.urls_arg:
            for line in Path(self.urls_arg).read_text(encoding="utf-8").splitlines():
                url = line.strip()
                if url and not url.startswith("#"):
                    for request in self._article_request(url, self._seed_for(url), hops=0, listed=True):
                        yield request
            return
        for seed in self.seeds:
            meta = {"seed": seed.name, "hops": 0}
            for url in seed.sitemaps:
                yield scrapy.Request(url, self.parse_sitemap, meta=meta, errback=self.on_error)
            for url in seed.feeds:
                yield scrapy.Request(url, self.parse_feed, meta=meta, errback=self.on_error)
            for url in seed.start_urls:
                yield scrapy.Request(url, self.parse_section, meta=meta, errback=self.on_error)

    # --- discovery -------------------------------------------------------------------

    def parse_sitemap(self, response: Response):
        seed = self._seed(response)
        body = self._sitemap_body(response)
        if body is None:
            count_drop(self.crawler, "bad_sitemap", response.url, "not a sitemap", article=False)
            return
        try:
            sitemap = Sitemap(body)
        except etree.XMLSyntaxError as exc:
            count_drop(self.crawler, "bad_sitemap", response.url, str(exc), article=False)
            return
        for entry in self._capped(sitemap, response):
            loc = entry.get("loc")
            if not loc:
                continue
            loc = response.urljoin(loc.strip())
            if not loc.startswith(("http://", "https://")):
                continue
            if sitemap.type == "sitemapindex":
                yield response.follow(loc, self.parse_sitemap, errback=self.on_error,
                                      meta={"seed": seed.name, "hops": response.meta["hops"]})
            elif seed.is_article(loc):
                yield from self._article_request(loc, seed, hops=response.meta["hops"])

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
        try:
            root = etree.fromstring(response.body, parser=XML_PARSER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            count_drop(self.crawler, "bad_feed", response.url, "unparseable feed", article=False)
            return
        links = root.xpath("//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href")
        for link in self._capped(links, response):
            url = response.urljoin(link.strip())
            if url.startswith(("http://", "https://")) and seed.is_article(url):
                yield from self._article_request(url, seed, hops=response.meta["hops"])

    def parse_section(self, response: Response):
        seed = self._seed(response)
        if seed and seed.is_article(response.url):  # a section link that redirected to an article
            yield from self.parse_article(response)
            return
        if not isinstance(response, TextResponse):
            return
        hops = response.meta["hops"]
        for link in self._capped(self._site_links(response, seed), response):
            if seed.is_article(link.url):
                yield from self._article_request(link.url, seed, hops=hops + 1)
            elif hops < seed.max_depth:
                yield response.follow(link.url, self.parse_section, errback=self.on_error,
                                      meta={"seed": seed.name, "hops": hops + 1})

    # --- articles --------------------------------------------------------------------

    def _article_request(self, url: str, seed: Seed | None, hops: int, listed: bool = False):
        """A request for an article page, once per run, unless an earlier run already stored it."""
        key = clean_url(url)
        if key in self.asked:
            return  # found again in this run
        self.asked.add(key)
        refetch = False
        try:
            seen = self.skip_seen and state_store(self.crawler).has_url(key)
            if seen and self.refetch_hours:
                refetch = self._young(state_store(self.crawler).article(key))
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
            return
        if seen and not refetch:
            count_seen(self.crawler, key)
            return
        if refetch:
            self.crawler.stats.inc_value("articles/refetched")
        yield scrapy.Request(url, self.parse_article, errback=self.on_error,
                             meta={"seed": seed.name if seed else None, "hops": hops, "listed": listed,
                                   "refetch": refetch})

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
        # "read also" and related links lead to more articles of the site
        # (read from the bytes: a full parse here would hold the crawler's thread ~10 ms)
        if seed and response.meta["hops"] < seed.max_depth and not response.meta.get("listed"):
            for url in page_links(response.body, response.url, response.encoding):
                if self._on_site(url, seed) and seed.is_article(url):
                    yield from self._article_request(url, seed, hops=response.meta["hops"] + 1)

    def is_article_url(self, url: str) -> bool:
        seed = self._seed_for(url)
        return bool(seed and seed.is_article(url))

    def allows_private_network(self, request) -> bool:
        """A seed that allows private addresses covers its own hosts, whichever request goes
        there (its pages, robots.txt, a redirect): crawler/middlewares/network.py."""
        host = (urlsplit(request.url).hostname or "").lower()
        return any(seed.allow_private_networks and any(host == d or host.endswith("." + d) for d in seed.allowed_domains)
                   for seed in self.seeds)

    def on_error(self, failure):
        request = failure.request
        message = str(failure.value)
        if failure.check(AlreadyStored):
            return
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
