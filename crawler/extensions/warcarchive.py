"""WARC_DIR set: every raw response of the crawl archived to WARC files (crawler/warc.py).

An extension on the `response_downloaded` signal rather than a downloader middleware: the
downloader sends it with the response exactly as the download handler returned it, before
any middleware's process_response. So every response is seen once and raw: redirects
before RedirectMiddleware follows them, 5xx before RetryMiddleware retries, bodies before
HttpCompressionMiddleware decompresses them (their Content-Encoding stays true), and
robots.txt, sitemaps and feeds alike. No DOWNLOADER_MIDDLEWARES order can get this wrong,
and responses that no handler downloaded (`scrapy clean` replaying an archive) are never
archived again.
"""
from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import faults
from crawler.warc import RotatingWarcWriter, warcinfo

logger = logging.getLogger(__name__)


class WarcArchive:
    def __init__(self, crawler, writer: RotatingWarcWriter):
        self.crawler = crawler
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler):
        directory = crawler.settings.get("WARC_DIR")
        faults.configure(crawler.settings)
        if not directory:
            raise NotConfigured   # WARC_DIR empty: no archive (no warning for the usual case)
        settings = crawler.settings
        info = warcinfo(
            f"{settings.get('BOT_NAME')} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            isPartOf=settings.get("WARC_PREFIX"),
            robots="obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            **{"http-header-user-agent": settings.get("USER_AGENT")})
        writer = RotatingWarcWriter(Path(directory), settings.get("WARC_PREFIX") or "crawl",
                                    settings.getint("WARC_MAX_SIZE"), info)
        ext = cls(crawler, writer)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def response_downloaded(self, response, request, spider):  # noqa: ARG002 (the signal's arguments)
        if not response.url.startswith(("http://", "https://")):
            return   # local files (file://, data:) are not captures of the web
        stats = self.crawler.stats
        try:
            self.writer.write_exchange(request, response)
        except OSError as exc:
            # A full disk must not stop the crawl: the documents are its product. The file
            # is closed (its earlier records stay readable) and the next response opens another.
            stats.inc_value("warc/write_errors")
            logger.error("WARC: could not archive %s: %s", response.url, exc)
            self.writer.close()
            return
        stats.set_value("warc/records", self.writer.records)
        stats.set_value("warc/bytes", self.writer.bytes)
        stats.set_value("warc/files", len(self.writer.files))

    def spider_closed(self, spider, reason):  # noqa: ARG002
        self.writer.close()
        if self.writer.files:
            logger.info("WARC: %d file(s) in %s", len(self.writer.files), self.writer.directory)
