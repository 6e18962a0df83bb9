"""Step 6: drop documents already seen — by canonical URL, by exact key, and near-duplicates.

Keys come from key-normalised text (pipelines/normalize.py), so copies that differ only in
diacritics, hamza forms, digits or punctuation are one document. Near-duplicates: MinHash
over word shingles, LSH bands to find candidates, then the estimated Jaccard similarity
decides. All claims go through the state store, so they hold across runs.

The key and MinHash of each text are made in a cleaning process (pipelines/sketch.py);
this module, which the crawler process runs, only claims them, and never imports datasketch
(with SciPy, half a second of CPU at every start).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipelines.drops import BY_REASON, StateUnavailable, as_drop_item
from pipelines.normalize import normalize_key, remembered_key
from pipelines.state import StateStore, StoreKeeper, StoreUnavailable, stop_crawl
from pipelines.urls import clean_url, doc_id, site_of

if TYPE_CHECKING:   # pipelines.order needs Scrapy, which clean_page() never imports
    from pipelines.order import ReorderBuffer

# Drops whose outcome a new fetch of the same page would repeat. Others (too short, no
# text) may be a page caught mid-publication: those are fetched again next run.
REMEMBERED_DROPS = {"language", "not_article", "duplicate", "near_duplicate", "duplicate_url", "unchanged"}


@dataclass(frozen=True)
class MinHashConfig:
    """Near-duplicate parameters. Written into the state store on first use: signatures
    made with other parameters cannot be compared."""

    num_perm: int = 128
    bands: int = 16          # 16 bands × 8 rows: pairs above J≈0.7 become candidates...
    shingle_words: int = 3
    threshold: float = 0.8   # ...and the estimated Jaccard similarity decides
    seed: int = 1
    scheme: str = "affine32"  # datasketch's permutation scheme; sketches of two schemes never compare

    def __post_init__(self):
        if self.num_perm % self.bands:
            raise ValueError(f"DEDUPE_MINHASH_PERMUTATIONS ({self.num_perm}) must be a multiple of bands ({self.bands})")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"DEDUPE_NEAR_THRESHOLD must be in (0, 1], got {self.threshold}")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def fingerprint(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def bands(sig: np.ndarray, config: MinHashConfig) -> list[bytes]:
    r = config.rows
    return [bytes([b]) + hashlib.blake2b(sig[b * r:(b + 1) * r].tobytes(), digest_size=12).digest()
            for b in range(config.bands)]


def key_text_of(text: str, paragraphs: list[str] | None = None) -> str:
    """The text's key normalisation. Given the paragraphs the text joins, it is made of
    theirs, which the cleaning steps have already computed: the same string, since a key is
    words joined by single spaces."""
    if paragraphs is None:
        return normalize_key(text)
    return " ".join(k for k in map(remembered_key, paragraphs) if k)


def text_hash(text: str, key_text: str | None = None) -> str:
    """The exact-duplicate key of a text: hex digest of its key normalisation
    (pass `key_text` when it is already at hand)."""
    key_text = normalize_key(text) if key_text is None else key_text
    return hashlib.sha1(key_text.encode("utf-8")).hexdigest()


@dataclass
class Verdict:
    duplicate: str | None   # None to keep; else the reason: duplicate_url, duplicate, near_duplicate, unchanged
    of: str | None = None   # the id of the document it duplicates, when known
    update: bool = False    # kept as a new version of an article exported before


@dataclass
class Sketch:
    """What dedupe needs of a text, computed once in a cleaning process (pipelines/sketch.py).
    Defined here, where the crawler unpickles it, away from datasketch and its imports."""
    key: str               # the exact-duplicate key (hex digest of the key normalisation)
    signature: np.ndarray  # its MinHash


def check(store: StateStore, doc_id: str, url: str, text: str, config: MinHashConfig,
          content: bool = True, refetch: bool = False, known: Sketch | None = None) -> tuple[Verdict, str]:
    """Claim this document's URL and keys; returns the verdict and the text hash. A kept
    document's claims stay provisional (`store.begin`) until it is exported (`store.done`).
    A re-fetched article (`refetch`) whose URL is already exported is an update when its
    text changed, else `unchanged`."""
    if known is None:   # no SketchStep in CLEANING_STEPS: make the sketch here
        from pipelines.sketch import sketch
        known = sketch(text, config)
    key = known.key
    stored = store.article(url) if refetch else None
    if stored is not None:
        return _update(store, doc_id, url, key, stored[0], content), key
    if store.has_url(url):
        return Verdict("duplicate_url"), key
    with store.claims():
        store.begin(doc_id, url, key)
        verdict = _claim(store, doc_id, url, known, config, content)
        if verdict.duplicate:
            store.done(doc_id, kept=False)  # a dropped duplicate's claims are final: it is never exported
    return verdict, key


def _update(store: StateStore, doc_id: str, url: str, key: str, old_key: str | None, content: bool) -> Verdict:
    """A corrected article is exported again under its id, marked `updated`; its first
    version's keys and bands stay, so a copy of either version is still a duplicate."""
    if old_key is None or old_key == key:
        # Unchanged, or its first fetch was dropped as a duplicate: never a new document.
        return Verdict("unchanged" if old_key else "duplicate_url")
    owner = store.claim_key(key, doc_id) if content else None
    if owner is not None and owner != doc_id:
        return Verdict("duplicate", owner)   # the new text is another document's
    store.begin(doc_id, url, key, update=True)
    return Verdict(None, update=True)


