"""`scrapy seeds`: check each seed against its live site before a first real crawl.

For every seed (or `-a site=NAME`, or `-a seeds=FILE`): robots.txt, each sitemap (and the
newest child of an index), each feed and the first section page are fetched once, and
three of the newest article URLs they list go through the crawl's own pipelines. Per
source the table shows the HTTP status, the type, the entries, their date range and how
many match the seed's article_pattern; per sample article its title, words and published
date, or why it was dropped. A seed is broken when a sitemap, feed or section page is dead
or unreadable, when its article_pattern matches nothing listed, or when every sample
article is dropped; `scrapy seeds` then exits with 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number

from crawler.discovery import DatedSitemap, entry_date, parse_date
from crawler.pages import page_from_response
from crawler.seeds import Seed, SeedError, load_seeds
from crawler.spiders.news import FEED_ITEM_DATE, FEED_ITEM_LINK, FEED_ITEMS, XML_PARSER

SAMPLES = 3


@dataclass
class Source:
    kind: str                     # robots, sitemap, child, feed, section
    url: str
    status: str = "-"
    type: str = "-"
    entries: int = 0
    matching: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    problem: str = ""             # why this source breaks the seed ("" when it does not)


@dataclass
class Sample:
    url: str
    title: str = ""
    words: int = 0
    published: str = ""
    dropped: str = ""             # the drop reason, when the pipelines did not keep it


@dataclass
class SeedCheck:
    seed: Seed
    sources: list[Source] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    candidates: list[tuple[datetime | None, str]] = field(default_factory=list)
    pending: int = 0

    def problems(self) -> list[str]:
        found = [f"{s.kind} {s.url}: {s.problem}" for s in self.sources if s.problem]
        listing = [s for s in self.sources if s.kind != "robots"]
        if listing and not any(s.matching for s in listing):
            found.append("article_pattern matches none of the URLs listed")
        if self.samples and not any(not s.dropped for s in self.samples):
            found.append(f"all {len(self.samples)} sample articles were dropped")
        return found


class SeedDoctor(scrapy.Spider):
    name = "seeds"
    custom_settings = {
        # A look, not a crawl: nothing is remembered or skipped, nothing judged at close,
        # and the cleaning runs in this process (three pages do not pay for a pool).
        "STATE_URI": "sqlite:///:memory:",
        "SKIP_SEEN_ARTICLES": False,
        "CHECKS_ENABLED": False,
        "CLEANING_PROCESSES": 0,
        "RETRY_TIMES": 1,
        "LOG_LEVEL": "WARNING",
    }

    def __init__(self, seeds: str | None = None, site: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeds_arg, self.site_arg = seeds, site

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        seeds = load_seeds(spider.seeds_arg or crawler.settings.get("SEEDS_DIR", "seeds"))
        if spider.site_arg:
            seeds = [s for s in seeds if s.name == spider.site_arg]
            if not seeds:
                raise SeedError(f"no seed named {spider.site_arg!r}")
        spider.seeds = seeds
        spider.checks = {s.name: SeedCheck(s) for s in seeds}
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        return spider

    def allows_private_network(self, request) -> bool:
        """As the crawl: a seed's allowance covers the host:ports its own URLs name."""
        return any(seed.allow_private_networks and seed.names_endpoint(request.url) for seed in self.seeds)

    async def start(self):
        for seed in self.seeds:
            check = self.checks[seed.name]
            origins = sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, (*seed.sitemaps, *seed.feeds,
                                                                                   *seed.start_urls))})
            requests = [self._source(check, "robots", f"{o}/robots.txt", self.parse_robots,
                                     meta={"dont_obey_robotstxt": True}) for o in origins]
            requests += [self._source(check, "sitemap", url, self.parse_sitemap) for url in seed.sitemaps]
            requests += [self._source(check, "feed", url, self.parse_feed) for url in seed.feeds]
            requests += [self._source(check, "section", url, self.parse_section) for url in seed.start_urls[:1]]
            for request in requests:
                yield request

    def _source(self, check: SeedCheck, kind: str, url: str, callback, meta: dict | None = None):
        source = Source(kind, url)
        check.sources.append(source)
        check.pending += 1
        return scrapy.Request(url, callback, errback=self.on_error, dont_filter=True,
                              meta={**(meta or {}), "check": check.seed.name, "source": source})

    # --- sources -------------------------------------------------------------------------

    def parse_robots(self, response: Response):
        source, check = self._took(response)
        lines = response.text.splitlines() if isinstance(response, TextResponse) else []
        source.type = "robots.txt"
        source.entries = sum(1 for line in lines if line.lower().startswith("sitemap:"))
        yield from self._done(check)

    def parse_sitemap(self, response: Response):
        source, check = self._took(response)
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, EOFError, ValueError):
                body = b""
        try:
            sitemap = DatedSitemap(body) if b"<" in body[:1024] else None
        except etree.XMLSyntaxError:
            sitemap = None
        if sitemap is None:
            yield from self._unreadable(source, check, "not a sitemap")
            return
        source.type = sitemap.type
        children = []
        for entry in sitemap:
            loc = (entry.get("loc") or "").strip()
            if not loc:
                continue
            loc, when = response.urljoin(loc), entry_date(entry)
            self._count(source, check, loc, when, child=sitemap.type == "sitemapindex")
            if sitemap.type == "sitemapindex":
                children.append((when, loc))
        if children and source.kind == "sitemap":
            # the newest child shows what the index's children hold
            newest = max(children, key=lambda c: (c[0] is not None, c[0] or datetime.min))[1]
            yield self._source(check, "child", newest, self.parse_sitemap)
        yield from self._done(check)

    def _unreadable(self, source, check, what: str):
        source.type = source.problem = what
        yield from self._done(check)

    def parse_feed(self, response: Response):
        source, check = self._took(response)
        try:
            root = etree.fromstring(response.body, parser=XML_PARSER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            yield from self._unreadable(source, check, "not a feed")
            return
        source.type = "atom" if etree.QName(root).localname == "feed" else "rss"
        for item in root.xpath(FEED_ITEMS):
            link = next((x.strip() for x in item.xpath(FEED_ITEM_LINK) if x.strip()), None)
            if link:
                when = parse_date(next((x for x in item.xpath(FEED_ITEM_DATE) if x.strip()), None))
                self._count(source, check, response.urljoin(link), when)
        yield from self._done(check)

    def parse_section(self, response: Response):
        source, check = self._took(response)
        source.type = "html" if isinstance(response, TextResponse) else "not html"
        if isinstance(response, TextResponse):
            hosts = set(check.seed.allowed_domains)
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href.strip())
                host = (urlsplit(url).hostname or "").lower()
                if any(host == d or host.endswith("." + d) for d in hosts):
                    self._count(source, check, url, None)
        yield from self._done(check)

    def _took(self, response: Response) -> tuple[Source, SeedCheck]:
        source = response.meta["source"]
        source.status = str(response.status)
        return source, self.checks[response.meta["check"]]

    def _count(self, source: Source, check: SeedCheck, url: str, when: datetime | None, child: bool = False):
        source.entries += 1
        if when is not None:
            source.oldest = min(source.oldest or when, when)
            source.newest = max(source.newest or when, when)
        if not child and check.seed.is_article(url):
            source.matching += 1
            check.candidates.append((when, url))

    def on_error(self, failure):
        request = failure.request
        source: Source = request.meta["source"]
        if failure.check(HttpError):
            source.status = str(failure.value.response.status)
        else:
            source.status = type(failure.value).__name__
        # robots.txt may be missing (everything is allowed); any other source is dead
        if source.kind != "robots" or (failure.check(HttpError) and failure.value.response.status >= 500):
            source.problem = f"dead ({source.status})"
        return self._done(self.checks[request.meta["check"]])

    # --- samples -------------------------------------------------------------------------

    def _done(self, check: SeedCheck):
        """When the seed's last source is in, its newest listed articles are asked for."""
        check.pending -= 1
        if check.pending:
            return
        seen, picked = set(), []
        dated = sorted((c for c in check.candidates if c[0] is not None), key=lambda c: c[0], reverse=True)
        for _, url in dated + [c for c in check.candidates if c[0] is None]:
            if url not in seen:
                seen.add(url)
                picked.append(url)
            if len(picked) == SAMPLES:
                break
        for url in picked:
            sample = Sample(url)
            check.samples.append(sample)
            yield scrapy.Request(url, self.parse_article, errback=self.sample_failed, dont_filter=True,
                                 meta={"check": check.seed.name, "sample": sample})

    def parse_article(self, response: Response):
        check = self.checks[response.meta["check"]]
        page = page_from_response(self.crawler, response, check.seed)
        if page is None:
            response.meta["sample"].dropped = "not_html"
            return
        yield page

    def sample_failed(self, failure):
        sample: Sample = failure.request.meta["sample"]
        status = failure.value.response.status if failure.check(HttpError) else None
        sample.dropped = f"http_{status}" if status else type(failure.value).__name__

    def item_scraped(self, item, response, spider):
        sample = response.meta.get("sample") if response is not None else None
        if sample is not None:
            sample.title = item.get("title") or ""
            sample.words = item.get("word_count") or 0
            sample.published = item.get("published") or ""

    def item_dropped(self, item, response, exception, spider):
        sample = response.meta.get("sample") if response is not None else None
        if sample is not None:
            sample.dropped = getattr(exception, "reason", type(exception).__name__)


def _range(source: Source) -> str:
    if source.oldest is None:
        return "-"
    return f"{source.oldest:%Y-%m-%d} .. {source.newest:%Y-%m-%d}"


def format_checks(checks: list[SeedCheck]) -> str:
    lines = []
    for check in checks:
        problems = check.problems()
        lines.append(f"== {check.seed.name} ({check.seed.path}): {'BROKEN' if problems else 'OK'}")
        lines.append(f"  {'source':<8} {'status':>6}  {'type':<12} {'entries':>7}  {'dates':<24} {'articles':>8}  url")
        for s in check.sources:
            lines.append(f"  {s.kind:<8} {s.status:>6}  {s.type:<12} {s.entries:>7}  {_range(s):<24} "
                         f"{s.matching:>8}  {s.url}")
        for sample in check.samples:
            if sample.dropped:
                lines.append(f"  sample   dropped ({sample.dropped})  {sample.url}")
            else:
                lines.append(f"  sample   {sample.words:>5} words  published {sample.published or '-':<25} "
                             f"{sample.title[:60]}  {sample.url}")
        if not check.samples:
            lines.append("  sample   none: no article URL was listed")
        lines += [f"  problem: {p}" for p in problems]
    return "\n".join(lines)
