"""Freshness-first discovery against a site at real size (fixtures/big_site.py): ten years of
daily child sitemaps, 80 articles a day, a feed and a front page, made on request, with
validators and 304s. Every assertion is on requests counted at the server."""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import read_jsonl, run_scrapy
from crawler.discovery import (DatedSitemap, SinceError, Window, date_in_url, entry_in_window, month_in_url,
                               parse_since, window_for)
from fixtures.big_site import BigSite, serve_big_site, seed_text

PER_DAY = 80
# Loopback: no politeness delays, or a test would wait on AutoThrottle's start delay.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]


def crawl(site: BigSite, tmp, state, name: str, *extra: str):
    seed = tmp / "bigsite.toml"
    seed.write_text(seed_text(site), encoding="utf-8")
    out, summary = tmp / f"{name}.jsonl", tmp / f"{name}.summary.json"
    site.counts.clear()
    site.article_fetches.clear()
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(out), "-s", f"STATE_URI=sqlite:///{state}",
               "-s", f"SUMMARY_FILE={summary}", *FAST, *extra)
    return read_jsonl(out), json.loads(summary.read_text(encoding="utf-8"))


def others(counts) -> int:
    """Requests for anything but an article page."""
    return sum(n for kind, n in counts.items() if "/" not in kind and kind != "article")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The site, served for the module's tests (its URLs name its port, which the store
    remembers), and a first run on it with default settings: what it fetched and the store
    it left, which each test takes a copy of."""
    tmp = tmp_path_factory.mktemp("first")
    with serve_big_site(BigSite()) as site:
        docs, summary = crawl(site, tmp, tmp / "state.sqlite", "first")
        yield {"tmp": tmp, "docs": docs, "summary": summary, "counts": dict(site.counts),
               "fetched": dict(site.article_fetches), "site": site}


def state_after_first(first_run, tmp_path):
    state = tmp_path / "state.sqlite"
    shutil.copy(first_run["tmp"] / "state.sqlite", state)
    return state


def test_a_first_run_reads_days_not_years(first_run):
    counts, docs, site = first_run["counts"], first_run["docs"], first_run["site"]
    assert len(site.days_listed()) >= 3650
    assert 1 <= counts["child"] <= 5, counts
    assert PER_DAY <= counts["article"] <= 3 * PER_DAY, counts
    assert len(docs) == counts["article"], "every article fetched is a new document"
    assert all(n == 1 for n in first_run["fetched"].values()), "an article was fetched twice"
    oldest = min(datetime.fromisoformat(d["published"]) for d in docs)
    assert datetime.now(timezone.utc) - oldest < timedelta(days=3, hours=1)


def test_after_20_new_articles_the_next_run_fetches_exactly_those(first_run, tmp_path):
    state = state_after_first(first_run, tmp_path)
    site = first_run["site"]
    new = site.publish(20)
    docs, _ = crawl(site, tmp_path, state, "second")
    assert sorted(site.article_fetches) == sorted("/" + u.split("/", 3)[3] for u in new)
    assert sorted(d["fetched_url"] for d in docs) == sorted(new)
    assert site.counts["article"] == 20
    assert others(site.counts) <= 30, site.counts
    # Nothing changed since: every listing is asked conditionally and answers 304.
    docs, summary = crawl(site, tmp_path, state, "third")
    assert docs == [] and site.counts["article"] == 0
    conditional = {k: n for k, n in site.counts.items() if k != "robots" and "/" not in k}
    assert conditional and all(site.counts[f"{kind}/304"] == n for kind, n in conditional.items()), site.counts


def test_since_fetches_the_missing_days_once(first_run, tmp_path):
    state = state_after_first(first_run, tmp_path)
    since = (datetime.now(timezone.utc) - timedelta(days=5)).date()
    site = first_run["site"]
    docs, _ = crawl(site, tmp_path, state, "backfill", "-a", f"since={since.isoformat()}")
    fetched = dict(site.article_fetches)
    assert not set(fetched) & set(first_run["fetched"]), "an article of the first run was fetched again"
    assert all(n == 1 for n in fetched.values())
    assert 2 * PER_DAY <= len(fetched) <= 6 * PER_DAY
    days = {date.fromisoformat(path[1:11].replace("/", "-")) for path in fetched}
    assert min(days) >= since - timedelta(days=1)
    ids = [d["id"] for d in docs] + [d["id"] for d in first_run["docs"]]
    assert len(ids) == len(set(ids)), "a document was exported twice"
    assert len(docs) == len(fetched)


def test_max_articles_per_site_bounds_a_run_and_the_next_goes_on(first_run, tmp_path):
    """A capped backfill is not marked as read through: the next run reads from the same
    point and takes the articles the first left."""
    state, site = tmp_path / "state.sqlite", first_run["site"]
    docs, summary = crawl(site, tmp_path, state, "capped", "-s", "MAX_ARTICLES_PER_SITE=30")
    assert site.counts["article"] == 30 and len(docs) == 30
    more, _ = crawl(site, tmp_path, state, "more", "-s", "MAX_ARTICLES_PER_SITE=30")
    assert site.counts["article"] == 30 and not {d["id"] for d in more} & {d["id"] for d in docs}
    # conditional requests wait for a complete run: none was asked with validators yet
    assert not any(k.endswith("/304") for k in site.counts)


def test_jobdir_resumes_a_paused_run(first_run, tmp_path):
    """CLOSESPIDER_ITEMCOUNT stops a run early (not read through, so no mark); with JOBDIR
    the next run resumes the queue and finishes it without asking for anything twice."""
    state, jobdir, site = tmp_path / "state.sqlite", tmp_path / "job", first_run["site"]
    crawl(site, tmp_path, state, "paused", "-s", f"JOBDIR={jobdir}", "-s", "CLOSESPIDER_ITEMCOUNT=10",
          "-s", "CONCURRENT_REQUESTS=2")
    first = dict(site.article_fetches)
    assert first and site.counts["article"] < PER_DAY
    docs, _ = crawl(site, tmp_path, state, "resumed", "-s", f"JOBDIR={jobdir}")
    assert not set(site.article_fetches) & set(first)
    assert PER_DAY <= len(first) + len(site.article_fetches) <= 3 * PER_DAY + 20


# --- the window, unit by unit --------------------------------------------------------------

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=timezone.utc)),
    ("3d", NOW - timedelta(days=3)),
    ("12h", NOW - timedelta(hours=12)),
    ("2w", NOW - timedelta(days=14)),
    ("2026-12-01T06:00:00+03:00", datetime(2026, 12, 1, 3, tzinfo=timezone.utc)),
])
def test_since_values(value, expected):
    assert parse_since(value, NOW) == expected


def test_a_wrong_since_is_refused():
    with pytest.raises(SinceError, match="since='yesterday'"):
        parse_since("yesterday", NOW)


def test_a_wrong_since_stops_the_crawl_before_it_starts(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", "since=last week",
                           "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "since='last week'" in proc.stderr


@pytest.mark.parametrize("url, day", [
    ("https://www.aljazeera.net/news/2026/12/6/some-title", date(2026, 12, 6)),
    ("https://x.com/sitemaps/2026-12-05.xml", date(2026, 12, 5)),
    ("https://x.com/sitemap_20261204.xml", date(2026, 12, 4)),
    ("https://x.com/story/7012345", None),
    ("https://x.com/a/20261399/b", None),
])
def test_dates_in_urls(url, day):
    assert date_in_url(url) == day


def test_a_month_in_a_url_is_its_last_day():
    assert month_in_url("https://x.com/sitemap-2026-02.xml") == date(2026, 2, 28)
    assert month_in_url("https://x.com/sitemap-2026-12.xml") == date(2026, 12, 31)


def test_windows():
    assert window_for(NOW, None, None, None, 2, 6).start == NOW - timedelta(days=2)
    last = (NOW - timedelta(hours=3)).timestamp()
    assert window_for(NOW, None, last, None, 2, 6).start == NOW - timedelta(hours=9)
    since = NOW - timedelta(days=30)
    assert window_for(NOW, since, last, None, 2, 6).start == since       # a backfill wins over the mark
    seed_since = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert window_for(NOW, None, None, seed_since, 2, 6).start == seed_since


def test_entries_by_lastmod_then_url_date():
    window = Window(NOW - timedelta(days=2), "test")
    assert entry_in_window(window, "https://x.com/a", NOW) is True
    assert entry_in_window(window, "https://x.com/2026/12/06/a", NOW - timedelta(days=9)) is False
    assert entry_in_window(window, "https://x.com/2026/12/03/a", None) is True    # a day of slack
    assert entry_in_window(window, "https://x.com/2026/12/02/a", None) is False
    assert entry_in_window(window, "https://x.com/a", None) is None


def test_google_news_dates_are_read():
    body = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.com/a</loc>
      <news:news><news:publication_date>2026-12-06T10:00:00+03:00</news:publication_date></news:news></url>
      <url><loc>https://x.com/b</loc><lastmod>2026-12-01</lastmod></url></urlset>"""
    entries = list(DatedSitemap(body))
    assert entries[0]["publication_date"] == "2026-12-06T10:00:00+03:00"
    assert entries[1]["lastmod"] == "2026-12-01" and "publication_date" not in entries[1]


