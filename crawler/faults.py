"""Test-only fault injection: the process kills itself with SIGKILL at a named point, as the
OOM killer or a power cut would, at exactly that point and not "about then".

    -s FAULT_POINT=after_feed_write -s FAULT_AFTER=3    # killed the 3rd time it passes there

The fault tests (tests/test_fault_points.py) use it to show that every article ends up in
the feeds exactly once whatever instant a crawl dies at. Empty by default: never set it in
production.
"""
from __future__ import annotations

import os
import signal

POINTS = {
    "before_feed_write": "a document's claims are made, its feed write not yet",
    "after_feed_write": "a document is in the feed, not yet marked done",
    "after_feed_store": "a feed file (or batch) is stored, its documents not yet marked done",
    "parquet_batch": "a Parquet batch file has a row group written, and is not closed",
    "warc_record": "half of a WARC record's bytes are in the file",
    "recovery": "recovery of an interrupted run has settled one document, not the others",
}

_state = {"point": "", "left": 0, "configured": False}


def configure(settings) -> None:
    """From the crawl's settings, once per process (the first component to start calls it)."""
    if _state["configured"]:
        return
    point = settings.get("FAULT_POINT") or ""
    if point and point not in POINTS:
        raise ValueError(f"FAULT_POINT {point!r} is none of {', '.join(POINTS)}")
    _state.update(point=point, left=max(1, settings.getint("FAULT_AFTER", 1)), configured=True)


def armed(point: str) -> bool:
    return _state["point"] == point


def reached(point: str) -> None:
    if _state["point"] != point:
        return
    _state["left"] -= 1
    if _state["left"] <= 0:
        os.kill(os.getpid(), signal.SIGKILL)


class KillHalfway:
    """A file whose next large write stops halfway and kills the process (warc_record)."""

    def __init__(self, file, point: str):
        self._file, self._point = file, point

    def write(self, data) -> int:
        if armed(self._point) and len(data) > 1:
            if _state["left"] <= 1:   # the write that kills: half of it lands first
                self._file.write(data[:len(data) // 2])
                self._file.flush()
                os.fsync(self._file.fileno())
            reached(self._point)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)
