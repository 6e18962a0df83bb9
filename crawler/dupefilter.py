"""Scrapy's request dupefilter, with redirects that go in circles counted.

A redirect that leads back to a URL already requested is filtered like any duplicate,
silently. For an article that is a redirect loop (the target is one of its own earlier
hops) and the page is counted as `redirect_loop`; a redirect to another article already
requested is only a statistic (`requests/redirect_to_seen`), since that article is fetched.
"""
from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter

from crawler.extensions.docstats import count_drop


class RedirectLoopCounting:
    """Mixed into a dupefilter that has `crawler` set (Scrapy's, or scrapy-redis's)."""

    def log(self, request, spider):
        super().log(request, spider)
        hops = request.meta.get("redirect_urls")
        if not hops:
            return
        if request.url in hops:
            count_drop(self.crawler, "redirect_loop", hops[0], f"back to {request.url}",
                       article=getattr(request.callback, "__name__", "") == "parse_article")
        else:
            self.crawler.stats.inc_value("requests/redirect_to_seen")


class CountingDupeFilter(RedirectLoopCounting, RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler):
        dupefilter = super().from_crawler(crawler)
        dupefilter.crawler = crawler
        return dupefilter
