"""The crawl report: per site, what was fetched, kept, dropped and why, at the end of every
run (`scrapy crawl` and `scrapy clean`); and the progress line logged while a crawl runs.

The report is built from the stats crawler/extensions/docstats.py keeps under `sites/`. It
is logged at INFO as a table and written as JSON beside the first local feed (`out.jsonl`
gives `out.report.json`) and to SUMMARY_FILE if set. Its top-level keys include those of
crawler/extensions/summary.py; the close-time checks (crawler/extensions/checks.py) run on
its rows and their results are part of it.
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path

from scrapy import signals
from scrapy.extensions.logstats import LogStats

from crawler.extensions import checks as close_checks
from crawler.extensions.docstats import COVERAGE_FIELDS, SITES
from crawler.extensions.summary import first_local_feed, summarize, written_feeds

logger = logging.getLogger(__name__)

DUPLICATE_KINDS = ("duplicate_url", "duplicate", "near_duplicate")
TOTAL = "TOTAL"


def site_counters(stats: dict) -> dict[str, Counter]:
    """`sites/<site>/<counter>` stats as one Counter per site."""
    out: dict[str, Counter] = defaultdict(Counter)
    for key, value in stats.items():
        if key.startswith(SITES) and isinstance(value, (int, float)):
            site, _, counter = key[len(SITES):].partition("/")
            out[site][counter] += value
    return dict(out)


def row_from(site: str, counts: Counter) -> dict:
    dropped = {k.split("/", 1)[1]: n for k, n in sorted(counts.items()) if k.startswith("dropped/")}
    kept = counts["kept"]
    return {
        "site": site,
        "pages": counts["pages"],
        "articles": kept + sum(dropped.values()),   # found and asked for: each was kept or dropped
        "kept": kept,
        "dropped": dropped,
        "dropped_total": sum(dropped.values()),
        "duplicates": {kind: dropped.get(kind, 0) for kind in DUPLICATE_KINDS},
        "mean_words": round(counts["words"] / kept, 1) if kept else None,
        "errors": counts["errors"],
        "seen": counts["seen"],
        "not_modified": counts["not_modified"],   # listings that answered 304: nothing new there
        "filled": {name: counts[f"filled/{name}"] for name in COVERAGE_FIELDS},
        "coverage": {name: round(counts[f"filled/{name}"] / kept, 3) for name in COVERAGE_FIELDS} if kept else {},
    }


def site_rows(stats: dict) -> tuple[list[dict], dict]:
    """A row per site, sorted by name, and the row of their total."""
    counters = site_counters(stats)
    rows = [row_from(site, counters[site]) for site in sorted(counters)]
    total = row_from(TOTAL, sum(counters.values(), Counter()))
    # a spider that counts skipped articles only in total still shows them there
    total["seen"] = max(total["seen"], stats.get("articles/skipped_seen", 0))
    return rows, total


def build_report(stats: dict, feeds: list[str], finish_reason: str | None = None,
                 checks: list[dict] | None = None) -> dict:
    rows, total = site_rows(stats)
    report = summarize(stats, feeds)
    report["finish_reason"] = finish_reason
    report["sites"] = rows
    report["total"] = total
    report["checks"] = checks or []
    report["checks_failed"] = sum(1 for c in report["checks"] if not c["ok"])
    return report


def _share(row: dict, name: str) -> str:
    return f"{row['coverage'][name]:.0%}" if name in row["coverage"] else "-"


def _reasons(dropped: dict) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))


def format_table(report: dict) -> str:
    """The report as fixed-width text: a row per site and the total, then the drops by
    reason per site and the failed checks."""
    rows = report["sites"] + [report["total"]]
    width = max([len(r["site"]) for r in rows] + [4])
    head = (f"{'site':<{width}}  {'pages':>6}  {'articles':>8}  {'kept':>6}  {'dropped':>7}  "
            f"{'dup url/exact/near':>18}  {'words/doc':>9}  {'title':>5}  {'published':>9}  {'errors':>6}  {'seen':>6}")
    lines = [head, "-" * len(head)]
    for row in rows:
        if row["site"] == TOTAL and len(rows) > 1:
            lines.append("-" * len(head))
        dup = "/".join(str(row["duplicates"][k]) for k in DUPLICATE_KINDS)
        words = f"{row['mean_words']:.0f}" if row["mean_words"] is not None else "-"
        lines.append(f"{row['site']:<{width}}  {row['pages']:>6}  {row['articles']:>8}  {row['kept']:>6}  "
                     f"{row['dropped_total']:>7}  {dup:>18}  {words:>9}  {_share(row, 'title'):>5}  "
                     f"{_share(row, 'published'):>9}  {row['errors']:>6}  {row['seen']:>6}")
    dropped = [(r["site"], _reasons(r["dropped"])) for r in report["sites"] if r["dropped"]]
    if dropped:
        lines.append("dropped, by reason:")
        lines += [f"  {site:<{width}}  {reasons}" for site, reasons in dropped]
    failed = [c for c in report["checks"] if not c["ok"]]
    if report["checks"]:
        lines.append(f"checks: {len(report['checks']) - len(failed)} of {len(report['checks'])} passed")
        lines += [f"  FAILED {c['name']} on {c['site']}: {c['detail']}" for c in failed]
    return "\n".join(lines)


def report_path_for(feed: Path) -> Path:
    """`out.jsonl` -> `out.report.json`, in the feed's folder."""
    return feed.with_name(f"{feed.stem if feed.suffix else feed.name}.report.json")


