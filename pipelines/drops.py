"""Why a page did not become a document: one exception class per reason.

`reason` is the stats key suffix: every drop is counted as `docs/dropped/<reason>`
(crawler/extensions/docstats.py), so a reason reads the same in logs, stats, reports and
docs/dropped/<reason>.md. The classes know nothing of Scrapy, so that `clean_page` raises
them without importing it; a Scrapy item pipeline hands one to Scrapy as `as_drop_item(drop)`,
the same drop that is also a Scrapy `DropItem`, which Scrapy counts and logs as a drop.
"""
from __future__ import annotations


class PageDropped(Exception):
    """A page that is not kept, and `reason`, the name it is counted under."""

    reason = "dropped"

    def __init__(self, detail: str = "", url: str | None = None, log_level: str = "DEBUG"):
        super().__init__(f"{self.reason}: {detail}" + (f" <{url}>" if url else ""))
        self.detail = detail
        self.url = url
        self.log_level = log_level

    def __reduce__(self):  # drops travel back from the cleaning processes (pipelines/pool.py)
        return (type(self), (self.detail, self.url, self.log_level))


Drop = PageDropped   # the name the steps were written with


class ExtractFailed(Drop):
    reason = "extract_failed"


class NoText(Drop):
    reason = "no_text"


class WrongLanguage(Drop):
    reason = "language"


class NotArticle(Drop):
    reason = "not_article"


class TooShort(Drop):
    reason = "too_short"


class DuplicateURL(Drop):
    reason = "duplicate_url"


class Duplicate(Drop):
    reason = "duplicate"


class NearDuplicate(Drop):
    reason = "near_duplicate"


class Unchanged(Drop):
    """A re-fetched article (REFETCH_HOURS) whose text has not changed since its export."""
    reason = "unchanged"


class StateUnavailable(Drop):
    """The state store stopped answering: the crawl is being stopped, and the page is left
    for the next run (nothing was marked done for it)."""
    reason = "state_unavailable"


class PipelineError(Drop):
    """A step failed on a page with an exception that is not a drop (a bug): counted under
    the exception's name, as the crawler counts pipeline errors, and logged with it."""

    def __init__(self, detail: str = "", url: str | None = None, log_level: str = "ERROR",
                 exception: str = "Exception"):
        self.reason = f"pipeline_error_{exception}"
        self.exception = exception
        super().__init__(detail, url, log_level)

    def __reduce__(self):
        return (PipelineError, (self.detail, self.url, "ERROR", self.exception))


BY_REASON = {cls.reason: cls for cls in (DuplicateURL, Duplicate, NearDuplicate, Unchanged)}

_AS_DROP_ITEM: dict[type, type] = {}


def as_drop_item(drop: PageDropped) -> Exception:
    """The same drop, also an instance of Scrapy's DropItem: what a Scrapy item pipeline
    raises so that Scrapy counts it as dropped (the `item_dropped` signal, stats by class
    name), not as a pipeline error. `except NearDuplicate` still catches it."""
    from scrapy.exceptions import DropItem   # here, not above: the cores never load Scrapy

    if isinstance(drop, DropItem):
        return drop
    cls = type(drop)
    both = _AS_DROP_ITEM.get(cls)
    if both is None:
        both = _AS_DROP_ITEM[cls] = type(cls.__name__, (cls, DropItem), {"__module__": cls.__module__})
    converted = both.__new__(both, *drop.args)
    converted.__dict__.update(drop.__dict__)
    converted.__cause__, converted.__traceback__ = drop.__cause__, drop.__traceback__
    return converted
