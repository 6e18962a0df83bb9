"""`scrapy state`: counts by kind and reason; `forget` releases remembered drops by reason,
site and date, so pages dropped by an old heuristic are fetched again. And canonical links
that cannot be one article's URL (the site's root, or one named by many pages) are ignored."""
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, demo_seed_for, read_jsonl
from pipelines.state import SQLiteStore


def fill(store):
    store.remember_drop("http://a.example/1", "language", "a.example")
    store.remember_drop("http://a.example/2", "not_article", "a.example")
    store.remember_drop("http://b.example/3", "language", "b.example")
    store.claim_url("http://a.example/kept")            # an exported article ...
    store.remember_drop("http://a.example/kept", "duplicate", "a.example")   # ... that a later copy named


def check_forget(store):
    assert store.counts()["dropped"] == {"duplicate": 1, "language": 2, "not_article": 1}
    assert store.forget_drops(reason="language", site="b.example") == 1
    assert not store.has_url("http://b.example/3") and store.has_url("http://a.example/1")
    assert store.forget_drops(until=time.time() - 3600) == 0          # all dropped just now
    assert store.forget_drops(since=time.time() - 3600, reason="not_article") == 1
    assert store.counts()["dropped"] == {"duplicate": 1, "language": 1}


def test_sqlite_counts_and_forgets_remembered_drops(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    fill(store)
    store.db.execute("UPDATE urls SET text_hash = 'h' WHERE url = 'http://a.example/kept'")
    check_forget(store)
    assert store.counts()["articles"] == 1
    assert store.forget_drops(reason="duplicate") == 1
    assert store.has_url("http://a.example/kept")                      # an exported article stays


def test_redis_counts_and_forgets_remembered_drops(redis_server):
    import redis

    from pipelines.state_redis import RedisStore
    store = RedisStore(redis_server.url)
    fill(store)
    redis.Redis.from_url(redis_server.url).hset(store.p + "articles", "http://a.example/kept",
                                                json.dumps({"hash": "h", "seen": 1.0}))
    check_forget(store)
    assert store.forget_drops(reason="duplicate") == 1
    assert store.has_url("http://a.example/kept")


def scrapy(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_forgotten_drops_are_fetched_and_judged_again(site_url, tmp_path):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    uri = f"STATE_URI=sqlite:///{state}"

    def crawl(run):
        summary = tmp_path / f"{run}.json"
        scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(tmp_path / f"{run}.jsonl"), "-s", uri,
               "-s", f"SUMMARY_FILE={summary}", "-s", "LOG_LEVEL=WARNING")
        return json.loads(summary.read_text(encoding="utf-8"))

    first = crawl("first")
    counts = json.loads(scrapy("state", "--json", "-s", uri))
    assert counts["articles"] == len(read_jsonl(tmp_path / "first.jsonl"))
    assert counts["dropped"].get("language") == first["dropped"]["language"] > 0
    assert crawl("again")["dropped"].get("language", 0) == 0          # remembered: not fetched again
    released = json.loads(scrapy("state", "forget", "--reason", "language", "--json", "-s", uri))["released"]
    assert released == counts["dropped"]["language"]
    third = crawl("third")
    assert third["dropped"]["language"] == first["dropped"]["language"]   # fetched and judged again
    assert read_jsonl(tmp_path / "third.jsonl") == []


def test_forget_needs_a_criterion(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", "state", "forget", "-s",
                           f"STATE_URI=sqlite:///{tmp_path}/s.sqlite"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0 and "say what to forget" in proc.stderr


@pytest.mark.parametrize("declared, fetched, expected", [
    ("https://news.example/", "https://news.example/2026/story-1", "https://news.example/2026/story-1"),
    ("https://news.example", "https://news.example/a?id=7", "https://news.example/a?id=7"),
    ("https://news.example/?page=1", "https://news.example/story", "https://news.example/?page=1"),
    ("https://news.example/2026/story-1", "https://news.example/amp/story-1", "https://news.example/2026/story-1"),
    ("https://news.example/", "https://news.example/", "https://news.example/"),
])
def test_a_canonical_that_is_the_site_root_is_ignored(declared, fetched, expected):
    from pipelines.urls import canonical_url
    assert canonical_url(declared, fetched) == expected


def test_a_canonical_named_by_many_distinct_pages_is_ignored():
    from crawler.items import Page
    from pipelines.dedupe import DedupePipeline, MinHashConfig
    from pipelines.drops import DuplicateURL

    class Stats:
        def __init__(self):
            self.values = {}

        def inc_value(self, key, count=1, start=0):
            self.values[key] = self.values.get(key, 0) + count

    pipeline = DedupePipeline(SQLiteStore(":memory:"), MinHashConfig(), content=False, canonical_max_shared=3)
    pipeline.crawler = type("Crawler", (), {"stats": Stats()})()
    section = "https://news.example/politics/"
    kept, dropped = [], 0
    for n in range(6):
        page = Page(fetched_url=f"https://news.example/politics/story-{n}", html=None, crawled_at="t", url=section)
        page.paragraphs = [f"story {n} " * 30]
        try:
            kept.append(pipeline.process_item(page).url)
        except DuplicateURL:
            dropped += 1
    # the first three named it (one kept under it, two dropped); from the fourth on it is ignored
    assert kept == [section] + [f"https://news.example/politics/story-{n}" for n in (3, 4, 5)]
    assert dropped == 2 and pipeline.crawler.stats.values["docs/canonical_ignored"] == 3
