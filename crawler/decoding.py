"""Decoding by evidence is a core of its own now: pipelines/decoding.py (clean_page uses it
without Scrapy). These names stay importable from here."""
from pipelines.decoding import Decoded, decode_html, implausible  # noqa: F401
