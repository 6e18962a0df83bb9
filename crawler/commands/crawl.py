"""`scrapy crawl`, exiting with 1 when a close-time check failed (crawler/extensions/checks.py).

Scrapy's own command sets its exit code only when the crawl could not start; a scheduled
run whose site changed its layout would otherwise end with 0 and nobody would look.
"""
from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl news" if not args else
                             "running 'scrapy crawl' with more than one spider is not supported")
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or (crawler.stats and crawler.stats.get_value("checks/failed")):
            self.exitcode = 1
