"""Last step: the page becomes a Document, the Scrapy item the feeds export, with exactly
the contract's fields (pipelines/page.py makes them; docs/document.md describes them)."""
from __future__ import annotations

import scrapy

from pipelines.page import DOCUMENT_FIELDS, document_fields, word_count  # noqa: F401 (re-exported)


class Document(scrapy.Item):
    """A kept page, as consumers of the feeds see it."""

    fields = {name: scrapy.Field() for name in DOCUMENT_FIELDS}


class DocumentPipeline:
    def process_item(self, page):
        return Document(document_fields(page))
