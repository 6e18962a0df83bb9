"""A reorder buffer: pages cleaned many at a time, claimed by dedupe one at a time in the
order they were read.

`scrapy clean` numbers the pages it reads from archives and folders (`Page.seq`, from 1).
The cleaning processes finish them in any order. Dedupe keeps the first of two copies it
sees, and a crawl saw them in the order it downloaded them, which is the archive's order:
so a cleaned page waits here until every page read before it has been claimed or dropped,
and the same copy is kept as when the archive was crawled.

`CLEAN_WINDOW` pages at most are between reading and their outcome, so a slow page holds
up that many, not the whole archive, and memory stays bounded. Pages without a number
(a crawl's) never wait.
"""
from __future__ import annotations

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer


class ReorderBuffer:
    """An extension (`crawler.get_extension(ReorderBuffer)`): the reader asks for `room()`
    before it hands over a page, dedupe waits for the page's `turn()` and calls `finish()`
    once it has claimed or dropped it. A page dropped before dedupe, or failed by a step,
    is finished by the signal that says so."""

    def __init__(self, window: int = 32, clock=None):
        self.window = max(1, window)
        self.clock = clock   # what schedules a later call: the reactor, unless a test gives its own
        self.next = 1              # the oldest page not finished
        self.read = 0              # pages handed over so far
        self.outcomes = 0          # pages whose outcome the pipelines have given
        self._finished: set[int] = set()   # finished ahead of their turn
        self._turns: dict[int, defer.Deferred] = {}
        self._room: defer.Deferred | None = None   # fired at the next outcome
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler):
        buffer = cls(crawler.settings.getint("CLEAN_WINDOW", 32))
        crawler.signals.connect(buffer._outcome, signal=signals.item_scraped)
        crawler.signals.connect(buffer._outcome, signal=signals.item_dropped)
        crawler.signals.connect(buffer._outcome, signal=signals.item_error)
        crawler.signals.connect(buffer._release_all, signal=signals.spider_closed)
        return buffer

    # --- the reader --------------------------------------------------------------------

    async def room(self) -> int:
        """Waits until fewer than `window` pages are between reading and their outcome;
        returns the next page's number."""
        while not self.closed and self.read - self.outcomes >= self.window:
            await self._next_outcome()
        self.read += 1
        return self.read

    async def drained(self) -> None:
        """Waits until every page handed over has its outcome."""
        while not self.closed and self.outcomes < self.read:
            await self._next_outcome()

    async def _next_outcome(self) -> None:
        if self._room is None:
            self._room = defer.Deferred()
        await maybe_deferred_to_future(self._room)

    # --- dedupe ------------------------------------------------------------------------

    def in_turn(self, seq: int) -> bool:
        return seq <= self.next

    async def turn(self, seq: int) -> None:
        """Waits until every page numbered before `seq` is finished."""
        if not self.in_turn(seq):
            waiting = self._turns[seq] = defer.Deferred()
            await maybe_deferred_to_future(waiting)

    def finish(self, seq: int | None) -> None:
        if seq is None or seq < self.next:
            return
        self._finished.add(seq)
        while self.next in self._finished:
            self._finished.discard(self.next)
            self.next += 1
        waiting = self._turns.pop(self.next, None)
        if waiting is not None:
            # a later turn, not a nested call: a run of waiting pages would otherwise go
            # through dedupe one inside another's stack
            self._later(waiting)

    # --- signals -----------------------------------------------------------------------

    def _outcome(self, item, **kwargs) -> None:
        """Each page handed over ends in exactly one of these signals."""
        self.outcomes += 1
        self.finish(getattr(item, "seq", None))
        if self._room is not None:
            room, self._room = self._room, None
            self._later(room)

    def _later(self, waiting: defer.Deferred) -> None:
        if self.clock is None:
            # imported here: importing the reactor installs one, and the crawl chooses which
            from twisted.internet import reactor
            self.clock = reactor
        self.clock.callLater(0, waiting.callback, None)

    def _release_all(self, *args, **kwargs) -> None:
        """The spider closes (a shutdown): nothing waits for a page that will not come."""
        self.closed = True
        waiting = [*self._turns.values(), self._room]
        self._turns.clear()
        self._room = None
        for deferred in waiting:
            if deferred is not None and not deferred.called:
                deferred.callback(None)

