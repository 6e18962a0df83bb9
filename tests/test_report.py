"""The crawl report (per site, logged as a table, written as JSON beside the feed), the
periodic progress line, and the close-time checks that make a run exit non-zero."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from statistics import mean

import pytest
from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from conftest import FIXTURES, ROOT, demo_seed_for, read_jsonl, run_scrapy
from crawler.extensions.checks import CheckSettings, judged_sites, run_checks
from crawler.extensions.docstats import count_drop, count_seen, is_failed_fetch
from crawler.extensions.report import CrawlReport, build_report, format_progress, format_table, report_path_for, site_rows

pytestmark = pytest.mark.report

# Two sites as DocStats counts them: news.com kept 3 documents, one without a date;
# cdn.net only served a feed.
STATS = {
    "docs/kept": 3, "docs/dropped/language": 1, "docs/dropped/duplicate": 2, "docs/dropped/http_503": 1,
    "articles/fetched": 6,
    "sites/news.com/pages": 10, "sites/news.com/errors": 1, "sites/news.com/kept": 3,
    "sites/news.com/words": 900, "sites/news.com/filled/title": 3, "sites/news.com/filled/text": 3,
    "sites/news.com/filled/published": 2,
    "sites/news.com/dropped/language": 1, "sites/news.com/dropped/duplicate": 2,
    "sites/news.com/dropped/http_503": 1,
    "sites/cdn.net/pages": 1,
}
CHECKS = CheckSettings(min_documents=1, max_failed_share=0.5,
                       min_coverage={"text": 1.0, "title": 0.9, "published": 0.8}, coverage_min_documents=3)


def row(**counts):
    """A report row for one site from its counters (`filled_title=3` for `filled/title`)."""
    stats = {f"sites/s.example/{k.replace('_', '/', 1) if k.startswith(('filled_', 'dropped_')) else k}": v
             for k, v in counts.items()}
    return site_rows(stats)[0][0]


def failed(checks):
    return [(c["name"], c["site"]) for c in checks if not c["ok"]]


# --- the report from a stats dict ------------------------------------------------------------

def test_rows_per_site_and_total_from_stats():
    rows, total = site_rows(STATS)
    news = next(r for r in rows if r["site"] == "news.com")
    assert [r["site"] for r in rows] == ["cdn.net", "news.com"]
    assert (news["pages"], news["articles"], news["kept"], news["dropped_total"], news["errors"]) == (10, 7, 3, 4, 1)
    assert news["duplicates"] == {"duplicate_url": 0, "duplicate": 2, "near_duplicate": 0}
    assert news["mean_words"] == 300.0
    assert news["coverage"]["published"] == pytest.approx(2 / 3, abs=0.001) and news["coverage"]["title"] == 1.0
    assert (total["pages"], total["kept"], total["dropped_total"]) == (11, 3, 4)
    cdn = rows[0]
    assert cdn["mean_words"] is None and cdn["coverage"] == {} and cdn["articles"] == 0


def test_report_keeps_the_summary_keys_and_the_table_shows_every_site():
    report = build_report(STATS, ["out.jsonl"], "finished", [])
    assert (report["kept"], report["dropped_total"], report["articles_fetched"]) == (3, 4, 6)
    assert report["dropped"] == {"duplicate": 2, "http_503": 1, "language": 1}
    assert report["feeds"] == ["out.jsonl"] and report["finish_reason"] == "finished"
    table = format_table(report)
    news = next(line for line in table.splitlines() if line.startswith("news.com"))
    assert news.split() == ["news.com", "10", "7", "3", "4", "0/2/0", "300", "100%", "67%", "1", "0"]
    assert re.search(r"^TOTAL\s+11\s+7\s+3\s+4\s", table, re.M)
    assert "news.com  duplicate 2, http_503 1, language 1" in table


def test_report_json_goes_beside_the_feed():
    assert report_path_for(ROOT / "output" / "news-1.jsonl") == ROOT / "output" / "news-1.report.json"
    assert report_path_for(ROOT / "feed").name == "feed.report.json"


def test_progress_line():
    line = format_progress(1200, 310.4, 800, 205, {"language": 10, "duplicate": 40})
    assert line == ("Crawled 1200 pages (310 pages/min), kept 800 documents (205/min), "
                    "dropped 50 (duplicate 40, language 10)")


# --- counting ---------------------------------------------------------------------------------

def test_fetch_failures_count_as_pages_and_errors_but_dead_links_only_as_pages():
    crawler = get_crawler(Spider)
    count_drop(crawler, "http_503", "https://www.news.com/a")
    count_drop(crawler, "fetch_TimeoutError", "https://news.com/b")
    count_drop(crawler, "http_404", "https://news.com/c")
    count_drop(crawler, "robots_txt", "https://news.com/d")          # never fetched
    count_drop(crawler, "bad_sitemap", "https://cdn.net/s.xml", article=False)  # fetched: counted on response
    count_seen(crawler, "https://news.com/e")
    stats = crawler.stats.get_stats()
    news = next(r for r in site_rows(stats)[0] if r["site"] == "news.com")
    assert (news["pages"], news["errors"], news["seen"], news["dropped_total"]) == (3, 2, 1, 4)
    assert stats["articles/skipped_seen"] == 1 and "sites/cdn.net/pages" not in stats
    assert not is_failed_fetch("too_large") and is_failed_fetch("dns_error") and is_failed_fetch("http_429")


# --- the checks on crafted stats -------------------------------------------------------------

def test_checks_judge_the_spiders_sites_only():
    rows, _ = site_rows(STATS)
    checks = run_checks(rows, {"news.com"}, CHECKS)
    assert {c["site"] for c in checks} == {"news.com"}
    assert failed(checks) == [("coverage/published", "news.com")]   # 2 of 3 dated


def test_a_site_that_yields_nothing_fails_unless_nothing_was_new():
    nothing = row(pages=12, dropped_no_text=5)
    assert failed(run_checks([nothing], {"s.example"}, CHECKS)) == [("documents", "s.example")]
    # an hourly run: the articles were skipped as already stored, or came back as duplicates
    assert failed(run_checks([row(pages=12, seen=30)], {"s.example"}, CHECKS)) == []
    assert failed(run_checks([row(pages=12, dropped_duplicate_url=3)], {"s.example"}, CHECKS)) == []
    # a spider that counts skipped articles only in total: they may be this site's
    assert failed(run_checks([row(pages=12)], {"s.example"}, CHECKS, unattributed_seen=4)) == []
    # nothing fetched at all (robots.txt refused everything): nothing to judge
    assert run_checks([row(dropped_robots_txt=3)], {"s.example"}, CHECKS) == []


def test_too_many_failed_pages_fail():
    assert failed(run_checks([row(pages=10, errors=6, kept=2)], {"s.example"}, CHECKS)) == [("failed_pages", "s.example")]
    assert failed(run_checks([row(pages=10, errors=5, kept=2)], {"s.example"}, CHECKS)) == []


def test_coverage_is_judged_from_enough_documents_only():
    lacking = dict(pages=20, kept=10, filled_text=10, filled_title=10, filled_published=7)
    assert failed(run_checks([row(**lacking)], {"s.example"}, CHECKS)) == [("coverage/published", "s.example")]
    few = dict(pages=3, kept=2, filled_text=2, filled_title=2)
    assert [c["name"] for c in run_checks([row(**few)], {"s.example"}, CHECKS)] == ["documents", "failed_pages"]


def test_check_settings_from_the_command_line():
    settings = Settings({"CHECK_MIN_COVERAGE": '{"published": 0.5}', "CHECK_MAX_FAILED_SHARE": "0.2"})
    checks = CheckSettings.from_settings(settings)
    assert checks.min_coverage == {"published": 0.5} and checks.max_failed_share == 0.2
    with pytest.raises(ValueError, match="CHECK_MIN_COVERAGE names date"):
        CheckSettings.from_settings(Settings({"CHECK_MIN_COVERAGE": {"date": 1}}))


def test_judged_sites_are_the_spiders_domains():
    spider = Spider(name="x", allowed_domains=["www.news.com", "news.com", "127.0.0.1"])
    assert judged_sites(spider) == {"news.com", "127.0.0.1"}
    assert judged_sites(Spider(name="clean")) == set()


def test_a_run_stopped_by_a_signal_is_not_judged():
    crawler = get_crawler(Spider)
    report = CrawlReport(crawler)
    spider = Spider(name="news", allowed_domains=["s.example"])
    rows = [row(pages=12)]   # fetched pages, nothing kept
    assert report._checks(spider, rows, "shutdown") == []
    assert failed(report._checks(spider, rows, "finished")) == [("documents", "s.example")]
    assert crawler.stats.get_value("checks/failed") == 1


# --- crawls of the fixture site --------------------------------------------------------------

def crawl(seed, out, state, *extra, log=None):
    """`scrapy crawl news`; the process, whatever its exit code."""
    args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
            "-s", f"STATE_URI=sqlite:///{state}", *extra]
    if log:
        args += ["-s", f"LOG_FILE={log}"]
    return subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def two_runs(site_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    seed, state = demo_seed_for(site_url, tmp / "demo.toml"), tmp / "state.sqlite"
    runs = []
    for name in ("first", "second"):
        out, log, summary = tmp / f"{name}.jsonl", tmp / f"{name}.log", tmp / f"{name}.summary.json"
        proc = crawl(seed, out, state, "-s", f"SUMMARY_FILE={summary}", log=log)
        runs.append((proc, out, log.read_text(encoding="utf-8"), summary))
    return runs


def test_the_report_beside_the_feed_matches_the_feed(two_runs):
    proc, out, log, summary = two_runs[0]
    assert proc.returncode == 0, log[-3000:]
    docs = read_jsonl(out)
    report = json.loads(out.with_name("first.report.json").read_text(encoding="utf-8"))
    assert json.loads(summary.read_text(encoding="utf-8")) == report
    sites = {d["site"] for d in docs}
    assert sites and {r["site"] for r in report["sites"]} == sites
    for site in sites:
        mine = [d for d in docs if d["site"] == site]
        row = next(r for r in report["sites"] if r["site"] == site)
        assert row["kept"] == len(mine)
        assert row["mean_words"] == round(mean(d["word_count"] for d in mine), 1)
        assert row["coverage"]["published"] == round(sum(1 for d in mine if d["published"]) / len(mine), 3)
        assert row["articles"] == row["kept"] + row["dropped_total"]
        assert row["pages"] > row["articles"]     # sections, sitemaps and feeds too
    assert report["total"]["kept"] == report["kept"] == len(docs)
    assert report["checks"] and report["checks_failed"] == 0
    assert {c["name"] for c in report["checks"]} >= {"documents", "failed_pages", "coverage/published"}


def test_the_log_holds_the_table_and_the_progress_line(two_runs):
    _, _, log, _ = two_runs[0]
    table = log.split("Crawl report (news, finished):\n", 1)[1]
    assert re.match(r"site\s+pages\s+articles\s+kept\s+dropped\s+dup url/exact/near\s+words/doc", table)
    assert re.search(r"^TOTAL\s+\d+\s+\d+\s+\d+\s", table, re.M)
    assert re.search(r"checks: (\d+) of \1 passed", table)
    # the periodic line in our terms, and not Scrapy's own beside it
    assert re.search(r"INFO: Crawled 0 pages \(0 pages/min\), kept 0 documents \(0/min\), dropped 0", log)
    assert "scraped 0 items" not in log


def test_a_second_run_with_nothing_new_passes_its_checks(two_runs):
    proc, out, log, summary = two_runs[1]
    assert proc.returncode == 0, log[-3000:]
    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["kept"] == 0 and read_jsonl(out) == []
    assert report["checks"] and report["checks_failed"] == 0
    assert "Check failed" not in log
    # no document, yet a report beside the feed that was asked for
    assert out.with_name("second.report.json").exists()


def test_a_site_whose_articles_are_no_longer_found_fails_the_run(site_url, tmp_path):
    # the site "changed its URLs": the seed's article pattern matches nothing any more
    seed = demo_seed_for(site_url, tmp_path / "demo.toml")
    text = re.sub(r"^article_pattern = .*$", "article_pattern = '/no-such-layout/'",
                  seed.read_text(encoding="utf-8"), flags=re.M)
    seed.write_text(text, encoding="utf-8")
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    proc = crawl(seed, out, tmp_path / "state.sqlite", "-s", f"SUMMARY_FILE={summary}")
    assert proc.returncode == 1
    assert re.search(r"ERROR: Check failed: documents on 127\.0\.0\.1: kept 0 documents from \d+ pages", proc.stderr)
    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["checks_failed"] == 1 and report["finish_reason"] == "finished"
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["documents"]


def test_a_coverage_threshold_fails_the_run_with_an_error_line(site_url, tmp_path):
    seed = demo_seed_for(site_url, tmp_path / "demo.toml")
    proc = crawl(seed, tmp_path / "out.jsonl", tmp_path / "state.sqlite",
                 "-s", 'CHECK_MIN_COVERAGE={"published": 1.01}', "-s", "LOG_LEVEL=WARNING")
    assert proc.returncode == 1
    assert re.search(r"ERROR: Check failed: coverage/published on 127\.0\.0\.1: published on (\d+) of \1 documents",
                     proc.stderr)
    assert "1 close-time check(s) failed" in proc.stderr


def test_clean_writes_the_report_beside_its_feed(tmp_path):
    out = tmp_path / "docs.jsonl"
    proc = run_scrapy("clean", str(FIXTURES / "site" / "portal" / "sports"), "-O", str(out))
    report = json.loads((tmp_path / "docs.report.json").read_text(encoding="utf-8"))
    assert [r["site"] for r in report["sites"]] == ["(local files)"]     # saved files have no site
    assert report["sites"][0]["kept"] == len(read_jsonl(out)) > 0
    assert report["checks"] == []        # saved pages are no scheduled crawl of a site
    assert "Crawl report (clean, finished):" in proc.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_demo_prints_the_report(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEMO_PORT": str(free_port())}
    proc = subprocess.run([sys.executable, "-m", "crawler.demo", "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite",
                           "-O", str(tmp_path / "demo.jsonl")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    kept = len(read_jsonl(tmp_path / "demo.jsonl"))
    assert re.search(r"^site\s+pages\s+articles\s+kept", proc.stdout, re.M)
    assert re.search(rf"^TOTAL\s+\d+\s+\d+\s+{kept}\s", proc.stdout, re.M) and kept > 0
    assert f"report: {tmp_path / 'demo.report.json'}" in proc.stdout
