"""The state store on Redis (`STATE_URI=redis://[:password@]host:port/db`, `rediss://` for TLS).

The same interface as the SQLite store, for crawls whose processes share one state. The
near-duplicate check and claim, marking a document done, and releasing the claims of a
document a dead worker never exported are Lua scripts: each atomic, and one round trip. A Redis that
goes away mid-crawl raises StoreUnavailable, which stops the crawl: nothing is marked done
that was not exported.
"""
from __future__ import annotations

import json
import time
from typing import Callable, Sequence

import redis

from pipelines.state import StateError, StateStore, StoreUnavailable, lock_alive, owner_of


# The near-duplicate check and claim in one atomic round trip: candidates from the bands,
# their signatures compared value by value (8-byte MinHash values), and this document's
# bands and signature stored when none is similar enough. KEYS: the band sets, then the
# signatures hash and the doc_bands hash; ARGV: doc id, signature, threshold, band keys.
CLAIM_NEAR = """
local doc, sig, threshold = ARGV[1], ARGV[2], tonumber(ARGV[3])
local nbands = #KEYS - 2
local signatures, doc_bands = KEYS[nbands + 1], KEYS[nbands + 2]
local values = #sig / 8
local seen = {}
for i = 1, nbands do
  for _, other in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if other ~= doc and not seen[other] then
      seen[other] = true
      local theirs = redis.call('HGET', signatures, other)
      if theirs and #theirs == #sig then
        local same = 0
        for v = 0, values - 1 do
          if string.sub(sig, v * 8 + 1, v * 8 + 8) == string.sub(theirs, v * 8 + 1, v * 8 + 8) then
            same = same + 1
          end
        end
        if same / values >= threshold then return other end
      end
    end
  end
end
redis.call('HSET', signatures, doc, sig)
redis.call('HSET', doc_bands, doc, ARGV[4])
for i = 1, nbands do redis.call('SADD', KEYS[i], doc) end
return false
"""


# A document is done: its pending entry settles (a kept article's URL now answers for its
# text hash, the first export's time kept) and goes, together. KEYS: pending, articles;
# ARGV: doc id, "1" if kept, the time now. Entries of old stores are a bare URL (no hash).
DONE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and ARGV[2] == '1' and string.sub(raw, 1, 1) == '{' then
  local entry = cjson.decode(raw)
  if entry.hash and entry.hash ~= cjson.null then
    local seen = tonumber(ARGV[3])
    local old = redis.call('HGET', KEYS[2], entry.url)
    if old then
      local stored = cjson.decode(old)
      if stored.seen and stored.seen ~= cjson.null then seen = stored.seen end
    end
    redis.call('HSET', KEYS[2], entry.url, cjson.encode({hash = entry.hash, seen = seen}))
  end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return raw and 1 or 0
