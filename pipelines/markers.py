"""The boilerplate marker table (markers.toml), matched on key-normalised text."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipelines.normalize import normalize_key

# A marker followed by a colon (Arabic or Latin, maybe spaced) and a value.
LABEL_VALUE = re.compile(r"^[^:：]{1,40}?\s*[:：]\s*(.+)$", re.S)
# "قبل ساعتين", "منذ يومين": a time told relative to now
RELATIVE = frozenset(("قبل", "منذ"))
# Tags printed as plain text are separated by one of these.
TAG_SEPARATORS = re.compile(r"\s*(?:[،,|;؛/•#]|\s-\s)\s*")

KINDS = ("tags", "read_also", "related", "comments", "promo", "source", "byline", "notice", "caption", "embed")
# Kinds added since the table was first published: a replacement table without them takes
# the bundled ones, so a copy made from an older release keeps working.
LATER_KINDS = ("byline_word", "consent", "consent_button", "next_story", "end_mark")
# Tables of single words rather than phrases.
WORD_KINDS = ("date_words", "box_end")


@dataclass(frozen=True)
class Markers:
    """Key-normalised markers by kind, longest first so the most specific one wins."""

    by_kind: dict[str, tuple[str, ...]]
    date_words: frozenset[str] = frozenset()
    box_end: frozenset[str] = frozenset()      # the word of a box's closing label ("نهاية")
    # kind -> first word -> markers starting with it, longest first: a line is checked
    # against the few markers that share its first word, not against the whole table.
    by_first_word: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # kind -> the words its markers start with, bare or joined to "و": `contains` is asked of
    # most lines of every page, and nearly always finds nothing; a line with none of these
    # words holds none of the markers.
    openers: dict[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self):
        for kind, markers in self.by_kind.items():
            index: dict[str, list[str]] = {}
            for marker in markers:
                index.setdefault(marker.split(" ", 1)[0], []).append(marker)
            self.by_first_word[kind] = {w: tuple(ms) for w, ms in index.items()}
            self.openers[kind] = frozenset(index) | frozenset("و" + w for w in index)

    def first_words(self, *kinds: str) -> frozenset[str]:
        """The words a marker of these kinds can start with: a line starting with any other
        word is none of them."""
        return frozenset().union(*(self.by_first_word[kind] for kind in kinds))

    def prefix(self, kind: str, key: str) -> str | None:
        """The marker of `kind` that `key` (a key-normalised line) starts with, if any."""
        for marker in self.by_first_word[kind].get(key.split(" ", 1)[0], ()):
            if key == marker or key.startswith(marker + " "):
                return marker
        return None

    def contains(self, kind: str, key: str) -> str | None:
        """The marker of `kind` found anywhere in `key`, as whole words."""
        if self.openers.get(kind, frozenset()).isdisjoint(_word_set(key)):
            return None
        padded = f" {key} "
        for marker in self.by_kind[kind]:   # the longest marker found, as before
            if f" {marker} " in padded or f" و{marker} " in padded:   # "ولا تعبر ...": و joins the word
                return marker
        return None

    def is_heading(self, kind: str, key: str, extra_words: int = 0) -> bool:
        """`key` is a marker of `kind` on its own, allowing a few more words
        ("الأكثر قراءة اليوم", "المزيد من أخبار الرياضة")."""
        marker = self.prefix(kind, key)
        return marker is not None and len(key.split()) <= len(marker.split()) + extra_words

    def is_dateline(self, key: str, max_words: int = 12) -> bool:
        """A short line made only of dates, times and date words: with a number, or a
        relative time ("تحديث قبل ساعتين", "منذ يومين")."""
        words = key.split()
        if not 0 < len(words) <= max_words or not all(w.isdigit() or w in self.date_words for w in words):
            return False
        return any(w.isdigit() for w in words) or (len(words) <= 6 and bool(RELATIVE & set(words)))


@lru_cache(maxsize=4096)
def _word_set(key: str) -> frozenset[str]:
    # the same line is asked for several kinds (notice, embed, caption, consent)
    return frozenset(key.split())


def load_markers(path: str | Path | None = None) -> Markers:
    table = _read_table(path)
    missing = [k for k in KINDS if k not in table]
    if missing:
        raise ValueError(f"marker table {path or 'markers.toml'} lacks kinds: {', '.join(missing)}")
    if path is not None:
        bundled = _read_table(None)
        table = {**{k: bundled[k] for k in LATER_KINDS + WORD_KINDS if k not in table}, **table}
    by_kind = {}
    for kind in KINDS + LATER_KINDS:
        keys = {normalize_key(m) for m in table.get(kind, [])}
        by_kind[kind] = tuple(sorted((k for k in keys if k), key=lambda m: (-len(m), m)))
    word_sets = {kind: frozenset(w for v in table.get(kind, []) for w in normalize_key(v).split())
                 for kind in WORD_KINDS}
    return Markers(by_kind, **word_sets)


def _read_table(path: str | Path | None) -> dict:
    if path is None:
        raw = resources.files("pipelines").joinpath("markers.toml").read_text(encoding="utf-8")
    else:
        raw = Path(path).read_text(encoding="utf-8")
    return tomllib.loads(raw)


@lru_cache(maxsize=None)
def default_markers() -> Markers:
    return load_markers()


def markers_from_settings(settings) -> Markers:
    """BOILERPLATE_MARKERS_FILE replaces the bundled table (a copy of markers.toml to extend)."""
    path = settings.get("BOILERPLATE_MARKERS_FILE")
    return load_markers(path) if path else default_markers()
