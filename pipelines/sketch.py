"""Step 5: the text's exact-duplicate key and MinHash, made once, in a cleaning process.

The key is the SHA-1 of the text's key normalisation (pipelines/normalize.py); the MinHash
is over word shingles of the same normalisation. The crawler process claims both in the
state store (pipelines/dedupe.py) and never needs datasketch itself.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHash

from pipelines.dedupe import MinHashConfig, Sketch, key_text_of, minhash_config_from_settings, text_hash  # noqa: F401
from pipelines.normalize import normalize_key


def shingles(key_text: str, n: int) -> set[bytes]:
    words = key_text.split()
    if len(words) <= n:
        return {" ".join(words).encode("utf-8")} if words else set()
    # each run of n words, as n shifted views of the words zipped (no slice a shingle)
    return {" ".join(run).encode("utf-8") for run in zip(*(words[i:] for i in range(n)))}


@lru_cache(maxsize=None)
def _permutations(config: MinHashConfig):
    # datasketch draws its permutations from the seed; make them once, not per document
    return MinHash(num_perm=config.num_perm, seed=config.seed, scheme=config.scheme).permutations


def signature(text: str, config: MinHashConfig, key_text: str | None = None) -> np.ndarray:
    """MinHash of the text's word shingles, computed once on its key normalisation."""
    key_text = normalize_key(text) if key_text is None else key_text
    m = MinHash(num_perm=config.num_perm, seed=config.seed, scheme=config.scheme,
                permutations=_permutations(config))
    m.update_batch(list(shingles(key_text, config.shingle_words)))
    return m.hashvalues


def sketch(text: str, config: MinHashConfig, paragraphs: list[str] | None = None) -> Sketch:
    """The text's key and MinHash. Given the paragraphs the text joins, its key is made of
    theirs, which the cleaning steps before have already computed: the same string, since
    a key is words joined by single spaces."""
    key_text = key_text_of(text, paragraphs)
    return Sketch(text_hash(text, key_text), signature(text, config, key_text))


class SketchStep:
    """A cleaning step (CLEANING_STEPS): the text's key and MinHash, computed where the
    CPU is (a cleaning process), not on the crawler's thread that claims them."""

    def __init__(self, config: MinHashConfig):
        self.config = config

    @classmethod
    def from_crawler(cls, crawler):
        return cls(minhash_config_from_settings(crawler.settings))

    def process_item(self, page):
        page.sketch = sketch(page.text, self.config, page.paragraphs)
        return page
