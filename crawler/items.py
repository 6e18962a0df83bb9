"""What travels through the item pipelines, and what comes out of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import scrapy

# The document contract (DOCUMENT-FORMAT.md), in export order. Never rename a field.
DOCUMENT_FIELDS = (
    "id", "url", "fetched_url", "site", "title", "text", "source", "keywords", "published",
    "author", "lang", "lang_score", "word_count", "text_hash", "crawled_at", "updated",
)


class Document(scrapy.Item):
    """A kept page, as consumers of the feeds see it."""

    id = scrapy.Field()
    url = scrapy.Field()
    fetched_url = scrapy.Field()
    site = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    source = scrapy.Field()
    keywords = scrapy.Field()
    published = scrapy.Field()
    author = scrapy.Field()
    lang = scrapy.Field()
    lang_score = scrapy.Field()
    word_count = scrapy.Field()
    text_hash = scrapy.Field()
    crawled_at = scrapy.Field()
    updated = scrapy.Field()    # None; a re-fetched article whose text changed: when it was re-fetched


@dataclass
class Page:
    """A fetched page on its way through the pipelines; each step fills its part.
    Never exported: the last step turns it into a Document."""

    fetched_url: str
    html: str | None = field(repr=False)
    crawled_at: str
    seed: str | None = None
    refetch: bool = False      # an article exported before, fetched again for corrections
    prune_xpaths: list[str] = field(default_factory=list, repr=False)
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
