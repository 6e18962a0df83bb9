"""Kill -9 and signals in the middle of a crawl: every article ends up in the feeds exactly once.

A document's claims in the state store stay provisional until the feed has it, and a new
run releases the claims of documents an interrupted run never exported.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, demo_seed_for, load_goldens, parquet_documents

pytestmark = pytest.mark.faults

ARTICLES = [g for g in load_goldens() if g["keep"]]
ORIGINALS = sorted(g["path"] for g in ARTICLES if not g["duplicate_of"])
# A syndicated copy or near-duplicate may win over its original: count a story once by family.
FAMILY = {g["path"]: g["duplicate_of"] or g["path"] for g in ARTICLES}


def start_crawl(seed, state, out):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
         "-s", f"STATE_URI=sqlite:///{state}", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def lines_in(path):
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_for_lines(proc, out, n, timeout=120):
    deadline = time.monotonic() + timeout
    while lines_in(out) < n and proc.poll() is None:
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.02)


def documents(paths):
    """Every complete line of every feed; a line cut by the kill is no document."""
    out = []
    for path in paths:
        # a kill can cut a line, even inside a character
        text = path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def story_of(doc):
    return FAMILY["/" + doc["fetched_url"].split("/", 3)[3]]


def test_kill_9_at_five_points_then_resume_exports_every_article_once(site_url, tmp_path):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    feeds = []
    # Kill after the run's first document, and later and later into the crawl.
    for run, kill_after in enumerate((1, 3, 6, 10, 15)):
        out = tmp_path / f"run{run}.jsonl"
        feeds.append(out)
        proc = start_crawl(seed, state, out)
        wait_for_lines(proc, out, kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    final = tmp_path / "final.jsonl"
    feeds.append(final)
    proc = start_crawl(seed, state, final)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    stories = [story_of(d) for d in documents(feeds)]
    assert sorted(stories) == ORIGINALS, "an article is missing or exported twice"


@pytest.mark.parametrize("signals_sent, signum", [(1, signal.SIGTERM), (2, signal.SIGTERM), (1, signal.SIGINT)],
                         ids=["SIGTERM: graceful", "SIGTERM twice: at once", "SIGINT: graceful"])
def test_sigterm_stops_safely_and_the_next_run_completes(site_url, tmp_path, signals_sent, signum):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    proc = start_crawl(seed, state, first)
    wait_for_lines(proc, first, 3)
    for _ in range(signals_sent):
        proc.send_signal(signum)
        time.sleep(0.2)
    _, err = proc.communicate(timeout=60)
    if signals_sent == 1:
        # a graceful stop closes the feed: every line in it is a whole document
        assert all(line.strip() for line in first.read_text(encoding="utf-8").splitlines())
        assert len(documents([first])) == lines_in(first)
    proc = start_crawl(seed, state, second)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents([first, second])) == ORIGINALS


def test_a_corrupt_state_store_stops_the_crawl_at_start_with_a_clear_message(site_url, tmp_path):
    seed, state, out = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite", tmp_path / "o.jsonl"
    state.write_bytes(b"garbage, not SQLite " * 100)
    proc = start_crawl(seed, state, out)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "cannot open state store" in err and "not a database" in err
    assert documents([out]) == []


def test_documents_a_feed_failed_to_write_are_fetched_again_next_run(site_url, tmp_path):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flaky = json.dumps({"jsonl": "tests.failing_exporter.FlakyJsonLinesExporter"})
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", f"{first}:jsonl",
                           "-s", f"STATE_URI=sqlite:///{state}", "-s", f"FEED_EXPORTERS={flaky}", "-s", "LOG_LEVEL=WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "feed export failed" in proc.stderr
    written = documents([first])
    assert 0 < len(written) < len(ORIGINALS)
    proc = start_crawl(seed, state, second)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents([first, second])) == ORIGINALS


def test_redis_gone_mid_crawl_stops_it_cleanly_and_nothing_unexported_is_done(site_url, tmp_path, redis_server):
    import redis

    seed, first, second = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def crawl(out):
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
             "-s", f"STATE_URI={redis_server.url}", "-s", "DEDUPE_ENABLED=False", "-s", "LOG_LEVEL=INFO"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    proc = crawl(first)
    wait_for_lines(proc, first, 3)
    redis_server.stop()
    _, err = proc.communicate(timeout=120)
    assert "state_store_unavailable" in err and "Traceback" not in err.split("Spider closed")[0].split("stopping the crawl")[0]
    exported = {d["url"] for d in documents([first])}
    redis_server.restart()   # the same data, from its append-only file
    r = redis.Redis.from_url(redis_server.url)
    # the articles the store counts as exported (their text recorded when marked done)
    done = {u.decode() for u in r.hkeys("arabic-news:articles")}
    assert done and done <= exported, "a document was marked done that no feed has"
    proc = crawl(second)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    paths = sorted("/" + d["fetched_url"].split("/", 3)[3] for d in documents([first, second]))
    assert paths == sorted(g["path"] for g in ARTICLES)


def test_a_second_crawl_on_the_same_state_stops_at_once_with_a_clear_message(site_url, tmp_path):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    proc = start_crawl(seed, state, first)
    wait_for_lines(proc, first, 1)
    other = start_crawl(seed, state, second)
    _, err = other.communicate(timeout=60)
    assert other.returncode != 0 and "is in use by another crawl" in err
    assert documents([second]) == []
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents([first])) == ORIGINALS


def test_pause_and_resume_with_jobdir(site_url, tmp_path):
    """Scrapy's own pause and resume (-s JOBDIR=...): stopped with SIGTERM, started again
    with the same JOBDIR, the crawl goes on from its saved queue and finishes the site."""
    seed, state, jobdir = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite", tmp_path / "job"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outs = [tmp_path / "part1.jsonl", tmp_path / "part2.jsonl"]

    def crawl(out):
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
             "-s", f"STATE_URI=sqlite:///{state}", "-s", f"JOBDIR={jobdir}", "-s", "LOG_LEVEL=INFO"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    proc = crawl(outs[0])
    wait_for_lines(proc, outs[0], 5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert (jobdir / "requests.queue").exists()
    proc = crawl(outs[1])
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert "Resuming crawl" in err
    assert sorted(story_of(d) for d in documents(outs)) == ORIGINALS


def test_kill_9_with_only_a_parquet_feed_loses_no_document(site_url, tmp_path):
    """A Parquet file is unreadable until closed: its documents must stay provisional until
    their batch file is stored, or a kill would lose them for good."""
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def crawl(run):
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}",
             "-O", str(tmp_path / f"{run}-%(batch_id)d.parquet"), "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=10",
             "-s", f"STATE_URI=sqlite:///{state}", "-s", "LOG_LEVEL=WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    proc = crawl("first")
    deadline = time.monotonic() + 120
    while not (tmp_path / "first-3.parquet").exists() and proc.poll() is None:   # two batches stored
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    proc = crawl("second")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    docs = parquet_documents(tmp_path)
    assert sorted(story_of(d) for d in docs) == ORIGINALS