def test_robots_crawl_delay_is_respected(tmp_path):
    """A site whose robots.txt asks for 0.5 s between requests gets at least that, AutoThrottle
    and jitter notwithstanding (arrival times at the server; a lower bound, not a speed)."""
    with serve_big_site(BigSite(days=3, per_day=6, crawl_delay=0.5)) as site:
        crawl(site, tmp_path, tmp_path / "state.sqlite", "polite", "-s", "AUTOTHROTTLE_ENABLED=True")
        arrivals = sorted(t for t, _ in site.arrivals)
    assert len(arrivals) >= 8
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= 0.45, gaps


def test_undated_children_of_an_index_are_read_at_its_two_ends(tmp_path):
    from scrapy import Request
    from scrapy.http import XmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.spiders.news import NewsSpider
    seed = tmp_path / "s.toml"
    seed.write_text('name = "s"\nallowed_domains = ["example.com"]\narticle_pattern = "/a/"\n'
                    'sitemaps = ["https://example.com/index.xml"]\n', encoding="utf-8")
    crawler = get_crawler(NewsSpider, {"STATE_URI": "sqlite:///:memory:", "DISCOVERY_UNDATED_SITEMAPS": 4})
    spider = NewsSpider.from_crawler(crawler, seeds=str(seed))
    crawler.spider = spider
    spider.windows["s"] = Window(NOW - timedelta(days=2), "test")
    children = [f"https://example.com/sitemap-{n}.xml" for n in range(1, 11)]
    dated = ("<sitemap><loc>https://example.com/sitemap-2026-12-05.xml</loc></sitemap>"
             "<sitemap><loc>https://example.com/old.xml</loc><lastmod>2019-01-01</lastmod></sitemap>")
    body = ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children) + dated + "</sitemapindex>").encode()
    url = "https://example.com/index.xml"
    response = XmlResponse(url, body=body, request=Request(url, meta={"seed": "s", "listing": url}))
    followed = [r.url for r in spider.parse_sitemap(response)]
    assert followed == ["https://example.com/sitemap-2026-12-05.xml", *children[:2], *children[-2:]]
    assert crawler.stats.get_value("discovery/sitemaps_undated_skipped") == 6
    assert crawler.stats.get_value("discovery/sitemaps_old") == 1