"""

# A dead worker's document that no feed holds: its URL, exact key, bands and signature are
# released and its pending entry goes, all or nothing, and only if the entry is still the
# one recovery judged (ARGV[2]). KEYS: pending, urls, keys, signatures, doc_bands, doc_key;
# ARGV: doc id, the entry as read. The band sets are named in doc_bands.
RELEASE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or raw ~= ARGV[2] then return 0 end
local url = raw
if string.sub(raw, 1, 1) == '{' then url = cjson.decode(raw).url end
redis.call('SREM', KEYS[2], url)
local key = redis.call('HGET', KEYS[6], ARGV[1])
if key then redis.call('HDEL', KEYS[3], key) end
local bands = redis.call('HGET', KEYS[5], ARGV[1])
if bands then
  for band in string.gmatch(bands, '%S+') do redis.call('SREM', band, ARGV[1]) end
end
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""


class RedisStore(StateStore):
    shared = True   # workers on many machines join one crawl (crawler/distributed.py)
    def __init__(self, uri: str, prefix: str = "arabic-news:"):
        self.uri = uri
        self.p = prefix
        try:
            self.r = redis.Redis.from_url(uri, socket_timeout=10, socket_connect_timeout=5)
            self.r.ping()
            self._claim_near = self.r.register_script(CLAIM_NEAR)
            self._done = self.r.register_script(DONE)
            self._release = self.r.register_script(RELEASE)
        except redis.RedisError as exc:
            raise StateError(f"cannot open state store {_safe(uri)}: {exc}") from exc

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"state store {_safe(self.uri)} stopped answering: {exc}") from exc

    def claim_url(self, url: str) -> bool:
        return self._call(self.r.sadd, self.p + "urls", url) == 1

    def has_url(self, url: str) -> bool:
        return bool(self._call(self.r.sismember, self.p + "urls", url))

    def claim_key(self, key: str, doc_id: str) -> str | None:
        if self._call(self.r.hsetnx, self.p + "keys", key, doc_id):
            self._call(self.r.hset, self.p + "doc_key", doc_id, key)
            return None
        owner = self._call(self.r.hget, self.p + "keys", key)
        return owner.decode() if owner else None

    def claim_near(self, doc_id: str, bands: Sequence[bytes], signature: bytes, threshold: float) -> str | None:
        band_keys = [self.p + "band:" + band.hex() for band in bands]
        found = self._call(self._claim_near, [*band_keys, self.p + "signatures", self.p + "doc_bands"],
                           [doc_id, signature, repr(float(threshold)), " ".join(band_keys)])
        return found.decode() if found else None

    def begin(self, doc_id, url, text_hash=None, update=False):
        entry = {"url": url, "owner": self.owner, "hash": text_hash, "update": update}
        self._call(self.r.hset, self.p + "pending", doc_id, json.dumps(entry))

    def _entry(self, raw: bytes) -> dict:
        text = raw.decode()
        # a store written before pending entries had owners holds the bare URL
        return json.loads(text) if text.startswith("{") else {"url": text, "owner": None}

    def done(self, doc_id, kept=True):
        self._call(lambda: self._done(keys=[self.p + "pending", self.p + "articles"],
                                      args=[doc_id, "1" if kept else "0", repr(time.time())]))

    def article(self, url):
        raw = self._call(self.r.hget, self.p + "articles", url)
        if raw is not None:
            stored = json.loads(raw)
            return stored["hash"], stored["seen"]
        return (None, None) if self.has_url(url) else None

    def recover(self, exported: Callable[[str], bool] = lambda doc_id: False) -> int:
        live = {owner_of(h) for h in self.live_workers()}
        gone = [o for o in self._call(self.r.hkeys, self.p + "workers") if o.decode() not in live]
        if gone:  # killed workers never said goodbye
            self._call(self.r.hdel, self.p + "workers", *gone)
        released = 0
        for raw_id, raw in self._call(self.r.hgetall, self.p + "pending").items():
            doc_id, entry = raw_id.decode(), self._entry(raw)
            if entry.get("owner") in live:
                continue  # another worker's document, still in its hands
            if exported(doc_id):
                self.done(doc_id)
                continue
            if entry.get("update"):  # an update's URL stays final: only the new version is lost
                self._call(self.r.hdel, self.p + "pending", doc_id)
                continue
            released += self._call(lambda: self._release(
                keys=[self.p + k for k in ("pending", "urls", "keys", "signatures", "doc_bands", "doc_key")],
                args=[doc_id, raw]))
        return released

    def remember_drop(self, url, reason, site):
        with self.r.pipeline() as pipe:   # MULTI/EXEC: the URL and its verdict together
            pipe.sadd(self.p + "urls", url)
            pipe.hset(self.p + "drops", url, json.dumps({"reason": reason, "site": site, "at": time.time()}))
            self._call(pipe.execute)

    def counts(self):
        dropped: dict[str, int] = {}
        for _, raw in self._call(lambda: list(self.r.hscan_iter(self.p + "drops", count=1000))):
            reason = json.loads(raw)["reason"]
            dropped[reason] = dropped.get(reason, 0) + 1
        return {"articles": self._call(self.r.hlen, self.p + "articles"),
                "pending": self._call(self.r.hlen, self.p + "pending"), "dropped": dict(sorted(dropped.items()))}

    def forget_drops(self, reason=None, site=None, since=None, until=None):
        released = 0
        for url, raw in self._call(lambda: list(self.r.hscan_iter(self.p + "drops", count=1000))):
            drop = json.loads(raw)
            if (reason is not None and drop["reason"] != reason) or (site is not None and drop["site"] != site) \
                    or (since is not None and drop["at"] < since) or (until is not None and drop["at"] >= until):
                continue
            with self.r.pipeline() as pipe:
                if not self._call(self.r.hexists, self.p + "articles", url):   # never an exported article
                    pipe.srem(self.p + "urls", url)
                pipe.hdel(self.p + "drops", url)
                self._call(pipe.execute)
            released += 1
        return released

    def _set_worker(self, owner, holder):
        self._call(self.r.hset, self.p + "workers", owner, json.dumps({**holder, "heartbeat": time.time()}))

    def leave(self, holder):
        self._call(self.r.hdel, self.p + "workers", owner_of(holder))

    def live_workers(self):
        workers = [json.loads(raw) for raw in self._call(self.r.hvals, self.p + "workers")]
        return [{k: v for k, v in w.items() if k != "heartbeat"} for w in workers
                if lock_alive(w, w.get("heartbeat", 0.0))]

    def acquire_lock(self, holder: dict) -> dict | None:
        key = self.p + "run_lock"
        current = self._call(self.r.get, key)
        if current is not None:
            other = json.loads(current)
            if lock_alive(other, other.get("heartbeat", 0.0)):
                return other
            self._call(self.r.delete, key)
        if self._call(lambda: self.r.set(key, json.dumps({**holder, "heartbeat": time.time()}), nx=True)):
            return None
        return json.loads(self._call(self.r.get, key) or "{}") or None

    def refresh_lock(self, holder: dict) -> None:
        key = self.p + "run_lock"
        current = self._call(self.r.get, key)
        if current and {k: v for k, v in json.loads(current).items() if k != "heartbeat"} == holder:
            self._call(self.r.set, key, json.dumps({**holder, "heartbeat": time.time()}))

    def release_lock(self, holder: dict) -> None:
        key = self.p + "run_lock"
        current = self._call(self.r.get, key)
        if current and {k: v for k, v in json.loads(current).items() if k != "heartbeat"} == holder:
            self._call(self.r.delete, key)

    def note_feed(self, path: str) -> None:
        self._call(self.r.hset, self.p + "feed_files", path, self.owner or "")

    def _dead_feeds(self) -> list[str]:
        live = {owner_of(h) for h in self.live_workers()}
        return sorted(p.decode() for p, owner in self._call(self.r.hgetall, self.p + "feed_files").items()
                      if owner.decode() not in live)

    def feeds(self) -> list[str]:
        return self._dead_feeds()

    def forget_feeds(self) -> None:
        dead = self._dead_feeds()
        if dead:
            self._call(self.r.hdel, self.p + "feed_files", *dead)

    def ensure_param(self, name: str, value: str) -> None:
        self._call(self.r.hsetnx, self.p + "params", name, value)
        stored = self._call(self.r.hget, self.p + "params", name).decode()
        if stored != value:
            raise StateError(f"state store {_safe(self.uri)} was made with {name}={stored}, "
                             f"this run uses {value}; use another STATE_URI or the same parameters")

    def stored_urls(self, urls):
        urls = list(urls)
        if not urls:
            return set()
        flags = self._call(self.r.smismember, self.p + "urls", urls)
        return {url for url, flag in zip(urls, flags) if flag}

    def last_run(self, site):
        raw = self._call(self.r.hget, self.p + "site_runs", site)
        return float(raw) if raw is not None else None

    def validators(self, url):
        raw = self._call(self.r.hget, self.p + "validators", url)
        return tuple(json.loads(raw)) if raw is not None else None

    def finish_run(self, site, started, validators):
        with self.r.pipeline() as pipe:   # MULTI/EXEC: the run's mark and its validators together
            pipe.hset(self.p + "site_runs", site, repr(float(started)))
            if validators:
                pipe.hset(self.p + "validators",
                          mapping={url: json.dumps(list(pair)) for url, pair in validators.items()})
            self._call(pipe.execute)

    def close(self) -> None:
        try:
            self.r.close()
        except redis.RedisError:
            pass


def _safe(uri: str) -> str:
    """The URI without its password, for messages."""
    if "@" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri
