"""Dedupe state store scaling: time per document from 10k to 1M documents.

    python bench/store.py [--sizes 10000,100000,1000000] [--redis-sizes 10000,100000]
                          [--window 5000] [--dir DIR] [--no-prefill] [--no-floor]

Synthetic documents (random 40-hex ids and content keys, random 128-value MinHash
signatures and their 16 LSH bands made by pipelines/dedupe.py bands()) go through the
store's public methods in the order pipelines/dedupe.py check() calls them: has_url,
begin, claim_url, claim_key, claim_near (at the pipeline's threshold), done. 1% of the
documents repeat an earlier content key and 2% are near copies of an earlier signature
(10 of 128 values changed), so the lookups find something, as in a news crawl.

Time per document is the mean over the last `--window` documents before each size, only
the store calls timed, so "flat" compares like with like. Through the methods a document
costs 0.2-3 ms here (SQLite commits, Redis round trips), so 1M would take 10-50 minutes: the
documents before each window are instead bulk-inserted as the rows (SQLite) or keys
(Redis) those methods write, in the same order, and the prefill is checked through the
public methods (has_url, claim_key and claim_near must find prefilled documents); a store
whose layout no longer matches is filled through the methods instead, with a note, as
`--no-prefill` does. Redis (a throwaway redis-server on loopback, persistence off) stops
at 100k by default: it holds about 7 KB per document in memory. For scale, SQLite by itself
(`floor_run`: a bare table of random keys, the least any store can do) is timed at the same sizes.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PAGE, ROOT, RedisServer  # noqa: E402

sys.path.insert(0, str(ROOT))
from pipelines.dedupe import MinHashConfig, bands  # noqa: E402
from pipelines.state import open_store  # noqa: E402

BATCH = 1000
EXACT_SHARE, NEAR_SHARE = 0.01, 0.02


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Docs:
    """Batches of synthetic documents; a reservoir of earlier ones supplies the copies."""

    def __init__(self, seed: int, config: MinHashConfig):
        self.rng = np.random.default_rng(seed)
        self.config = config
        self.earlier_keys: list[str] = []
        self.earlier_sigs: list[np.ndarray] = []
        self.n = 0

    def batch(self, size: int) -> list[tuple]:
        rng = self.rng
        raw = rng.bytes(40 * size)
        sigs = rng.integers(0, 2**32, size=(size, self.config.num_perm), dtype=np.uint64)
        out = []
        for k in range(size):
            i = self.n + k
            doc_id = raw[40 * k:40 * k + 20].hex()
            key = raw[40 * k + 20:40 * k + 40].hex()
            sig = sigs[k]
            roll, kind = rng.random(), "new"
            if self.earlier_keys and roll < EXACT_SHARE:
                key, kind = self.earlier_keys[rng.integers(len(self.earlier_keys))], "duplicate"
            elif self.earlier_sigs and roll < EXACT_SHARE + NEAR_SHARE:
                sig = self.earlier_sigs[rng.integers(len(self.earlier_sigs))].copy()
                sig[rng.choice(len(sig), 10, replace=False)] = rng.integers(0, 2**32, 10, dtype=np.uint64)
                kind = "near_duplicate"
            # copies: a row of `sigs` would keep the whole batch's array alive
            if len(self.earlier_keys) < 10_000:
                self.earlier_keys.append(key)
                self.earlier_sigs.append(sig.copy())
            elif rng.random() < 0.01:   # keep the reservoir spread over the whole run
                j = rng.integers(10_000)
                self.earlier_keys[j], self.earlier_sigs[j] = key, sig.copy()
            url = f"http://news.example/{i // 1000}/{doc_id[:12]}.html"
            out.append((doc_id, url, key, sig, bands(sig, self.config), sig.astype(np.uint64).tobytes(), kind))
        self.n += size
        return out


def claims(store):
    """The store's one transaction per document's claims, where it has one (check() uses it)."""
    return store.claims() if hasattr(store, "claims") else contextlib.nullcontext()


def claim_all(store, docs: list[tuple], config: MinHashConfig, begin_hash: bool, done_kept: bool) -> dict:
    """pipelines/dedupe.py check() on documents whose key and signature are already made."""
    verdicts = {"kept": 0, "duplicate": 0, "near_duplicate": 0, "duplicate_url": 0}
    for doc_id, url, key, sig, doc_bands, sig_bytes, _ in docs:
        if store.has_url(url):
            verdicts["duplicate_url"] += 1
            continue
        with claims(store):
            if begin_hash:
                store.begin(doc_id, url, key)
            else:
                store.begin(doc_id, url)
            verdict = "kept"
            if not store.claim_url(url):
                verdict = "duplicate_url"
            else:
                owner = store.claim_key(key, doc_id)
                if owner is not None and owner != doc_id:
                    verdict = "duplicate"
                elif store.claim_near(doc_id, doc_bands, sig_bytes, config.threshold) is not None:
                    verdict = "near_duplicate"
            if verdict != "kept" and done_kept:
                store.done(doc_id, kept=False)
        # the kept document is exported, then marked done, as the pipeline's feed signal does
        if verdict == "kept" or not done_kept:
            with claims(store):
                store.done(doc_id)
        verdicts[verdict] += 1
    return verdicts


# --- prefill: the rows and keys the methods would write, in bulk ----------------------------

def prefill_sqlite(store, docs: list[tuple]) -> None:
    from pipelines.state import band_key
    db = store.db
    now = time.time()
    with db:
        db.execute("BEGIN IMMEDIATE")
        for doc_id, url, key, _, doc_bands, sig_bytes, kind in docs:
            if db.execute("INSERT OR IGNORE INTO urls (url) VALUES (?)", (url,)).rowcount != 1:
                continue
            if kind == "duplicate":
                continue
            db.execute("INSERT OR IGNORE INTO content_keys (key, doc_id) VALUES (?, ?)", (key, doc_id))
            if kind == "near_duplicate":
                continue
            num = db.execute("INSERT INTO sketches (doc_id, signature) VALUES (?, ?)", (doc_id, sig_bytes)).lastrowid
            db.executemany("INSERT OR IGNORE INTO band_recent (band, num) VALUES (?, ?)",
                           [(band_key(b), num) for b in doc_bands])
            store._fold_recent(num)   # as claim_near does, so band_recent holds what a run leaves in it
            db.execute("UPDATE urls SET text_hash = ?, seen_at = ? WHERE url = ?", (key, now, url))


def prefill_redis(store, docs: list[tuple]) -> None:
    p, now = store.p, time.time()
    pipe = store.r.pipeline(transaction=False)
    for doc_id, url, key, _, doc_bands, sig_bytes, kind in docs:
        pipe.sadd(p + "urls", url)
        if kind == "duplicate":
            continue
        pipe.hsetnx(p + "keys", key, doc_id)
        pipe.hset(p + "doc_key", doc_id, key)
        if kind == "near_duplicate":
            continue
        band_keys = [p + "band:" + b.hex() for b in doc_bands]
        pipe.hset(p + "signatures", doc_id, sig_bytes)
        pipe.hset(p + "doc_bands", doc_id, " ".join(band_keys))
        for band_key in band_keys:
            pipe.sadd(band_key, doc_id)
        pipe.hset(p + "articles", url, json.dumps({"hash": key, "seen": now}))
    pipe.execute()


def prefill_found(store, docs: list[tuple], config: MinHashConfig) -> bool:
    """Whether the public methods see the prefilled documents (each of these calls finds
    its document, so it writes nothing)."""
    new = [d for d in docs if d[6] == "new"][:20]
    for doc_id, url, key, sig, doc_bands, sig_bytes, _ in new:
        if not store.has_url(url) or store.claim_key(key, "probe") != doc_id:
            return False
        found = store.claim_near("probe", doc_bands, sig_bytes, config.threshold)
        if found != doc_id:
            return False
    return bool(new)


def floor_run(path: Path, sizes: list[int], window: int, seed: int) -> list[dict]:
    """SQLite by itself, for scale: one WITHOUT ROWID table of 16 random 64-bit keys per
    document, with the store's journal settings; per document, its 16 keys looked up, then
    inserted, in one transaction. No store does less with random keys, so its growth from
    the smallest size to the largest is what SQLite's B-tree costs on this machine (the
    small table sits in the CPU's caches, the large one in the OS page cache)."""
    from pipelines.state import SQLiteStore
    db = SQLiteStore(path).db   # the store's own connection settings; its tables stay empty
    db.execute("CREATE TABLE band (band INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (band, num)) WITHOUT ROWID")
    rng = np.random.default_rng(seed)
    insert = "INSERT OR IGNORE INTO band (band, num) VALUES (?, ?)"
    lookup = f"SELECT num FROM band WHERE band IN ({','.join('?' * 16)})"
    n, rows, t_start = 0, [], time.monotonic()
    for size in sizes:
        with db:
            db.execute("BEGIN")
            while n < size - window:
                count = min(10 * BATCH, size - window - n)
                keys = rng.integers(-2 ** 63, 2 ** 63 - 1, size=(count, 16), dtype=np.int64).tolist()
                db.executemany(insert, [(k, n + i) for i, doc in enumerate(keys) for k in doc])
                n += count
        timed, t0 = size - n, time.perf_counter()
        for doc in rng.integers(-2 ** 63, 2 ** 63 - 1, size=(timed, 16), dtype=np.int64).tolist():
            db.execute("BEGIN IMMEDIATE")
            db.execute(lookup, doc).fetchall()
            db.executemany(insert, [(k, n) for k in doc])
            db.execute("COMMIT")
            n += 1
        rows.append({"store": "floor", "size": size, "us_per_doc": 1e6 * (time.perf_counter() - t0) / timed,
                     "footprint": path.stat().st_size, "rss": rss(), "elapsed": time.monotonic() - t_start,
                     "verdicts": {}, "prefilled": True})
    db.close()
    return rows


