"""A downloaded response becomes a Page for the pipelines — or a counted drop."""
from __future__ import annotations

import logging

from scrapy.http import HtmlResponse, Response, TextResponse

from crawler.extensions.docstats import count_drop
from pipelines.decoding import CONTROL_CHARS, body_has_controls, decode_html
from pipelines.page import Page, now_iso

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml")


def is_html(response: Response) -> bool:
    if isinstance(response, HtmlResponse):
        return True
    ctype = response.headers.get("Content-Type") or b""
    return isinstance(response, TextResponse) and any(t in ctype for t in HTML_TYPES)


def page_from_response(crawler, response: Response, seed=None) -> Page | None:
    if not is_html(response):
        ctype = (response.headers.get("Content-Type") or b"?").decode("latin-1")
        count_drop(crawler, "not_html", response.url, ctype)
        return None
    crawler.stats.inc_value("articles/fetched")
    decoded = decode_html(response.body, response.text, response.encoding)
    if decoded.redecoded_from:
        crawler.stats.inc_value("decoding/redecoded")
        logger.info("%s: declared charset %s gives implausible text; decoded as %s",
                    response.url, decoded.redecoded_from, decoded.encoding)
    # NUL and other C0 controls are never text, and lxml refuses a string holding NUL.
    html = decoded.text
    if body_has_controls(response.body) or decoded.text is not response.text:
        html = CONTROL_CHARS.sub("", html)
    return Page(fetched_url=response.url, html=html, crawled_at=now_iso(),
                seed=seed.name if seed else None,
                prune_xpaths=list(seed.prune_xpaths) if seed else [])


def apply_default_feed(settings) -> None:
    """From a spider's update_settings: the default feed when the user configured none."""
    uri = settings.get("DEFAULT_FEED_URI")
    if uri and not settings.getdict("FEEDS"):
        settings.set("FEEDS", {uri: {"format": settings.get("DEFAULT_FEED_FORMAT", "jsonlines")}},
                     priority="spider")
