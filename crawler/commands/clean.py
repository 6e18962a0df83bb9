"""`scrapy clean PATH... -o FILE`: the crawl's pipelines over saved HTML pages."""
from __future__ import annotations

from pathlib import Path

import scrapy
from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError

from crawler.pages import apply_default_feed, page_from_response

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def html_files(paths: list[str]) -> list[Path]:
    """The HTML files named, and those under the folders named, in a stable order."""
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {arg}", print_help=False)
    return found


class CleanSpider(scrapy.Spider):
    """Reads local files through Scrapy's file:// handler, so the pages take exactly the
    path a crawled page takes: same encoding detection, same pipelines, same stats."""

    name = "clean"
    custom_settings = {
        # Local files: no throttling (it never adapts for file://), no robots, no politeness.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": 16,
        # Each clean stands alone unless -s STATE_URI=... asks to share a crawl's state.
        "STATE_URI": "sqlite:///:memory:",
        "SKIP_SEEN_ARTICLES": False,
    }

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_default_feed(settings)

    def __init__(self, files: list[Path] | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.files = files or []

    async def start(self):
        for path in self.files:
            yield scrapy.Request(path.resolve().as_uri(), self.parse_page, dont_filter=True)

    def parse_page(self, response):
        page = page_from_response(self.crawler, response)
        if page is not None:
            yield page


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self):
        return "[options] PATH [PATH ...]"

    def short_desc(self):
        return "Clean saved HTML pages (files or folders) with the crawl's pipelines"

    def run(self, args, opts):
        if not args:
            raise UsageError("give at least one HTML file or folder")
        files = html_files(args)
        if not files:
            raise UsageError(f"no .html/.htm files under {' '.join(args)}", print_help=False)
        crawler = self._create_crawler(CleanSpider)
        self.crawler_process.crawl(crawler, files=files, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
