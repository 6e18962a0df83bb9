"""Why a page did not become a document: one DropItem subclass per reason.

`reason` is the stats key suffix: every drop is counted as `docs/dropped/<reason>`
(crawler/extensions/docstats.py), so a reason reads the same in logs, stats and reports.
"""
from scrapy.exceptions import DropItem


class Drop(DropItem):
    reason = "dropped"

    def __init__(self, detail: str = "", url: str | None = None, log_level: str = "DEBUG"):
        self.detail = detail
        self.url = url
        super().__init__(f"{self.reason}: {detail}" + (f" <{url}>" if url else ""), log_level=log_level)

    def __reduce__(self):  # drops travel back from the cleaning processes (pipelines/pool.py)
        return (type(self), (self.detail, self.url, self.log_level))


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


BY_REASON = {cls.reason: cls for cls in (DuplicateURL, Duplicate, NearDuplicate, Unchanged)}