def _claim(store: StateStore, doc_id: str, url: str, known: Sketch, config: MinHashConfig,
           content: bool) -> Verdict:
    if not store.claim_url(url):
        return Verdict("duplicate_url")
    if not content:
        return Verdict(None)
    owner = store.claim_key(known.key, doc_id)
    if owner is not None and owner != doc_id:
        return Verdict("duplicate", owner)
    sig = known.signature
    near = store.claim_near(doc_id, bands(sig, config), sig.astype(np.uint64).tobytes(), config.threshold)
    if near is not None:
        return Verdict("near_duplicate", near)
    return Verdict(None)


# --- Scrapy item pipeline -------------------------------------------------------------

def minhash_config_from_settings(settings) -> MinHashConfig:
    return MinHashConfig(
        num_perm=settings.getint("DEDUPE_MINHASH_PERMUTATIONS", MinHashConfig.num_perm),
        bands=settings.getint("DEDUPE_MINHASH_BANDS", MinHashConfig.bands),
        shingle_words=settings.getint("DEDUPE_SHINGLE_WORDS", MinHashConfig.shingle_words),
        threshold=settings.getfloat("DEDUPE_NEAR_THRESHOLD", MinHashConfig.threshold),
        seed=settings.getint("DEDUPE_MINHASH_SEED", MinHashConfig.seed),
    )


class FeedLedger:
    """What the feed exports tell the dedupe pipeline before it marks a document done: which
    documents a feed failed to write, and which wait in a feed file not stored yet. The feed
    extension is one (crawler/extensions/feeds.py), found with
    `crawler.get_extension(FeedLedger)`; without one, no feed holds anything."""

    def __init__(self):
        self.failed_ids: set[str] = set()
        self.held_ids: Counter = Counter()   # document id -> open feed files holding it unstored


