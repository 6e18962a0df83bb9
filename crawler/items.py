"""What travels through the item pipelines, and what comes out of them.

The types live with the cores that make them (pipelines/page.py, pipelines/document.py);
these names stay importable from here for code written against the crawler package."""
from pipelines.document import Document
from pipelines.page import DOCUMENT_FIELDS, Page

__all__ = ["DOCUMENT_FIELDS", "Document", "Page"]
