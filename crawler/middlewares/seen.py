"""A redirect that lands on an article the state store already holds is not followed.

The spider skips stored article URLs before it asks for them, but a short link or an old
URL that redirects is only known for what it is after the redirect; without this, every
run would fetch that article again only to drop it as a duplicate URL.
"""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from crawler.extensions.docstats import count_seen
from crawler.state import state_store
from pipelines.state import StoreUnavailable
from pipelines.urls import clean_url


class AlreadyStored(IgnoreRequest):
    """Not a drop: counted as `articles/skipped_seen`, like a stored URL the spider skips."""


class SeenRedirectFilter:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        if not request.meta.get("redirect_urls") or request.meta.get("refetch"):
            return
        # a section link may redirect to an article too: the seed's pattern says which it is
        is_article = getattr(self.crawler.spider, "is_article_url", None)
        if getattr(request.callback, "__name__", "") != "parse_article" and not (is_article and is_article(request.url)):
            return
        if not self.crawler.settings.getbool("SKIP_SEEN_ARTICLES", True):
            return
        try:
            seen = state_store(self.crawler).has_url(clean_url(request.url))
        except StoreUnavailable:
            return  # the pipelines stop the crawl; nothing to decide here
        if seen:
            count_seen(self.crawler, request.url)
            raise AlreadyStored(f"redirects to an article already stored: {request.url}")
        return