class DedupePipeline:
    """URL, exact and near-duplicate checks against the state store (STATE_URI).
    DEDUPE_ENABLED=False keeps the URL check (a page is exported once) but turns the
    content checks off."""

    def __init__(self, store: StateStore, config: MinHashConfig, content: bool, canonical_max_shared: int = 3):
        self.store = store
        self.config = config
        self.content = content
        # canonical URL -> the distinct fetched URLs that named it (this run), up to the bound
        self.canonical_max_shared = canonical_max_shared
        self.named_by: dict[str, set[str]] = {}
        self.order: ReorderBuffer | None = None
        store.ensure_param("minhash", config.fingerprint())

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        from pipelines.order import ReorderBuffer

        # the crawl's one store, opened by the extension that keeps it (crawler/state.py)
        pipeline = cls(crawler.get_extension(StoreKeeper).store(), minhash_config_from_settings(crawler.settings),
                       crawler.settings.getbool("DEDUPE_ENABLED", True),
                       crawler.settings.getint("DEDUPE_CANONICAL_MAX_SHARED", 3))
        pipeline.crawler = crawler
        pipeline.order = crawler.get_extension(ReorderBuffer)   # only `scrapy clean` has one
        # Connected after the feed exports' own handler (extensions are built before the
        # pipelines), so a document is in the feed before its claims become final.
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def item_scraped(self, item, response, spider):  # noqa: ARG002 (the signal's arguments)
        # A document a feed failed to write stays provisional: the next run fetches it again.
        # A document a feed file still holds unstored is marked done when that file is
        # stored (crawler/extensions/feeds.py).
        # No feed extension (no feed at all): the document is nowhere, so never done.
        ledger = self.crawler.get_extension(FeedLedger)
        if ledger is None or item.get("id") in ledger.held_ids:
            return
        if item.get("id") and item["id"] not in ledger.failed_ids:
            try:
                with self.store.claims():
                    self.store.done(item["id"])
                    self._remember(item, response)
            except StoreUnavailable as exc:
                stop_crawl(self.crawler, exc)  # left provisional: the next run settles it

    def item_dropped(self, item, response, exception, spider):  # noqa: ARG002
        reason = getattr(exception, "reason", None)
        if reason in REMEMBERED_DROPS:
            # with its reason, site and time: `scrapy state forget` can release the verdict
            try:
                for url in _outcome_urls(item, response):
                    url = clean_url(url)
                    self.store.remember_drop(url, reason, site_of(url))
            except StoreUnavailable:
                pass  # only a page fetched again next run

    def _remember(self, item, response) -> None:
        """The URLs that led to a final outcome, so that the next run does not fetch the
        page again to learn the same thing."""
        for url in _outcome_urls(item, response):
            self.store.claim_url(clean_url(url))

    def _trusted_url(self, page) -> str:
        """The page's canonical URL, unless more than DEDUPE_CANONICAL_MAX_SHARED distinct
        fetched URLs named it in this run: then it is a template's mistake (a section page
        named by all its articles), and the fetched URL stands for the page."""
        fetched = clean_url(page.fetched_url) if page.fetched_url.startswith(("http://", "https://")) else None
        if not self.canonical_max_shared or fetched is None or page.url == fetched:
            return page.url
        named = self.named_by.setdefault(page.url, set())
        if len(named) <= self.canonical_max_shared:
            named.add(fetched)
        if len(named) > self.canonical_max_shared:
            self.crawler.stats.inc_value("docs/canonical_ignored")
            return fetched
        return page.url

    def process_item(self, page):
        """The page, claimed now; or, when pages read before it are still being cleaned
        (`scrapy clean`, pipelines/order.py), an awaitable that claims it in its turn."""
        if page.seq is None or self.order is None:
            return self._claim(page)
        if self.order.in_turn(page.seq):
            try:
                return self._claim(page)
            finally:
                self.order.finish(page.seq)
        return self._claim_in_turn(page)

    async def _claim_in_turn(self, page):
        await self.order.turn(page.seq)
        try:
            return self._claim(page)
        finally:
            self.order.finish(page.seq)

    def _claim(self, page):
        page.url = self._trusted_url(page)
        page.id = doc_id(page.url)
        try:
            verdict, page.text_hash = check(self.store, page.id, page.url, page.text, self.config,
                                            self.content, refetch=page.refetch, known=page.sketch)
        except StoreUnavailable as exc:
            stop_crawl(self.crawler, exc)
            raise as_drop_item(StateUnavailable(str(exc), page.fetched_url)) from exc
        if verdict.duplicate:
            drop = BY_REASON[verdict.duplicate](f"of {verdict.of}" if verdict.of else page.url, page.fetched_url)
            raise as_drop_item(drop)
        if verdict.update:
            page.updated = page.crawled_at
            self.crawler.stats.inc_value("docs/updated")
        return page


def _outcome_urls(item, response) -> set[str]:
    """The requested URL and every redirect hop; a page `scrapy clean` read has no
    response, and only the URL it was fetched from."""
    if response is not None:
        return {response.url, *response.meta.get("redirect_urls", ())}
    fetched = item.get("fetched_url") if hasattr(item, "fields") else getattr(item, "fetched_url", None)
    return {fetched} if fetched else set()


def __getattr__(name: str):
    # The sketch moved to pipelines/sketch.py; settings that name pipelines.dedupe.SketchStep
    # (CLEANING_STEPS written before) still load, without importing datasketch here at start.
    if name in ("SketchStep", "sketch", "signature", "shingles"):
        from pipelines import sketch
        return getattr(sketch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