def redis_memory(url: str) -> int:
    import redis
    return int(redis.Redis.from_url(url).info("memory")["used_memory"])


def run(name: str, uri: str, sizes: list[int], window: int, seed: int, footprint, prefill) -> list[dict]:
    config = MinHashConfig()
    store = open_store(uri)
    params = inspect.signature(store.begin).parameters
    begin_hash = len(params) >= 3
    done_kept = "kept" in inspect.signature(store.done).parameters
    docs = Docs(seed, config)
    rows, times, verdicts = [], [], {}
    t_start = time.monotonic()
    checked = False
    for size in sizes:
        while prefill and docs.n < size - window:
            batch = docs.batch(min(10 * BATCH, size - window - docs.n))
            prefill(store, batch)
            if not checked:
                checked = True
                if not prefill_found(store, batch, config):
                    print(f"  {name}: the prefill does not match this store's layout; filling through "
                          f"the public methods instead (slow)", file=sys.stderr, flush=True)
                    prefill = None
            if docs.n % 100_000 == 0:
                print(f"  {name}: {docs.n} documents, {time.monotonic() - t_start:.0f} s", file=sys.stderr, flush=True)
        verdicts = {}
        while docs.n < size:
            batch = docs.batch(min(BATCH, size - docs.n))
            t0 = time.perf_counter()
            got = claim_all(store, batch, config, begin_hash, done_kept)
            times.append((docs.n, (time.perf_counter() - t0) / len(batch)))
            for k, v in got.items():
                verdicts[k] = verdicts.get(k, 0) + v
            if docs.n % 100_000 == 0:
                print(f"  {name}: {docs.n} documents, {time.monotonic() - t_start:.0f} s", file=sys.stderr, flush=True)
        in_window = [t for n, t in times if size - window < n <= size]
        rows.append({"store": name, "size": size, "us_per_doc": 1e6 * sum(in_window) / len(in_window),
                     "footprint": footprint(), "rss": rss(), "elapsed": time.monotonic() - t_start,
                     "verdicts": dict(verdicts), "prefilled": prefill is not None})
    store.close()
    return rows


