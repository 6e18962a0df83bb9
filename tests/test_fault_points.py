"""Deterministic faults: the crawl kills itself with SIGKILL at a named point in the code
(crawler/faults.py, FAULT_POINT and FAULT_AFTER), not "about then" by a test's clock. Each
point is hit in five killed runs, at different documents, and a last run completes the
crawl: every article is in the feeds exactly once."""
import os
import signal
import subprocess
import sys
import zlib

import pytest

from conftest import ROOT, demo_seed_for, parquet_documents
from test_faults import ORIGINALS, documents, story_of

pytestmark = pytest.mark.faults

KILLED = -signal.SIGKILL


def crawl(seed, state, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}",
                           "-s", f"STATE_URI=sqlite:///{state}", "-s", "LOG_LEVEL=WARNING", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stderr


def fault(point, after):
    return ["-s", f"FAULT_POINT={point}", "-s", f"FAULT_AFTER={after}"]


@pytest.mark.parametrize("point", ["before_feed_write", "after_feed_write"])
def test_killed_around_the_feed_write_every_article_once(site_url, tmp_path, point):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    feeds = []
    for run, after in enumerate((1, 2, 5, 3, 1)):
        feeds.append(tmp_path / f"run{run}.jsonl")
        code, err = crawl(seed, state, "-O", str(feeds[-1]), *fault(point, after))
        assert code == KILLED, err[-2000:]
    feeds.append(tmp_path / "final.jsonl")
    code, err = crawl(seed, state, "-O", str(feeds[-1]))
    assert code == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents(feeds)) == ORIGINALS


@pytest.mark.parametrize("point, runs", [("parquet_batch", (1, 4, 5, 2, 3)), ("after_feed_store", (1, 2, 1, 3, 1))])
def test_killed_inside_a_parquet_batch_or_after_it_is_stored_every_article_once(site_url, tmp_path, point, runs):
    # batches of 6 documents in row groups of 2: the 3rd row group is its batch's last
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    for run, after in enumerate(runs):
        code, err = crawl(seed, state, "-O", str(tmp_path / f"run{run}-%(batch_id)d.parquet"),
                          "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=6", "-s", "PARQUET_ROW_GROUP_SIZE=2", *fault(point, after))
        assert code == KILLED, err[-2000:]
    code, err = crawl(seed, state, "-O", str(tmp_path / "final-%(batch_id)d.parquet"),
                      "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=6")
    assert code == 0, err[-3000:]
    assert sorted(story_of(d) for d in parquet_documents(tmp_path)) == ORIGINALS


def ends_inside_a_record(path) -> bool:
    """Whether the file's last gzip member (a WARC record each) is cut short."""
    data = path.read_bytes()
    while data:
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member.decompress(data)
        if not member.eof:
            return True
        data = member.unused_data
    return False


def test_killed_inside_a_warc_record_every_article_once_and_the_archive_still_cleans(site_url, tmp_path):
    seed, state, warc = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite", tmp_path / "warc"
    feeds = []
    for run, after in enumerate((2, 30, 9, 60, 45)):
        feeds.append(tmp_path / f"run{run}.jsonl")
        before = set(warc.glob("*.warc.gz"))
        code, err = crawl(seed, state, "-O", str(feeds[-1]), "-s", f"WARC_DIR={warc}", *fault("warc_record", after))
        assert code == KILLED, err[-2000:]
        [archive] = set(warc.glob("*.warc.gz")) - before   # one file a run
        assert ends_inside_a_record(archive)
    feeds.append(tmp_path / "final.jsonl")
    code, err = crawl(seed, state, "-O", str(feeds[-1]), "-s", f"WARC_DIR={warc}")
    assert code == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents(feeds)) == ORIGINALS
    # cleaning the archives goes on past the records the kills cut
    cleaned = tmp_path / "cleaned.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", "clean", str(warc), "-O", str(cleaned)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert documents([cleaned])


def test_killed_during_recovery_every_article_once(site_url, tmp_path):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    feeds = []
    for run in range(5):
        # a run killed with a document in its feed and not marked done, then one killed
        # while it recovers that run's documents
        feeds.append(tmp_path / f"run{run}.jsonl")
        code, err = crawl(seed, state, "-O", str(feeds[-1]), *fault("after_feed_write", 2))
        assert code == KILLED, err[-2000:]
        code, err = crawl(seed, state, "-O", str(tmp_path / f"recovering{run}.jsonl"), *fault("recovery", 1))
        assert code == KILLED, err[-2000:]
        assert documents([tmp_path / f"recovering{run}.jsonl"]) == []
    feeds.append(tmp_path / "final.jsonl")
    code, err = crawl(seed, state, "-O", str(feeds[-1]))
    assert code == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents(feeds)) == ORIGINALS


def test_an_unknown_fault_point_is_refused():
    from scrapy.settings import Settings

    from crawler import faults
    faults._state["configured"] = False
    with pytest.raises(ValueError, match="FAULT_POINT"):
        faults.configure(Settings({"FAULT_POINT": "nowhere"}))
    faults._state.update(point="", configured=False)
