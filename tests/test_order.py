"""The reorder buffer (pipelines/order.py): pages finish cleaning in any order, dedupe
claims them in the order they were read, and no more than the window is read ahead."""
from __future__ import annotations

from twisted.internet import defer, task
from twisted.internet import reactor  # noqa: F401 (installed, not run: the waits are plain Deferreds then)

from pipelines.order import ReorderBuffer


class Item:
    def __init__(self, seq):
        self.seq = seq


def started(coro) -> defer.Deferred:
    return defer.Deferred.fromCoroutine(coro)


def test_pages_are_claimed_in_the_order_read_whatever_order_they_finish_cleaning():
    clock = task.Clock()
    buffer = ReorderBuffer(window=8, clock=clock)
    claimed: list[int] = []

    async def dedupe(seq):
        await buffer.turn(seq)
        claimed.append(seq)
        buffer.finish(seq)

    numbers = [started(buffer.room()) for _ in range(5)]
    assert [d.result for d in numbers] == [1, 2, 3, 4, 5]
    # cleaning finishes 4, 2, 5 first; 3 is dropped by a cleaning step; 1 comes last
    for seq in (4, 2, 5):
        started(dedupe(seq))
    buffer._outcome(Item(3))
    clock.advance(0)
    assert claimed == []            # all wait for page 1
    started(dedupe(1))
    for _ in range(5):
        clock.advance(0)
    assert claimed == [1, 2, 4, 5]
    assert buffer.next == 6


def test_no_more_than_the_window_is_read_ahead_of_the_outcomes():
    clock = task.Clock()
    buffer = ReorderBuffer(window=3, clock=clock)
    numbers = [started(buffer.room()) for _ in range(4)]
    assert [d.called for d in numbers] == [True, True, True, False]
    buffer._outcome(Item(2))        # an outcome, even out of turn, makes room for one more
    clock.advance(0)
    assert numbers[3].called and numbers[3].result == 4


def test_a_closing_spider_releases_every_waiting_page():
    buffer = ReorderBuffer(window=2, clock=task.Clock())
    started(buffer.room())
    started(buffer.room())
    waiting_room = started(buffer.room())
    waiting_turn = started(buffer.turn(2))
    assert not waiting_room.called and not waiting_turn.called
    buffer._release_all()
    assert waiting_turn.called
    assert waiting_room.called


def test_drained_waits_for_every_outcome():
    clock = task.Clock()
    buffer = ReorderBuffer(window=4, clock=clock)
    for _ in range(2):
        started(buffer.room())
    drained = started(buffer.drained())
    buffer._outcome(Item(1))
    clock.advance(0)
    assert not drained.called
    buffer._outcome(Item(2))
    clock.advance(0)
    assert drained.called
