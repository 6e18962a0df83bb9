"""The state store: what earlier documents of this and past runs have claimed.

One small interface (seen URLs, exact content keys, near-duplicate bands and signatures,
write-once parameters) and its backends. Nothing else in the project knows which backend
is in use; `open_store(uri)` picks it from `STATE_URI`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import sqlite3
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlparse

import numpy as np


class StateError(RuntimeError):
    """The state store cannot be opened or does not match this configuration."""


class StoreUnavailable(StateError):
    """The state store stopped answering in the middle of a run."""


# band_recent: a slice of its key space is moved into band_index every FOLD_EVERY documents,
# the whole of it every FOLD_SWEEP_DOCS documents, so it holds at most that many documents'
# bands (~20 MB at 16 bands).
FOLD_EVERY = 64
FOLD_SWEEP_DOCS = 65536
# The store's layout (SQLite's user_version; 0: a store from before versions were kept).
# Raise it with each change that a migration step in SQLiteStore._migrate carries out.
SCHEMA_VERSION = 1
MIN_SQLITE = (3, 8, 3)   # WITHOUT ROWID (3.8.2), partial features of later ones are not used
LOCK_TTL = 120.0   # seconds without a heartbeat after which a lock (or a worker) is stale


def process_namespace() -> str | None:
    """What makes a PID mean the same process to two readers: the machine's boot and the
    PID namespace (a container has its own; its crawl is often PID 1). None where unknown."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return None


def lock_alive(holder: dict, heartbeat: float) -> bool:
    """Whether the crawl that took the lock (or joined as a worker) still runs. Its
    heartbeat decides, on every host: older than LOCK_TTL, it is gone, whatever its PID.
    The PID is only a hint that it is gone sooner: when the holder ran in this process's
    PID namespace (same boot, same namespace; by host name for holders written without
    one) and no process has that PID any more."""
    if time.time() - heartbeat >= LOCK_TTL:
        return False
    ours = process_namespace()
    same_pids = holder["ns"] == ours if holder.get("ns") and ours else holder.get("host") == socket.gethostname()
    if same_pids:
        try:
            os.kill(int(holder.get("pid", 0)), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, ValueError, OverflowError):
            pass
    return True


# A signal (Scrapy signals are plain objects): the state store stopped answering. Sent with
# `exc`; the crawl's store keeper (crawler/state.py) stops the crawl once.
store_lost = object()


def stop_crawl(crawler, exc: Exception) -> None:
    """Stop the crawl because the state store went away: every page still in flight is
    dropped unclaimed, so the next run (with the store back) fetches it again. The engine
    is the crawler's business: this only says so, through the crawler's signals."""
    crawler.signals.send_catch_log(store_lost, exc=exc)


class StoreKeeper:
    """What a Scrapy component asks the crawler for to reach the crawl's one state store:
    `crawler.get_extension(StoreKeeper).store()`. The extension that is one
    (crawler/state.py) opens the store on first use, with the run's lock and heartbeat, so
    the cores here never need to know how a crawl is wired."""

    lost = False   # the store stopped answering during this crawl

    def store(self) -> StateStore:
        raise NotImplementedError


logger = logging.getLogger(__name__)


