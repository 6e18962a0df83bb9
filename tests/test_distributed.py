"""Many machines: two `scrapy crawl news` workers share one crawl through a real redis-server.

Every page request is counted at the server, so "no article fetched twice" is what the
site saw, not what the crawlers say.
"""
import collections
import os
import subprocess
import sys
import threading

import pytest

from conftest import ROOT, RedisServer, demo_seed_for, load_goldens
from fixtures.server import FixtureHandler, make_server
from test_faults import documents

pytestmark = pytest.mark.distributed

ARTICLES = [g for g in load_goldens() if g["keep"]]
ORIGINALS = sorted(g["path"] for g in ARTICLES if not g["duplicate_of"])
FAMILY = {g["path"]: g["duplicate_of"] or g["path"] for g in ARTICLES}
ARTICLE_PATHS = {g["path"] for g in load_goldens()}


class CountingHandler(FixtureHandler):
    def respond(self, send_body):
        self.server.hits[self.path.split("?")[0]] += 1
        super().respond(send_body)


@pytest.fixture()
def counted_site():
    server = make_server()
    server.RequestHandlerClass = CountingHandler
    server.hits = collections.Counter()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def worker(seed, redis_url, out, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
         "-s", f"STATE_URI={redis_url}", "-s", "WORKER_IDLE_TIMEOUT=4", "-s", "LOG_LEVEL=INFO",
         # slow enough that both workers take part in a crawl of ~100 pages
         "-s", "CONCURRENT_REQUESTS=2", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def story_of(doc):
    return FAMILY["/" + doc["fetched_url"].split("/", 3)[3]]


def run_workers(seed, redis_url, outs):
    procs = [worker(seed, redis_url, out) for out in outs]
    errs = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        errs.append(err)
    return errs


def test_two_workers_split_one_crawl_and_export_every_article_once(counted_site, tmp_path):
    redis = RedisServer(tmp_path, password="s3cret")
    try:
        seed = demo_seed_for(counted_site.base_url, tmp_path / "demo.toml")
        outs = [tmp_path / "worker1.jsonl", tmp_path / "worker2.jsonl"]
        errs = run_workers(seed, redis.url, outs)
        per_worker = [documents([out]) for out in outs]
        assert all(per_worker), "one worker exported nothing: the crawl was not split"
        stories = sorted(story_of(d) for d in documents(outs))
        # every story once across both feeds: syndicated copies deduplicated across workers
        assert stories == ORIGINALS
        fetched_twice = {p: n for p, n in counted_site.hits.items() if p in ARTICLE_PATHS and n > 1}
        assert not fetched_twice, f"article pages fetched more than once: {fetched_twice}"
        assert any("joining crawl" in err for err in errs)
        assert all("s3cret" not in err for err in errs), "the Redis password reached the log"

        # An hour later: a new crawl of the same site re-reads its sitemaps and feeds, but
        # fetches no article again and exports nothing.
        counted_site.hits.clear()
        again = [tmp_path / "again1.jsonl", tmp_path / "again2.jsonl"]
        run_workers(seed, redis.url, again)
        assert documents(again) == []
        assert counted_site.hits["/sitemap_index.xml"] >= 1, "the new crawl did not re-read the sitemap"
        assert not {p for p in counted_site.hits if p in ARTICLE_PATHS}
    finally:
        redis.stop()
