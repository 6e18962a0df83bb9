"""`scrapy seeds [-a site=NAME | -a seeds=FILE]`: the seed doctor (crawler/doctor.py).

Prints, per seed, what its robots.txt, sitemaps, feeds and first section page hold and how
three of its newest articles come out of the pipelines; exits with 1 when a seed is broken,
so it can gate a first crawl or a changed seed file.
"""
from __future__ import annotations

from scrapy.commands import BaseRunSpiderCommand

from crawler.doctor import SeedDoctor, format_checks


class Command(BaseRunSpiderCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}   # the table is the output

    def syntax(self):
        return "[-a site=NAME] [-a seeds=FILE_OR_FOLDER]"

    def short_desc(self):
        return "Check the seeds against their sites: sources, dates, article pattern, sample articles"

    def run(self, args, opts):
        crawler = self._create_crawler(SeedDoctor)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        spider = getattr(crawler, "spider", None)
        if self.crawler_process.bootstrap_failed or spider is None:
            self.exitcode = 1
            return
        checks = list(spider.checks.values())
        print(format_checks(checks), flush=True)
        if any(check.problems() for check in checks):
            self.exitcode = 1