def test_an_index_with_undated_children_is_never_asked_conditionally(tmp_path):
    """A child without lastmod may grow while its index stays the same: a 304 on that index
    would hide it, so its validators are not kept."""
    from scrapy import Request
    from scrapy.http import XmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.spiders.news import NewsSpider
    seed = tmp_path / "s.toml"
    seed.write_text('name = "s"\nallowed_domains = ["example.com"]\narticle_pattern = "/a/"\n'
                    'sitemaps = ["https://example.com/index.xml"]\n', encoding="utf-8")
    crawler = get_crawler(NewsSpider, {"STATE_URI": "sqlite:///:memory:"})
    spider = NewsSpider.from_crawler(crawler, seeds=str(seed))
    crawler.spider = spider
    spider.windows["s"] = Window(NOW - timedelta(days=2), "test")
    url = "https://example.com/index.xml"

    def index(*children: str) -> XmlResponse:
        body = ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(children)
                + "</sitemapindex>").encode()
        return XmlResponse(url, body=body, headers={"ETag": '"v1"'},
                           request=Request(url, meta={"seed": "s", "listing": url}))

    list(spider.parse_sitemap(index("<sitemap><loc>https://example.com/s-2026-12-06.xml</loc>"
                                    "<lastmod>2026-12-06T10:00:00Z</lastmod></sitemap>")))
    assert spider.learnt["s"][url] == ('"v1"', None)
    list(spider.parse_sitemap(index("<sitemap><loc>https://example.com/s-2026-12-06.xml</loc>"
                                    "<lastmod>2026-12-06T10:00:00Z</lastmod></sitemap>",
                                    "<sitemap><loc>https://example.com/latest.xml</loc></sitemap>")))
    assert url not in spider.learnt["s"]
