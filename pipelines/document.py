"""Last step: the page becomes a Document with exactly the contract's fields."""
from __future__ import annotations

from crawler.items import Document
from pipelines.urls import site_of


def word_count(text: str) -> int:
    return len(text.split())


class DocumentPipeline:
    def process_item(self, page):
        text = page.text
        ex = page.extracted
        return Document(
            id=page.id,
            url=page.url,
            fetched_url=page.fetched_url,
            site=site_of(page.url),  # "" for a saved file with no canonical web URL
            title=page.title,
            text=text,
            source=page.source,
            keywords=page.keywords,
            published=ex.published,
            author=page.author,
            lang=page.lang,
            lang_score=page.lang_score,
            word_count=word_count(text),
            text_hash=page.text_hash,
            crawled_at=page.crawled_at,
            updated=page.updated,
        )
