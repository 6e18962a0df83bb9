import os
import sqlite3
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


def _signatures(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2 ** 32, size=(n, 128), dtype=np.uint64)


def _bands(sig: np.ndarray) -> list[bytes]:
    from pipelines.dedupe import MinHashConfig, bands
    return bands(sig, MinHashConfig())


def count(store, table: str) -> int:
    return store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_bands_are_folded_into_the_index_and_still_found(tmp_path, monkeypatch):
    import pipelines.state as state
    monkeypatch.setattr(state, "FOLD_EVERY", 8)
    monkeypatch.setattr(state, "FOLD_SWEEP_DOCS", 32)     # a sweep every 32 documents
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    sigs = _signatures(100)
    for i, sig in enumerate(sigs[:60]):
        assert store.claim_near(f"d{i}", _bands(sig), sig.tobytes(), 0.8) is None
    recent, index = count(store, "band_recent"), count(store, "band_index")
    assert recent + index == 60 * 16 and index > 0 and recent > 0
    assert recent <= 32 * 16          # a sweep's worth of documents at most
    cursor = store._fold_cursor
    store.close()
    store = SQLiteStore(path)
    assert store._fold_cursor == cursor != -2 ** 63     # the next run sweeps on from there
    for i, sig in enumerate(sigs[60:], start=60):
        store.claim_near(f"d{i}", _bands(sig), sig.tobytes(), 0.8)
    # a stored document is found through one band, in either table
    from pipelines.state import band_key
    where = {}
    for i in range(100):
        key = band_key(_bands(sigs[i])[0])
        for table in ("band_recent", "band_index"):
            if store.db.execute(f"SELECT 1 FROM {table} WHERE band = ?", (key,)).fetchone():
                where.setdefault(table, i)
    assert set(where) == {"band_recent", "band_index"}
    for i in where.values():
        copy = sigs[i].copy()
        copy[8:] += 1                 # only the first band left equal: 8 of 128 values
        assert store.claim_near("probe", _bands(sigs[i])[:1], sigs[i].tobytes(), 0.8) == f"d{i}"
        assert store.claim_near("far", _bands(copy)[:1], copy.tobytes(), 0.8) is None


def test_a_released_document_takes_its_bands_and_sketch_with_it(tmp_path, monkeypatch):
    import pipelines.state as state
    monkeypatch.setattr(state, "FOLD_EVERY", 2)
    monkeypatch.setattr(state, "FOLD_SWEEP_DOCS", 4)
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    sigs = _signatures(6, seed=5)
    for i, sig in enumerate(sigs):
        store.begin(f"d{i}", f"http://example.com/{i}")
        assert store.claim_url(f"http://example.com/{i}")
        assert store.claim_near(f"d{i}", _bands(sig), sig.tobytes(), 0.8) is None
        if i != 3:
            store.done(f"d{i}")
    assert count(store, "band_index") > 0     # some of d3's rows may have been folded already
    store.close()
    store = SQLiteStore(path)
    assert store.recover() == 1               # d3 never reached a feed
    assert count(store, "sketches") == 5 and count(store, "band_recent") + count(store, "band_index") == 5 * 16
    assert store.claim_near("again", _bands(sigs[3]), sigs[3].tobytes(), 0.8) is None
    assert store.claim_near("copy", _bands(sigs[4]), sigs[4].tobytes(), 0.8) == "d4"


def test_a_store_from_before_band_index_is_migrated(tmp_path):
    import sqlite3
    path = tmp_path / "state.sqlite"
    sigs = _signatures(3, seed=7)
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript("""
        CREATE TABLE urls (url TEXT PRIMARY KEY, text_hash TEXT, seen_at REAL);
        CREATE TABLE bands (band BLOB NOT NULL, doc_id TEXT NOT NULL);
        CREATE INDEX bands_band ON bands (band);
        CREATE TABLE signatures (doc_id TEXT PRIMARY KEY, signature BLOB NOT NULL);
        CREATE TABLE pending (doc_id TEXT PRIMARY KEY, url TEXT NOT NULL, owner TEXT,
                              text_hash TEXT, updating INTEGER NOT NULL DEFAULT 0);
    """)
    for i, sig in enumerate(sigs):
        old.execute("INSERT INTO urls (url) VALUES (?)", (f"http://example.com/{i}",))
        old.execute("INSERT INTO signatures VALUES (?, ?)", (f"old{i}", sig.tobytes()))
        old.executemany("INSERT INTO bands VALUES (?, ?)", [(b, f"old{i}") for b in _bands(sig)])
    old.execute("INSERT INTO pending (doc_id, url) VALUES ('old2', 'http://example.com/2')")   # killed mid-claim
    old.close()
    store = SQLiteStore(path)
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "bands" not in tables and "signatures" not in tables
    assert count(store, "sketches") == 3 and count(store, "band_index") == 3 * 16
    assert store.claim_near("new", _bands(sigs[0]), sigs[0].tobytes(), 0.8) == "old0"
    assert store.recover() == 1               # old2's claims, bands and sketch are released
    assert count(store, "sketches") == 2 and count(store, "band_index") == 2 * 16
    assert store.claim_near("new2", _bands(sigs[2]), sigs[2].tobytes(), 0.8) is None
    assert store.claim_near("new1", _bands(sigs[1]), sigs[1].tobytes(), 0.8) == "old1"


def test_a_released_documents_content_key_is_freed_through_its_hash(tmp_path):
    from pipelines.dedupe import MinHashConfig, check
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path)
    text = "نص المقالة الأولى " * 30
    verdict, key = check(store, "a", "http://example.com/a", text, MinHashConfig())
    assert verdict.duplicate is None and store.claim_key(key, "other") == "a"
    store.close()
    store = SQLiteStore(path)
    assert store.recover() == 1             # "a" never reached a feed
    assert store.claim_key(key, "b") is None


def test_a_sites_run_mark_and_its_listings_validators_are_kept_together(tmp_path):
    """What discovery keeps (crawler/spiders/news.py): a site's last complete run and the
    validators its listings answered with; added to a store made before them."""
    path = tmp_path / "s.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE urls (url TEXT PRIMARY KEY)")   # a store from before site_runs
    old.execute("INSERT INTO urls (url) VALUES ('http://example.com/a')")
    old.commit()
    old.close()
    store = open_store(f"sqlite:///{path}")
    assert store.last_run("demo") is None and store.validators("http://example.com/sitemap.xml") is None
    assert store.stored_urls(["http://example.com/a", "http://example.com/b"]) == {"http://example.com/a"}
    many = [f"http://example.com/{i}" for i in range(1200)]   # more than one batch
    for url in many[::3]:
        store.claim_url(url)
    assert store.stored_urls(many) == set(many[::3])
    store.finish_run("demo", 1700000000.5, {"http://example.com/sitemap.xml": ('"abc"', None),
                                            "http://example.com/feed": (None, "Sun, 06 Dec 2026 10:00:00 GMT")})
    store.close()
    store = open_store(f"sqlite:///{path}")
    assert store.last_run("demo") == 1700000000.5 and store.last_run("other") is None
    assert store.validators("http://example.com/sitemap.xml") == ('"abc"', None)
    assert store.validators("http://example.com/feed") == (None, "Sun, 06 Dec 2026 10:00:00 GMT")
    store.finish_run("demo", 1700003600.0, {"http://example.com/sitemap.xml": ('"def"', None)})
    assert store.last_run("demo") == 1700003600.0 and store.validators("http://example.com/sitemap.xml") == ('"def"', None)
