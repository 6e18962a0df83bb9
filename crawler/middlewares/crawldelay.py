"""robots.txt's Crawl-delay, respected.

Scrapy's RobotsTxtMiddleware obeys Allow/Disallow but not Crawl-delay. A site that asks for
N seconds between requests gets them: this middleware reads the delay from each robots.txt
as it passes (Protego, Scrapy's robots.txt parser, reads it) and holds the host's download
slot to it: never less, without jitter under it, and AutoThrottle told not to lower it.
Off with ROBOTSTXT_OBEY = False, like the rest of robots.txt.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from protego import Protego
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class RobotsCrawlDelay:
    def __init__(self, crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.delays: dict[str, float] = {}   # host (with port) -> seconds

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request, response):
        parts = urlsplit(request.url)
        if parts.path == "/robots.txt" and response.status == 200:
            try:
                delay = Protego.parse(response.text if hasattr(response, "text") else
                                      response.body.decode("utf-8", "replace")).crawl_delay(self.user_agent)
            except (UnicodeDecodeError, ValueError, AttributeError):
                delay = None
            if delay:
                self.delays[parts.netloc] = float(delay)
                self.crawler.stats.set_value(f"robots/crawl_delay/{parts.netloc}", float(delay))
                logger.info("%s asks for %g s between requests (robots.txt Crawl-delay)", parts.netloc, delay)
        return response

    def process_request(self, request):
        delay = self.delays.get(urlsplit(request.url).netloc)
        if delay is None:
            return None
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay, slot.jitter = max(slot.delay, delay), 0.0
        return None
