import os
import numpy as np
import pytest

from pipelines.state import SQLiteStore, StateError, open_store


def test_open_store_uris(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/sub/state.sqlite")
    assert isinstance(store, SQLiteStore) and (tmp_path / "sub" / "state.sqlite").exists()
    assert isinstance(open_store("sqlite:///:memory:"), SQLiteStore)
    with pytest.raises(StateError, match="unsupported"):
        open_store("mysql://x")


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "state.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="cannot open state store"):
        SQLiteStore(bad)


def test_claims(tmp_path):
    s = SQLiteStore(tmp_path / "s.sqlite")
    assert s.claim_url("http://a") and not s.claim_url("http://a") and s.has_url("http://a")
    assert s.claim_key("k", "doc1") is None and s.claim_key("k", "doc2") == "doc1"
    sig = np.arange(128, dtype=np.uint64)
    near, far = sig.copy(), sig.copy()
    near[:20] += 1000    # 108 of 128 values equal: 0.84
    far[:40] += 1000     # 88 of 128: 0.69
    assert s.claim_near("d1", [b"b1", b"b2"], sig.tobytes(), 0.8) is None
    assert s.claim_near("d2", [b"b9", b"b2"], near.tobytes(), 0.8) == "d1"
    assert s.claim_near("d3", [b"b9", b"b2"], far.tobytes(), 0.8) is None   # d2 was not stored; d1 too far
    assert s.claim_near("d4", [b"b5"], sig.tobytes(), 0.8) is None            # similar, but shares no band


def test_claims_of_a_document_never_exported_are_released_at_the_next_open(tmp_path):
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    store.begin("a", "http://example.com/a")
    assert store.claim_url("http://example.com/a") and store.claim_key("ka", "a") is None
    store.begin("b", "http://example.com/b")
    assert store.claim_url("http://example.com/b") and store.claim_key("kb", "b") is None
    store.done("b")          # b reached the feed; a was in flight when the run was killed
    store.close()
    store = SQLiteStore(path)
    assert store.recover() == 1
    assert not store.has_url("http://example.com/a") and store.claim_key("ka", "a2") is None
    assert store.has_url("http://example.com/b") and store.claim_key("kb", "b2") == "b"
    assert store.recover() == 0


def test_a_corrupt_state_file_is_a_clear_error(tmp_path):
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"not a database, only bytes that look nothing like one " * 40)
    with pytest.raises(StateError, match="cannot open state store .*not a database"):
        SQLiteStore(path)


def test_a_locked_state_file_is_a_clear_error(tmp_path):
    import sqlite3
    path = tmp_path / "state.sqlite"
    SQLiteStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store = SQLiteStore(path)
    store.db.execute("PRAGMA busy_timeout = 100")
    with pytest.raises(StateError, match="in use .*another crawl"):
        store.recover()
    holder.rollback()


def test_a_document_the_last_feed_holds_is_done_not_released(tmp_path):
    store = SQLiteStore(tmp_path / "state.sqlite")
    for doc in ("in-feed", "lost"):
        store.begin(doc, f"http://example.com/{doc}")
        store.claim_url(f"http://example.com/{doc}")
    store.note_feed(str(tmp_path / "run1.jsonl"))
    assert store.feeds() == [str(tmp_path / "run1.jsonl")]
    assert store.recover(lambda doc_id: doc_id == "in-feed") == 1
    assert store.has_url("http://example.com/in-feed") and not store.has_url("http://example.com/lost")
    store.forget_feeds()
    assert store.feeds() == []


def test_one_crawl_at_a_time_and_a_dead_holder_loses_the_lock(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    path = tmp_path / "state.sqlite"
    first, second = SQLiteStore(path), SQLiteStore(path)
    me = {"host": socket.gethostname(), "pid": os.getpid(), "since": "now"}
    assert first.acquire_lock(me) is None
    assert second.acquire_lock({**me, "since": "later"}) == me      # this process is alive
    first.release_lock(me)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = {**me, "pid": int(gone.stdout)}                          # a crawl killed with its lock held
    assert first.acquire_lock(dead) is None
    assert second.acquire_lock(me) is None                          # taken over from the dead one
    elsewhere = {"host": "another-host", "pid": 1, "since": "now"}
    second.release_lock(me)
    assert first.acquire_lock(elsewhere) is None
    assert second.acquire_lock(me) == elsewhere                     # its heartbeat is fresh


def test_a_dead_workers_claims_are_released_and_a_live_ones_kept(tmp_path):
    import socket
    import subprocess
    import sys
    path = tmp_path / "state.sqlite"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = {"host": socket.gethostname(), "pid": int(gone.stdout), "since": "t0"}
    alive = {"host": socket.gethostname(), "pid": os.getpid(), "since": "t1"}
    for holder, doc in ((dead, "d"), (alive, "a")):
        store = SQLiteStore(path)
        store.join(holder)
        store.begin(doc, f"http://example.com/{doc}")
        store.claim_url(f"http://example.com/{doc}")
    me = SQLiteStore(path)
    me.join({"host": socket.gethostname(), "pid": os.getpid(), "since": "t2"})
    assert me.recover() == 1
    assert not me.has_url("http://example.com/d") and me.has_url("http://example.com/a")
    assert sorted(h["since"] for h in me.live_workers()) == ["t1", "t2"]
    assert me.db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == 2   # the dead one is forgotten
