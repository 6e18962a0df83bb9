"""One page in, its document out: the crawl's own cleaning steps, without Scrapy.

    from pipelines import clean_page, PageDropped
    doc = clean_page(html, "https://www.example.com/news/1.html")

For people with their own fetcher, a notebook or a Spark job. The steps, their order and
their settings are the crawl's (pipelines/steps.py); the document has the contract's fields
(docs/document.md); a page that is not kept raises `PageDropped`, whose `reason` is the name
the crawl counts it under (docs/dropped/<reason>.md). Duplicates are only looked for when
`settings` names a state store (`STATE_URI`): by default every call stands alone.
"""
from __future__ import annotations

from w3lib.encoding import html_to_unicode

from pipelines.decoding import CONTROL_CHARS, decode_html
from pipelines.dedupe import BY_REASON, check, key_text_of, minhash_config_from_settings, text_hash
from pipelines.drops import PageDropped
from pipelines.page import Page, document_fields, now_iso
from pipelines.state import open_store
from pipelines.steps import CLEANING_STEPS, DeltaStats, PlainSettings, StepContext, build_steps, run_steps
from pipelines.urls import doc_id

__all__ = ["Cleaner", "PageDropped", "clean_page"]

# The MinHash only serves the near-duplicate check, which needs a state store.
SKETCH_STEP = "pipelines.sketch.SketchStep"


def clean_page(html: bytes | str, url: str | None = None, *, settings: dict | None = None) -> dict:
    """The document of one page (a dict of the contract's fields, as in the feeds), or
    `PageDropped` with the reason. `html` as bytes is decoded as a crawl decodes it (by
    evidence: a wrong or missing charset label is overruled); `url` is where the page was
    fetched (without it, the page's canonical link, if any, is its URL). `settings` are the
    crawl's setting names (`LANGUAGES`, `QUALITY_MIN_WORDS`, `STATE_URI`, ...)."""
    with Cleaner(settings) as cleaner:
        return cleaner.clean(html, url)


class Cleaner:
    """`clean_page` for many pages: the steps are built, and the state store (when
    `STATE_URI` is set) opened, once. A kept document is final in the store at once (there
    is no feed to wait for), so the same page cleaned again is a `duplicate_url`."""

    def __init__(self, settings: dict | None = None):
        self.settings = PlainSettings(settings or {})
        self.stats = DeltaStats()   # the steps count; nobody reads it here
        uri = self.settings.get("STATE_URI")
        self.store = open_store(uri) if uri else None
        self.config = minhash_config_from_settings(self.settings)
        paths = self.settings.getlist("CLEANING_STEPS", CLEANING_STEPS)
        if self.store is None:
            paths = [p for p in paths if p != SKETCH_STEP]
        else:
            self.store.ensure_param("minhash", self.config.fingerprint())
        self.steps = build_steps(paths, StepContext(self.settings, self.stats))

    def clean(self, html: bytes | str, url: str | None = None) -> dict:
        page = Page(fetched_url=url or "", html=as_text(html), crawled_at=now_iso())
        status, result = run_steps(self.steps, page)
        self.stats.take()
        if status == "drop":
            raise result
        page = result
        if self.store is None:
            page.text_hash = text_hash(page.text, key_text_of(page.text, page.paragraphs))
        else:
            self._claim(page)
        # Without any URL, the text's own key is the only stable name the page has.
        page.id = doc_id(page.url) if page.url else page.text_hash
        return document_fields(page)

    def _claim(self, page: Page) -> None:
        claimed_id = doc_id(page.url or page.fetched_url)
        content = self.settings.getbool("DEDUPE_ENABLED", True)
        verdict, page.text_hash = check(self.store, claimed_id, page.url, page.text, self.config,
                                        content, known=page.sketch)
        if verdict.duplicate:
            raise BY_REASON[verdict.duplicate](f"of {verdict.of}" if verdict.of else page.url, page.fetched_url)
        self.store.done(claimed_id)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Cleaner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def as_text(html: bytes | str) -> str:
    """The page as text, as a crawl decodes it: the charset a page declares (BOM, meta tag)
    first, overruled when the evidence says otherwise (pipelines/decoding.py)."""
    if isinstance(html, bytes):
        encoding, declared = html_to_unicode(None, html)
        html = decode_html(html, declared, encoding).text
    return CONTROL_CHARS.sub("", html)