def similar(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two MinHash signatures: the share of equal values."""
    x, y = np.frombuffer(a, dtype=np.uint64), np.frombuffer(b, dtype=np.uint64)
    return float(np.count_nonzero(x == y)) / len(x) if len(x) == len(y) and len(x) else 0.0


def band_key(band: bytes) -> int:
    """A near-duplicate band as a signed 64-bit integer, the SQLite store's index key,
    spread evenly over the key space that band_recent's fold sweeps (a false match only
    costs a signature comparison)."""
    return int.from_bytes(hashlib.blake2b(band, digest_size=8).digest(), "big", signed=True)


def pack_keys(keys: Sequence[int]) -> bytes:
    return np.array(keys, dtype=np.int64).tobytes()


def unpack_keys(packed: bytes | None) -> list[int]:
    return np.frombuffer(packed, dtype=np.int64).tolist() if packed else []


def drop_filter(reason, site, since, until) -> tuple[str, list]:
    """SQL for the remembered drops that match every criterion given."""
    clauses, args = ["1 = 1"], []
    for clause, value in (("reason = ?", reason), ("site = ?", site), ("dropped_at >= ?", since),
                          ("dropped_at < ?", until)):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    return " AND ".join(clauses), args


def owner_of(holder: dict) -> str:
    return f"{holder.get('host')}:{holder.get('pid')}:{holder.get('since')}"


class StateStore(ABC):
    owner: str | None = None   # this worker, once it has joined
    shared = False             # whether several processes are meant to crawl with it at once
    @abstractmethod
    def claim_url(self, url: str) -> bool:
        """Record an article URL; False if it was already recorded."""

    @abstractmethod
    def has_url(self, url: str) -> bool:
        """Whether an article URL was already recorded."""

    @abstractmethod
    def claim_key(self, key: str, doc_id: str) -> str | None:
        """Record an exact-duplicate key for `doc_id`; the earlier owner's id if taken."""

    @abstractmethod
    def claim_near(self, doc_id: str, bands: Sequence[bytes], signature: bytes, threshold: float) -> str | None:
        """Atomically: if a stored document shares a band and its signature is `similar` to
        this one at `threshold` or more, return its id; else store this document's bands and
        signature and return None. Signatures are MinHash values as unsigned 64-bit integers."""

    @abstractmethod
    def begin(self, doc_id: str, url: str, text_hash: str | None = None, update: bool = False) -> None:
        """A document starts claiming: until `done`, its claims are provisional and owned by
        this worker. `text_hash` is recorded for the URL when the document is done (kept);
        `update` marks a re-fetched article whose URL is already final."""

    @abstractmethod
    def done(self, doc_id: str, kept: bool = True) -> None:
        """The document is in the feed (`kept`) or was dropped: its claims are final."""

    @abstractmethod
    def article(self, url: str) -> tuple[str | None, float | None] | None:
        """For an exported article URL: (text hash, time of its first export); None if the
        URL was never recorded. What a re-fetch compares against."""

    @abstractmethod
    def recover(self, exported: Callable[[str], bool] = lambda doc_id: False) -> int:
        """Settle the documents that workers no longer alive began but never marked done:
        those their feeds hold (`exported`: killed between the feed's write and the mark)
        are done; the others' claims are released, so this run fetches them again.
        Returns how many were released. Live workers' documents are left alone."""

    # --- remembered drops: pages not fetched again, and `scrapy state forget` ---------

    @abstractmethod
    def remember_drop(self, url: str, reason: str, site: str) -> None:
        """A page dropped for a lasting reason: its URL is recorded (not fetched again), with
        the reason, its site and the time, so the verdict can be counted and forgotten."""

    @abstractmethod
    def counts(self) -> dict:
        """What the store holds: {"articles": n, "pending": n, "dropped": {reason: n}}."""

    @abstractmethod
    def forget_drops(self, reason: str | None = None, site: str | None = None,
                     since: float | None = None, until: float | None = None) -> int:
        """Release remembered drops that match every criterion given (the time is when the
        page was dropped, epoch seconds, `until` excluded): the next run fetches them again.
        URLs of exported articles are never released. Returns how many were released."""

    # --- workers: who is crawling with this store right now --------------------------

    def join(self, holder: dict) -> None:
        """Register this process ({"host", "pid", "since"}) as a live worker: its pending
        claims and feeds are its own until it stops answering (see `lock_alive`)."""
        self.owner = owner_of(holder)
        self._set_worker(self.owner, holder)

    def heartbeat(self, holder: dict) -> None:
        self._set_worker(owner_of(holder), holder)
        self.refresh_lock(holder)

    @abstractmethod
    def _set_worker(self, owner: str, holder: dict) -> None:
        """Record the worker with the time now as its heartbeat."""

    @abstractmethod
    def leave(self, holder: dict) -> None:
        """The worker stops: remove it from the live ones."""

    @abstractmethod
    def live_workers(self) -> list[dict]:
        """The holders of the workers that still answer."""

    @abstractmethod
    def note_feed(self, path: str) -> None:
        """A local feed file this worker writes: what `recover` looks in after a crash."""

    @abstractmethod
    def feeds(self) -> list[str]:
        """The feed files noted by workers no longer alive."""

    @abstractmethod
    def forget_feeds(self) -> None:
        """Clear the feed files of workers no longer alive (after recovery)."""

    @abstractmethod
    def acquire_lock(self, holder: dict) -> dict | None:
        """Take the run lock for `holder` ({"host", "pid", "since"}); return the live holder
        that has it instead, if any. A holder whose heartbeat is older than LOCK_TTL seconds
        no longer holds it, on any host; nor one whose process is gone (see `lock_alive`)."""

    @abstractmethod
    def refresh_lock(self, holder: dict) -> None:
        """The holder's heartbeat."""

    @abstractmethod
    def release_lock(self, holder: dict) -> None:
        """Give the lock up, if `holder` has it."""

    @abstractmethod
    def ensure_param(self, name: str, value: str) -> None:
        """Write a parameter on first use; raise StateError if a later run differs, since
        keys made with other parameters would silently never match."""

    # --- discovery: what a site's last complete run learnt (crawler/discovery.py) -------

    @abstractmethod
    def stored_urls(self, urls: Sequence[str]) -> set[str]:
        """Those of `urls` already recorded, in one round trip (or a few) for a whole
        sitemap's worth of links."""

    @abstractmethod
    def last_run(self, site: str) -> float | None:
        """When the site's last complete run started (epoch seconds); None if it never had one."""

    @abstractmethod
    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) that a listing URL (sitemap, feed, section page) answered with
        in the last complete run of its site, or None."""

    @abstractmethod
    def finish_run(self, site: str, started: float,
                   validators: dict[str, tuple[str | None, str | None]]) -> None:
        """A run of the site went through all it found: record when it started and the
        validators its listings answered with, together, so a later run never skips (on a
        304) a listing whose articles an unfinished run left unread."""

    def claims(self):
        """A context in which a document's calls are one transaction where the backend has
        them: its claims become visible, and durable, together or not at all."""
        return nullcontext()

    def close(self) -> None:
        pass


class SQLiteStore(StateStore):
    SCHEMA = """
        CREATE TABLE IF NOT EXISTS params (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, text_hash TEXT, seen_at REAL);
        CREATE TABLE IF NOT EXISTS content_keys (key TEXT PRIMARY KEY, doc_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sketches (num INTEGER PRIMARY KEY, doc_id TEXT NOT NULL,
                                             signature BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS band_index (band INTEGER NOT NULL, num INTEGER NOT NULL,
                                               PRIMARY KEY (band, num)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS band_recent (band INTEGER NOT NULL, num INTEGER NOT NULL,
                                                PRIMARY KEY (band, num)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS pending (doc_id TEXT PRIMARY KEY, url TEXT NOT NULL, owner TEXT,
                                            text_hash TEXT, updating INTEGER NOT NULL DEFAULT 0,
                                            num INTEGER, bands BLOB);
        CREATE TABLE IF NOT EXISTS feeds (path TEXT PRIMARY KEY, owner TEXT);
        CREATE TABLE IF NOT EXISTS drops (url TEXT PRIMARY KEY, reason TEXT NOT NULL, site TEXT NOT NULL,
                                          dropped_at REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS workers (owner TEXT PRIMARY KEY, holder TEXT NOT NULL, heartbeat REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS run_lock (one INTEGER PRIMARY KEY CHECK (one = 1), holder TEXT NOT NULL,
                                             heartbeat REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS site_runs (site TEXT PRIMARY KEY, started_at REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StateError(f"the state store needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
                             f"has {sqlite3.sqlite_version}")
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            # SQLite's default 2 MB page cache, on purpose: in WAL mode a commit costs CPU in
            # proportion to a full cache, and a 256 MB one made each document 4x dearer at 300k
            # documents than at 10k. Pages past it are read from the OS page cache.
            # Fewer, larger checkpoints: a page dirtied by many documents is written back once.
            self.db.execute("PRAGMA wal_autocheckpoint=20000")
            self.db.executescript(self.SCHEMA)
            self._migrate()
            # where the fold stopped: a run shorter than a sweep goes on from there, so
            # every part of band_recent is reached however short the runs are
            row = self.db.execute("SELECT value FROM params WHERE name = 'fold_cursor'").fetchone()
            self._fold_cursor = int(row[0]) if row else -2 ** 63
        except (sqlite3.DatabaseError, OSError, ValueError) as exc:
            raise StateError(f"cannot open state store {self.path}: {exc}") from exc

    # Columns added after the first release: a state file from then gains them, empty.
    ADDED_COLUMNS = {
        "urls": {"text_hash": "TEXT", "seen_at": "REAL"},
        "pending": {"owner": "TEXT", "text_hash": "TEXT", "updating": "INTEGER NOT NULL DEFAULT 0",
                    "num": "INTEGER", "bands": "BLOB"},
        "feeds": {"owner": "TEXT"},
    }

    def _migrate(self) -> None:
        """Each step in one transaction (a kill leaves a store at one version or the next,
        never between), re-checked inside it (another process may have just done it); the
        version last, in the step's own transaction."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(f"state store {self.path} has schema version {version}, newer than this "
                             f"crawler's {SCHEMA_VERSION}: update the crawler, or use another STATE_URI")
        if self._missing_columns():   # write only when there is something to do
            with self._tx():
                for table, name, kind in self._missing_columns():
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        self._migrate_bands()
        if version < SCHEMA_VERSION:
            with self._tx():
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _missing_columns(self) -> list[tuple[str, str, str]]:
        missing = []
        for table, columns in self.ADDED_COLUMNS.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            missing += [(table, name, kind) for name, kind in columns.items() if name not in have]
        return missing

    def _migrate_bands(self) -> None:
        """Stores made before band_index (a `bands` table of blobs keyed by document id, and
        `signatures`) are moved into the new tables once, in one transaction."""
        def old_layout() -> bool:
            return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signatures'"
                                   ).fetchone() is not None
        if not old_layout():
            return
        self.db.create_function("band_key", 1, band_key, deterministic=True)
        with self._tx():
            if not old_layout():   # another process opening the file migrated it meanwhile
                return
            self.db.execute("INSERT INTO sketches (doc_id, signature) SELECT doc_id, signature FROM signatures "
                            "ORDER BY rowid")
            self.db.execute("CREATE INDEX migrating_doc ON sketches (doc_id)")
            self.db.execute("INSERT OR IGNORE INTO band_index (band, num) SELECT band_key(b.band), s.num "
                            "FROM bands b JOIN sketches s USING (doc_id) ORDER BY 1")
            pending = {}
            for doc_id, num, key in self.db.execute(
                    "SELECT b.doc_id, s.num, band_key(b.band) FROM bands b JOIN sketches s USING (doc_id) "
                    "WHERE b.doc_id IN (SELECT doc_id FROM pending)"):
                pending.setdefault((doc_id, num), []).append(key)
            self.db.executemany("UPDATE pending SET num = ?, bands = ? WHERE doc_id = ?",
                                [(num, pack_keys(keys), doc_id) for (doc_id, num), keys in pending.items()])
            self.db.execute("DROP INDEX migrating_doc")
            self.db.execute("DROP TABLE bands")
            self.db.execute("DROP TABLE signatures")

    @contextmanager
    def _tx(self):
        """BEGIN IMMEDIATE ... COMMIT, or part of the transaction already open (`claims`).
        sqlite3's own `with db:` would commit an enclosing transaction early."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def claims(self):
        # Each commit writes every page it dirtied to the WAL: one commit for a document's
        # pending row and claims, not five.
        return self._tx()

    def claim_url(self, url: str) -> bool:
        return self.db.execute("INSERT OR IGNORE INTO urls (url) VALUES (?)", (url,)).rowcount == 1

    def article(self, url):
        row = self.db.execute("SELECT text_hash, seen_at FROM urls WHERE url = ?", (url,)).fetchone()
        return None if row is None else (row[0], row[1])

    def has_url(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM urls WHERE url = ?", (url,)).fetchone() is not None

    def claim_key(self, key: str, doc_id: str) -> str | None:
        if self.db.execute("INSERT OR IGNORE INTO content_keys (key, doc_id) VALUES (?, ?)",
                           (key, doc_id)).rowcount == 1:
            return None
        row = self.db.execute("SELECT doc_id FROM content_keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def claim_near(self, doc_id, bands, signature, threshold):
        keys = [band_key(band) for band in bands]
        marks = ",".join("?" * len(keys))
        with self._tx():  # check and insert cannot interleave with another writer
            candidates = self.db.execute(
                f"SELECT doc_id, signature FROM sketches WHERE num IN "
                f"(SELECT num FROM band_index WHERE band IN ({marks}) "
                f"UNION SELECT num FROM band_recent WHERE band IN ({marks}))", keys + keys).fetchall()
            for other_id, other_signature in candidates:
                if other_id != doc_id and similar(signature, other_signature) >= threshold:
                    return other_id
            num = self.db.execute("INSERT INTO sketches (doc_id, signature) VALUES (?, ?)",
                                  (doc_id, signature)).lastrowid
            self.db.executemany("INSERT OR IGNORE INTO band_recent (band, num) VALUES (?, ?)",
                                [(key, num) for key in keys])
            # what `recover` needs to take these rows back if the document is never exported
            self.db.execute("UPDATE pending SET num = ?, bands = ? WHERE doc_id = ?",
                            (num, pack_keys(keys), doc_id))
            self._fold_recent(num)
        return None

    def _fold_recent(self, num: int) -> None:
        """Move the next slice of band_recent into band_index.

        A new document's 16 bands land at random places in the index: in one big index,
        each dirties its own page, and a million-document store took 2.2x as long per
        document as a 10k one. New bands go to band_recent instead, which stays small, and
        a cursor sweeps the key space once every FOLD_SWEEP_DOCS documents, moving the rows
        it passes in key order, so each move touches only the index pages of its slice.
        Lookups read both tables. The sketch number `num` paces the folds, so runs shorter
        than FOLD_EVERY documents fold too, and the cursor is kept in params."""
        if num % FOLD_EVERY:
            return
        lo = self._fold_cursor
        hi = lo + FOLD_EVERY * (2 ** 64 // FOLD_SWEEP_DOCS)   # exclusive
        if hi <= 2 ** 63:
            slices = [(lo, hi - 1)]
        else:   # past the largest key: the rest of the slice starts again at the smallest
            slices = [(lo, 2 ** 63 - 1), (-2 ** 63, hi - 2 ** 64 - 1)]
        for first, last in slices:
            self.db.execute("INSERT OR IGNORE INTO band_index (band, num) SELECT band, num FROM band_recent "
                            "WHERE band BETWEEN ? AND ?", (first, last))
            self.db.execute("DELETE FROM band_recent WHERE band BETWEEN ? AND ?", (first, last))
        self._fold_cursor = hi if hi < 2 ** 63 else hi - 2 ** 64
        self.db.execute("INSERT OR REPLACE INTO params (name, value) VALUES ('fold_cursor', ?)",
                        (str(self._fold_cursor),))

    def begin(self, doc_id, url, text_hash=None, update=False):
        self.db.execute("INSERT OR REPLACE INTO pending (doc_id, url, owner, text_hash, updating) "
                        "VALUES (?, ?, ?, ?, ?)", (doc_id, url, self.owner, text_hash, int(update)))

    def done(self, doc_id, kept=True):
        with self._tx():
            if kept:
                self._settle(doc_id)
            self.db.execute("DELETE FROM pending WHERE doc_id = ?", (doc_id,))

    def _settle(self, doc_id: str) -> None:
        """The document is exported: its URL now answers for this text (the first export's
        time is kept, so an article's age is counted from when it was first exported)."""
        # subqueries, not UPDATE ... FROM: that needs SQLite 3.33, and RHEL 8 ships 3.26
        self.db.execute("UPDATE urls SET text_hash = (SELECT text_hash FROM pending WHERE doc_id = ?), "
                        "seen_at = COALESCE(seen_at, ?) "
                        "WHERE url = (SELECT url FROM pending WHERE doc_id = ? AND text_hash IS NOT NULL)",
                        (doc_id, time.time(), doc_id))

    def recover(self, exported: Callable[[str], bool] = lambda doc_id: False) -> int:
        try:
            return self._recover(exported)
        except sqlite3.OperationalError as exc:  # "database is locked": another run holds it
            raise StateError(f"state store {self.path} is in use ({exc}): is another crawl "
                             f"with the same STATE_URI running?") from exc

    def _dead_owners_clause(self) -> tuple[str, list]:
        live = [owner_of(h) for h in self.live_workers()]
        return f"(owner IS NULL OR owner NOT IN ({','.join('?' * len(live))}))", live

    def _recover(self, exported: Callable[[str], bool]) -> int:
        released = 0
        with self._tx():
            dead, live = self._dead_owners_clause()
            rows = self.db.execute(f"SELECT doc_id, url, updating, num, bands, text_hash FROM pending "
                                   f"WHERE {dead}", live).fetchall()
            for doc_id, url, updating, num, keys, text_hash in rows:
                if exported(doc_id):
                    self._settle(doc_id)
                elif not updating:  # an update's URL stays final: only the new version is lost
                    released += 1
                    self.db.execute("DELETE FROM urls WHERE url = ?", (url,))
                    if text_hash is not None:   # the content key check() claimed: found by its index
                        self.db.execute("DELETE FROM content_keys WHERE key = ? AND doc_id = ?", (text_hash, doc_id))
                    else:
                        self.db.execute("DELETE FROM content_keys WHERE doc_id = ?", (doc_id,))
                    if num is not None:
                        self.db.execute("DELETE FROM sketches WHERE num = ?", (num,))
                        for table in ("band_recent", "band_index"):
                            self.db.executemany(f"DELETE FROM {table} WHERE band = ? AND num = ?",
                                                [(key, num) for key in unpack_keys(keys)])
                self.db.execute("DELETE FROM pending WHERE doc_id = ?", (doc_id,))
            # killed workers never said goodbye: forget them once their work is settled
            self.db.execute(f"DELETE FROM workers WHERE {dead}", live)
        return released

    def remember_drop(self, url, reason, site):
        with self._tx():
            self.claim_url(url)
            self.db.execute("INSERT OR REPLACE INTO drops (url, reason, site, dropped_at) VALUES (?, ?, ?, ?)",
                            (url, reason, site, time.time()))

    def counts(self):
        dropped = dict(self.db.execute("SELECT reason, COUNT(*) FROM drops GROUP BY reason ORDER BY reason"))
        return {"articles": self.db.execute("SELECT COUNT(*) FROM urls WHERE text_hash IS NOT NULL").fetchone()[0],
                "pending": self.db.execute("SELECT COUNT(*) FROM pending").fetchone()[0],
                "dropped": dropped}

    def forget_drops(self, reason=None, site=None, since=None, until=None):
        where, args = drop_filter(reason, site, since, until)
        with self._tx():
            self.db.execute(f"DELETE FROM urls WHERE text_hash IS NULL AND url IN (SELECT url FROM drops WHERE {where})",
                            args)
            return self.db.execute(f"DELETE FROM drops WHERE {where}", args).rowcount

    def _set_worker(self, owner, holder):
        self.db.execute("INSERT OR REPLACE INTO workers (owner, holder, heartbeat) VALUES (?, ?, ?)",
                        (owner, json.dumps(holder), time.time()))

    def leave(self, holder):
        self.db.execute("DELETE FROM workers WHERE owner = ?", (owner_of(holder),))

    def live_workers(self):
        rows = self.db.execute("SELECT holder, heartbeat FROM workers").fetchall()
        return [json.loads(h) for h, beat in rows if lock_alive(json.loads(h), beat)]

    def acquire_lock(self, holder: dict) -> dict | None:
        try:
            with self._tx():
                row = self.db.execute("SELECT holder, heartbeat FROM run_lock").fetchone()
                if row and lock_alive(json.loads(row[0]), row[1]):
                    return json.loads(row[0])
                self.db.execute("INSERT OR REPLACE INTO run_lock (one, holder, heartbeat) VALUES (1, ?, ?)",
                                (json.dumps(holder), time.time()))
        except sqlite3.OperationalError as exc:
            raise StateError(f"state store {self.path} is in use ({exc}): is another crawl "
                             f"with the same STATE_URI running?") from exc
        return None

    def refresh_lock(self, holder: dict) -> None:
        self.db.execute("UPDATE run_lock SET heartbeat = ? WHERE holder = ?", (time.time(), json.dumps(holder)))

    def release_lock(self, holder: dict) -> None:
        self.db.execute("DELETE FROM run_lock WHERE holder = ?", (json.dumps(holder),))

    def note_feed(self, path: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO feeds (path, owner) VALUES (?, ?)", (path, self.owner))

    def feeds(self) -> list[str]:
        dead, live = self._dead_owners_clause()
        return [row[0] for row in self.db.execute(f"SELECT path FROM feeds WHERE {dead} ORDER BY path", live)]

    def forget_feeds(self) -> None:
        dead, live = self._dead_owners_clause()
        self.db.execute(f"DELETE FROM feeds WHERE {dead}", live)

    def ensure_param(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO params (name, value) VALUES (?, ?)", (name, value))
        stored = self.db.execute("SELECT value FROM params WHERE name = ?", (name,)).fetchone()[0]
        if stored != value:
            raise StateError(f"state store {self.path} was made with {name}={stored}, "
                             f"this run uses {value}; use another STATE_URI or the same parameters")

    def stored_urls(self, urls):
        found: set[str] = set()
        urls = list(urls)
        for start in range(0, len(urls), 500):   # SQLite's bound on parameters is 32766; 500 is plenty
            chunk = urls[start:start + 500]
            found.update(row[0] for row in self.db.execute(
                f"SELECT url FROM urls WHERE url IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def last_run(self, site):
        row = self.db.execute("SELECT started_at FROM site_runs WHERE site = ?", (site,)).fetchone()
        return row[0] if row else None

    def validators(self, url):
        row = self.db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else None

    def finish_run(self, site, started, validators):
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO site_runs (site, started_at) VALUES (?, ?)", (site, started))
            self.db.executemany("INSERT OR REPLACE INTO validators (url, etag, last_modified) VALUES (?, ?, ?)",
                                [(url, etag, modified) for url, (etag, modified) in validators.items()])

    def close(self) -> None:
        self.db.close()


def open_store(uri: str) -> StateStore:
    """`sqlite:///relative/path.sqlite`, `sqlite:////absolute/path.sqlite`, or
    `redis://[:password@]host:port/db` (`rediss://` for TLS) for state shared by processes."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        path = uri[len("sqlite:///"):] if uri.startswith("sqlite:///") else parsed.path
        if not path:
            raise StateError(f"STATE_URI {uri!r} names no file")
        return SQLiteStore(path)
    if parsed.scheme in ("redis", "rediss", "unix"):
        from pipelines.state_redis import (
            RedisStore,  # only crawls that share state need redis-py
        )
        return RedisStore(uri)
    raise StateError(f"unsupported STATE_URI {uri!r}: use sqlite:///path/to/state.sqlite or redis://host:port/db")
