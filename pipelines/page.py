"""The two data types of the cores: a Page on its way through the steps, and the document
it becomes (a plain dict of the contract's fields, docs/document.md). No Scrapy here: the
Scrapy item that carries a document through the feeds is pipelines/document.py's."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipelines.urls import site_of

# The document contract (docs/document.md), in export order. Never rename a field.
DOCUMENT_FIELDS = (
    "id", "url", "fetched_url", "site", "title", "text", "source", "keywords", "published",
    "author", "lang", "lang_score", "word_count", "text_hash", "crawled_at", "updated",
)


@dataclass
class Page:
    """A fetched page on its way through the pipelines; each step fills its part.
    Never exported: the last step turns it into a document."""

    fetched_url: str
    html: str | None = field(repr=False)
    crawled_at: str
    seed: str | None = None
    refetch: bool = False      # an article exported before, fetched again for corrections
    prune_xpaths: list[str] = field(default_factory=list, repr=False)
    # its place in the order `scrapy clean` read it (pipelines/order.py); None in a crawl
    seq: int | None = None
    # extract
    extracted: Any = field(default=None, repr=False)
    title: str | None = None
    url: str | None = None
    # boilerplate
    paragraphs: list[str] = field(default_factory=list, repr=False)
    keywords: list[str] = field(default_factory=list, repr=False)
    source: str | None = None
    author: str | None = None
    removed: dict[str, int] = field(default_factory=dict, repr=False)   # lines removed, by kind
    # what became of each block of the page's text, and why (pipelines/rules.py Decision):
    # what the explain report shows; not sent back from the cleaning processes
    decisions: list = field(default_factory=list, repr=False)
    # language
    lang: str | None = None
    lang_score: float | None = None
    # dedupe
    id: str | None = None
    text_hash: str | None = None
    updated: str | None = None
    sketch: Any = field(default=None, repr=False)   # key and MinHash, from the cleaning pool

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def word_count(text: str) -> int:
    return len(text.split())


def document_fields(page: Page) -> dict:
    """The contract's fields of a cleaned page, in export order, and nothing else."""
    text = page.text
    return {
        "id": page.id,
        "url": page.url,
        "fetched_url": page.fetched_url,
        "site": site_of(page.url),  # "" for a saved file with no canonical web URL
        "title": page.title,
        "text": text,
        "source": page.source,
        "keywords": page.keywords,
        "published": page.extracted.published,
        "author": page.author,
        "lang": page.lang,
        "lang_score": page.lang_score,
        "word_count": word_count(text),
        "text_hash": page.text_hash,
        "crawled_at": page.crawled_at,
        "updated": page.updated,
    }