def filesystem(path: Path) -> str:
    """The mount a path is on and its type: the disk under the store is part of the figure."""
    best = ("", "?")
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount, fstype, *_ = line.split()
        if str(path.resolve()).startswith(mount) and len(mount) > len(best[0]):
            best = (mount, fstype)
    return f"{best[1]} at {best[0]}"


def print_rows(rows: list[dict], footprint_label: str) -> None:
    first = rows[0]["us_per_doc"]
    print(f"{'store':<8} {'documents':>10} {'µs/doc':>8} {'x first':>8} {footprint_label:>14} {'bench RSS MB':>13}"
          f" {'elapsed s':>10}  verdicts in the window")
    for r in rows:
        v = r["verdicts"]
        print(f"{r['store']:<8} {r['size']:>10,} {r['us_per_doc']:>8.0f} {r['us_per_doc'] / first:>7.2f}x "
              f"{r['footprint'] / 1e6:>14.0f} {r['rss'] / 1e6:>13.0f} {r['elapsed']:>10.0f}  "
              + (f"kept {v.get('kept', 0):,}, duplicate {v.get('duplicate', 0):,}, "
                 f"near {v.get('near_duplicate', 0):,}" if v else "-")
              + ("" if r["prefilled"] else " (all through the methods)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--redis-sizes", default="10000,100000", help="empty: no Redis run")
    ap.add_argument("--window", type=int, default=5000, help="documents timed before each size")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--dir", type=Path, help="where the SQLite file goes (default: a temporary folder; "
                                               "/dev/shm takes the disk out of the figure)")
    ap.add_argument("--no-prefill", action="store_true", help="every document through the public methods")
    ap.add_argument("--no-floor", action="store_true", help="skip SQLite by itself (a bare table of random keys)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    redis_sizes = sorted(int(s) for s in args.redis_sizes.split(",") if s)

    print(f"\n== Dedupe state store scaling ({os.cpu_count()} cores; µs/doc over the last {args.window:,} "
          f"documents before each size; has_url, begin, claim_url, claim_key, claim_near, done) ==", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.dir) as tmp:
        path = Path(tmp) / "state.sqlite"
        print(f"sqlite file in {path.parent} ({filesystem(path.parent)})", flush=True)
        rows = run("sqlite", f"sqlite:///{path}", sizes, args.window, args.seed, lambda: path.stat().st_size,
                   None if args.no_prefill else prefill_sqlite)
        print_rows(rows, "file MB")   # the database file; its WAL is recycled, not grown
        print(f"sqlite: time per document {rows[-1]['size']:,} / {rows[0]['size']:,}: "
              f"{rows[-1]['us_per_doc'] / rows[0]['us_per_doc']:.2f}x   goal <= 1.5x")
    if not args.no_floor:
        with tempfile.TemporaryDirectory(prefix="bench-floor-", dir=args.dir) as tmp:
            rows = floor_run(Path(tmp) / "floor.sqlite", sizes, args.window, args.seed)
        print("SQLite by itself, for scale: a bare table of 16 random 64-bit keys per document, "
              "16 lookups + 16 inserts + one commit per document")
        print_rows(rows, "file MB")
        print(f"floor: time per document {rows[-1]['size']:,} / {rows[0]['size']:,}: "
              f"{rows[-1]['us_per_doc'] / rows[0]['us_per_doc']:.2f}x")
    if not redis_sizes:
        return
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        try:
            server = RedisServer(Path(tmp))
        except RuntimeError as exc:
            print(f"redis: not run ({exc})")
            return
        try:
            rows = run("redis", server.url, redis_sizes, args.window, args.seed, lambda: redis_memory(server.url),
                       None if args.no_prefill else prefill_redis)
        finally:
            server.stop()
        print_rows(rows, "redis used MB")
        print(f"redis: time per document {rows[-1]['size']:,} / {rows[0]['size']:,}: "
              f"{rows[-1]['us_per_doc'] / rows[0]['us_per_doc']:.2f}x   goal <= 1.5x")


if __name__ == "__main__":
    main()
