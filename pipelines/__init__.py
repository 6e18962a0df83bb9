"""Cleaning steps: each module holds a pure core and, beside it, a thin Scrapy item pipeline.

`from pipelines import clean_page, PageDropped` cleans one page without Scrapy
(pipelines/api.py). Loaded on first use, so that a crawl's processes do not import what
they never call."""

__all__ = ["Cleaner", "PageDropped", "clean_page"]


def __getattr__(name: str):
    if name in __all__:
        from pipelines import api
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
