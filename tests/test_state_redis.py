"""The Redis state store against a real redis-server: the SQLite store's contract, and a
password in the URL honoured."""
import numpy as np
import pytest

from conftest import RedisServer
from pipelines.state import StateError, open_store


def test_claims_params_and_recovery(redis_server):
    store = open_store(redis_server.url)
    assert store.claim_url("http://example.com/a") and not store.claim_url("http://example.com/a")
    assert store.has_url("http://example.com/a") and not store.has_url("http://example.com/b")
    assert store.claim_key("k1", "d1") is None and store.claim_key("k1", "d2") == "d1"
    sig = np.arange(128, dtype=np.uint64)
    near = sig.copy()
    near[:20] += 1000                                   # 108 of 128 values equal: 0.84
    far = sig.copy()
    far[:40] += 1000                                    # 88 of 128: 0.69
    assert store.claim_near("d1", [b"band-a", b"band-b"], sig.tobytes(), 0.8) is None
    assert store.claim_near("d2", [b"band-b"], near.tobytes(), 0.8) == "d1"
    assert store.claim_near("d3", [b"band-b"], far.tobytes(), 0.8) is None   # shares a band, not similar
    assert store.claim_near("d4", [b"band-c"], sig.tobytes(), 0.8) is None   # similar, shares no band
    store.ensure_param("minhash", "x")
    with pytest.raises(StateError, match="was made with"):
        store.ensure_param("minhash", "y")
    store.begin("d9", "http://example.com/z")
    store.claim_url("http://example.com/z")
    assert store.claim_key("k9", "d9") is None
    assert store.claim_near("d9", [b"band-z"], (sig + 5).tobytes(), 0.8) is None
    store.begin("d8", "http://example.com/y")
    store.claim_url("http://example.com/y")
    store.done("d8")
    store.close()
    store = open_store(redis_server.url)
    assert store.recover() == 1
    assert not store.has_url("http://example.com/z") and store.claim_key("k9", "other") is None
    assert store.has_url("http://example.com/y")
    assert store.claim_near("d10", [b"band-z"], (sig + 5).tobytes(), 0.8) is None  # d9's band released


def test_password_is_honoured(tmp_path):
    server = RedisServer(tmp_path, password="s3cret")
    try:
        assert open_store(server.url).claim_url("http://example.com/a")
        with pytest.raises(StateError, match="cannot open state store"):
            open_store(f"redis://:wrong@127.0.0.1:{server.port}/0")
        with pytest.raises(StateError, match=r"\*\*\*@"):   # the password never reaches a message
            open_store(f"redis://:wrong@127.0.0.1:{server.port}/0")
    finally:
        server.stop()


def test_no_server_is_a_clear_error():
    with pytest.raises(StateError, match="cannot open state store redis://127.0.0.1:9/0"):
        open_store("redis://127.0.0.1:9/0")


def test_the_run_lock_on_redis(redis_server):
    import os
    import socket
    first, second = open_store(redis_server.url), open_store(redis_server.url)
    me = {"host": socket.gethostname(), "pid": os.getpid(), "since": "now"}
    assert first.acquire_lock(me) is None
    assert second.acquire_lock({**me, "since": "later"})["pid"] == os.getpid()
    first.refresh_lock(me)
    first.release_lock(me)
    assert second.acquire_lock(me) is None


def test_a_sites_run_mark_and_its_listings_validators(redis_server):
    store = open_store(redis_server.url)
    assert store.last_run("demo") is None and store.validators("http://example.com/sitemap.xml") is None
    assert store.stored_urls([]) == set()
    store.claim_url("http://example.com/a")
    assert store.stored_urls(["http://example.com/a", "http://example.com/b"]) == {"http://example.com/a"}
    store.finish_run("demo", 1700000000.5, {"http://example.com/sitemap.xml": ('"abc"', None)})
    store.close()
    store = open_store(redis_server.url)
    assert store.last_run("demo") == 1700000000.5 and store.last_run("other") is None
    assert store.validators("http://example.com/sitemap.xml") == ('"abc"', None)
    store.finish_run("demo", 1700003600.0, {})
    assert store.last_run("demo") == 1700003600.0 and store.validators("http://example.com/sitemap.xml") == ('"abc"', None)
