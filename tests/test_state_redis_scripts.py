"""Redis `done` and `recover` as Lua scripts: each document settles, or is released, in one
atomic step against a real redis-server."""
import os
import socket
import subprocess
import sys

import redis

from pipelines.state_redis import RedisStore


def dead_holder(since):
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout)
    return {"host": socket.gethostname(), "pid": gone, "since": since}


def claim_all(store, doc, url):
    store.begin(doc, url, text_hash="h-" + doc)
    store.claim_url(url)
    store.claim_key("key-" + doc, doc)
    store.claim_near(doc, [b"band1-" + doc.encode(), b"band2-" + doc.encode()], bytes(8 * 4), 0.8)


def test_done_settles_the_article_and_keeps_its_first_export_time(redis_server):
    store = RedisStore(redis_server.url)
    store.join({"host": socket.gethostname(), "pid": os.getpid(), "since": "t"})
    claim_all(store, "d1", "http://example.com/a")
    store.done("d1")
    h, first = store.article("http://example.com/a")
    assert h == "h-d1" and first
    store.begin("d2", "http://example.com/a", text_hash="h-new", update=True)
    store.done("d2")
    assert store.article("http://example.com/a") == ("h-new", first)
    assert redis.Redis.from_url(redis_server.url).hlen(store.p + "pending") == 0
    store.begin("d3", "http://example.com/b", text_hash="h3")
    store.done("d3", kept=False)   # dropped: its claims final, no article recorded
    assert store.article("http://example.com/b") is None


def test_recover_releases_every_claim_of_a_dead_workers_document(redis_server):
    r = redis.Redis.from_url(redis_server.url)
    dead = RedisStore(redis_server.url)
    dead.join(dead_holder("t0"))
    claim_all(dead, "lost", "http://example.com/lost")
    claim_all(dead, "in-feed", "http://example.com/in-feed")
    me = RedisStore(redis_server.url)
    me.join({"host": socket.gethostname(), "pid": os.getpid(), "since": "t1"})
    assert me.recover(lambda doc_id: doc_id == "in-feed") == 1
    assert not me.has_url("http://example.com/lost") and me.has_url("http://example.com/in-feed")
    assert me.article("http://example.com/in-feed")[0] == "h-in-feed"
    assert not r.hexists(me.p + "keys", "key-lost") and r.hexists(me.p + "keys", "key-in-feed")
    assert not r.sismember(me.p + "band:" + b"band1-lost".hex(), "lost")
    assert not r.hexists(me.p + "signatures", "lost") and r.hlen(me.p + "pending") == 0


def test_release_leaves_an_entry_changed_since_recovery_read_it(redis_server):
    store = RedisStore(redis_server.url)
    store.join({"host": socket.gethostname(), "pid": os.getpid(), "since": "t"})
    claim_all(store, "d", "http://example.com/d")
    keys = [store.p + k for k in ("pending", "urls", "keys", "signatures", "doc_bands", "doc_key")]
    assert store._release(keys=keys, args=["d", b'{"url": "http://example.com/d", "owner": "someone else"}']) == 0
    assert store.has_url("http://example.com/d")
    raw = redis.Redis.from_url(redis_server.url).hget(store.p + "pending", "d")
    assert store._release(keys=keys, args=["d", raw]) == 1
    assert not store.has_url("http://example.com/d")