class CrawlReport:
    """Builds, logs and writes the report when the spider closes; runs the close-time checks
    first so that their results are in it."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.summary_file = crawler.settings.get("SUMMARY_FILE") or None
        self.beside_feed = crawler.settings.getbool("REPORT_BESIDE_FEED", True)
        self.check_settings = close_checks.CheckSettings.from_settings(crawler.settings)
        self.failed_checks = 0

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def _checks(self, spider, rows: list[dict], reason: str) -> list[dict]:
        if not self.check_settings.enabled:
            return []
        if reason == "shutdown":
            # stopped by a signal: the numbers are partial by someone's choice, not the sites' doing
            logger.info("Close-time checks skipped: the crawl was stopped before it finished")
            return []
        stats = self.crawler.stats
        unattributed = stats.get_value("articles/skipped_seen", 0) - sum(r["seen"] for r in rows)
        found = close_checks.run_checks(rows, close_checks.judged_sites(spider), self.check_settings,
                                        unattributed_seen=max(unattributed, 0))
        self.failed_checks = close_checks.log_failures(found)
        stats.set_value("checks/run", len(found))
        stats.set_value("checks/failed", self.failed_checks)
        return found

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        rows, _ = site_rows(stats)
        found = self._checks(spider, rows, reason)
        report = build_report(stats, written_feeds(self.crawler), reason, found)
        logger.info("Crawl report (%s, %s):\n%s", spider.name, reason, format_table(report))
        for path in self._destinations():
            path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            logger.info("Crawl report written to %s", path)

    def _destinations(self) -> list[Path]:
        out = [Path(self.summary_file)] if self.summary_file else []
        feed = first_local_feed(self.crawler) if self.beside_feed else None
        if feed is not None:
            out.append(report_path_for(feed))
        return out

    def engine_stopped(self):
        if self.failed_checks:
            # `scrapy crawl` exits with 1 (crawler/commands/crawl.py)
            logger.error("%d close-time check(s) failed: the run exits with code 1", self.failed_checks)


def format_progress(pages: int, pages_rate: float, docs: int, docs_rate: float, dropped: dict) -> str:
    """`Crawled 1200 pages (310 pages/min), kept 800 documents (205/min), dropped 300
    (duplicate 40, language 10, ...)`"""
    line = (f"Crawled {pages} pages ({pages_rate:.0f} pages/min), kept {docs} documents ({docs_rate:.0f}/min), "
            f"dropped {sum(dropped.values())}")
    return line + (f" ({_reasons(dropped)})" if dropped else "")


class ProgressStats(LogStats):
    """Scrapy's periodic LogStats line (LOGSTATS_INTERVAL) in the crawl's own terms: pages as
    the report counts them, documents kept, drops by reason. The final `responses_per_minute`
    and `items_per_minute` stats stay LogStats' own."""

    def spider_opened(self, spider):
        self.previous = (0, 0)
        super().spider_opened(spider)

    def log(self, spider):
        stats = self.stats.get_stats()
        pages = sum(v for k, v in stats.items() if k.startswith(SITES) and k.endswith("/pages"))
        docs = stats.get("docs/kept", 0)
        dropped = {k[len("docs/dropped/"):]: v for k, v in stats.items() if k.startswith("docs/dropped/")}
        rates = ((pages - self.previous[0]) * self.multiplier, (docs - self.previous[1]) * self.multiplier)
        self.previous = (pages, docs)
        logger.info("%s", format_progress(pages, rates[0], docs, rates[1], dropped), extra={"spider": spider})
