"""Step 2: remove what trafilatura leaves behind in Arabic news text.

Works on the extracted paragraphs, generically for any site: the markers of
markers.toml (matched on key-normalised text) find tags lines, read-also blocks,
related/most-read lists, comment areas, promo lines and the attribution line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.dates import find_arabic_date, find_numeric_date
from pipelines.markers import (
    LABEL_VALUE,
    TAG_SEPARATORS,
    Markers,
    default_markers,
    markers_from_settings,
)
from pipelines.normalize import STOPWORDS, content_stems, normalize_key, remembered_key

HEADLINE_MAX_WORDS = 25
SHORT_LINE_MAX_WORDS = 25
SOURCE_MAX_WORDS = 8
NOTICE_MAX_WORDS = 80
# What a byline prints after the name: a separator and a date, a time, a place.
AFTER_NAME = re.compile(r"\s[|–—-]\s|\s*\||\d|[٠-٩]")
TITLE_SEARCH_PARAGRAPHS = 8
LEAD_CHROME_MAX_WORDS = 6
META_ROW_MAX_WORDS = 30
BYLINE_WORDS = frozenset(("بقلم", "كتب", "كتبت", "by"))
CAPTION_MAX_WORDS = 25
TRAILING_CHROME_MAX_WORDS = 4
PROSE_MIN_WORDS = 20
SENTENCE_END = (".", "。", "؟", "!", ":", "?")


@dataclass
class Cleaned:
    paragraphs: list[str]
    keywords: list[str] = field(default_factory=list)
    source: str | None = None
    byline: str | None = None          # the first byline line removed from the text
    removed: dict[str, int] = field(default_factory=dict)  # paragraphs removed, by kind

    def count(self, kind: str, n: int = 1) -> None:
        self.removed[kind] = self.removed.get(kind, 0) + n


def clean(paragraphs: list[str], title: str | None = None, tag_links: list[str] | None = None,
          link_keys: frozenset[str] = frozenset(), markers: Markers | None = None,
          standfirst: str | None = None, source_line: str | None = None) -> Cleaned:
    """Split extracted paragraphs into article text, keywords and source.

    `tag_links` are the tags block's link texts found in the HTML (preferred over splitting
    a flattened tags line); `link_keys` are the page's anchor texts, key-normalised, which
    tell a headline line from prose. `standfirst` (the summary printed under the headline)
    and `source_line` ("المصدر: ...") are what the page shows outside the extracted body.
    """
    markers = markers or default_markers()
    out = Cleaned(paragraphs=[])
    keys = [remembered_key(p) for p in paragraphs]
    title_key = normalize_key(title or "")
    if title_key and title_key in keys[1:]:
        # What a page prints above its headline is navigation, a kicker or tools: cut it
        # when it is near the top, or when no prose stands before the headline.
        start = keys.index(title_key)
        if start < TITLE_SEARCH_PARAGRAPHS or not any(
                len(p.split()) >= PROSE_MIN_WORDS and p.rstrip().endswith(SENTENCE_END) for p in paragraphs[:start]):
            out.count("before_title", start)
            paragraphs, keys = paragraphs[start:], keys[start:]
    if standfirst and (standfirst_key := normalize_key(standfirst)) not in " ".join(keys[:TITLE_SEARCH_PARAGRAPHS]):
        paragraphs, keys = [standfirst, *paragraphs], [standfirst_key, *keys]
        out.count("standfirst_added")
    if source_line:
        paragraphs, keys = [*paragraphs, source_line], [*keys, normalize_key(source_line)]
    seen: set[str] = set()
    i = 0
    while i < len(paragraphs):
        p, key = paragraphs[i], keys[i]
        # Real text kept so far, not a stray tool line ("طباعة") printed above the article.
        has_prose = any(len(kept.split()) >= PROSE_MIN_WORDS // 2 for kept in out.paragraphs)

        if not key:
            i += 1
            continue
        if title_key and key == title_key and i < TITLE_SEARCH_PARAGRAPHS:
            out.count("title")
            i += 1
            continue
        if (value := _label_value(p, markers, "source")) and len(value.split()) <= SOURCE_MAX_WORDS:
            out.source = out.source or value
            out.count("source")
            i += 1
            continue
        if _prose_at_least(out.paragraphs, 2) and _starts_another_article(paragraphs, keys, i, markers):
            # A headline with its own dateline or byline under it, after this article's
            # text: the next story, appended below (infinite scroll) or a read-also story.
            i = _cut_rest(paragraphs, keys, i, out, markers, "next_article")
            continue
        if _meta_row(p, key, markers):
            # "كتب: فلان | الأحد 12 تشرين الأول 2025 | 11:05 | المشاهدات: 8,214"
            if markers.prefix("byline", key):
                out.byline = out.byline or p
            out.count("meta_row")
            i += 1
            continue
        if len(key.split()) <= CAPTION_MAX_WORDS and markers.contains("caption", key) \
                or len(key.split()) <= NOTICE_MAX_WORDS and markers.contains("embed", key):
            out.count("caption")
            i += 1
            continue
        if _label_value(p, markers, "related") is not None and len(key.split()) <= HEADLINE_MAX_WORDS + 15:
            out.count("related")  # "الخبر السابق: ..." — one pointer line
            i += 1
            continue
        dateline = markers.is_dateline(key)
        if dateline or _is_byline(p, key, markers):
            if not dateline:
                out.byline = out.byline or p
            out.count("byline")
            i += 1
            continue
        if not has_prose and _leading_chrome(paragraphs, keys, i):
            # Short lines between the headline and the text: a byline and its role line,
            # a kicker, a location. The standfirst and the text are longer.
            out.count("lead_chrome")
            i += 1
            continue
        tag_marker = markers.prefix("tags", key)
        if tag_marker and (key == tag_marker or _label_value(p, markers, "tags") is not None
                           or (tag_links and _unpunctuated_line(p))):
            taken = _take_tags(paragraphs, keys, i, tag_links, out, markers)
            out.count("tags", taken)
            i += taken
            if has_prose:
                i = _cut_rest(paragraphs, keys, i, out, markers, "tags")
            continue
        if markers.prefix("read_also", key):
            i = _skip_read_also(paragraphs, keys, i, link_keys, out, markers)
            continue
        if _related_heading(paragraphs, keys, i, markers) or markers.is_heading("comments", key, extra_words=1):
            kind = "related" if markers.prefix("related", key) else "comments"
            if has_prose:
                i = _cut_rest(paragraphs, keys, i, out, markers, kind)
            else:
                out.count(kind)
                i += 1
                while i < len(paragraphs) and _headline_like(paragraphs[i], keys[i], link_keys):
                    out.count(kind)
                    i += 1
            continue
        if len(key.split()) <= NOTICE_MAX_WORDS and markers.contains("notice", key):
            # A disclaimer or comment rules late in the text: what follows is not the article
            # (comments, the author's other columns). Early on, only the line goes.
            if has_prose and i >= len(paragraphs) / 2:
                i = _cut_rest(paragraphs, keys, i, out, markers, "notice")
            else:
                out.count("notice")
                i += 1
            continue
        if markers.prefix("promo", key) and len(key.split()) <= SHORT_LINE_MAX_WORDS:
            out.count("promo")
            i += 1
            continue
        if _is_link_line(key, link_keys):
            # A paragraph that is all one link is a pointer to another page (a story, a
            # section), whatever heads it or does not.
            out.count("link_line")
            i += 1
            continue
        if key in seen:
            out.count("repeated")
            i += 1
            continue
        seen.add(key)
        if not has_prose:
            p = _without_dateline(p)
        out.paragraphs.append(p)
        i += 1
    while out.paragraphs and len(out.paragraphs[-1].split()) <= TRAILING_CHROME_MAX_WORDS \
            and not out.paragraphs[-1].rstrip().endswith(SENTENCE_END):
        # A few words that end nothing, after the last sentence: share buttons, a
        # subheading of nothing, a sign-off. An article ends with a sentence.
        out.paragraphs.pop()
        out.count("trailing_chrome")
    if not out.keywords and tag_links:
        out.keywords = list(tag_links)
    return out


def _related_heading(paragraphs, keys, i, markers: Markers) -> bool:
    """A related/most-read heading. With words beyond the marker ("المزيد من أخبار
    الرياضة") it might be a subheading of the article instead, which prose follows."""
    key = keys[i]
    if not markers.is_heading("related", key, extra_words=3):
        return False
    if markers.is_heading("related", key) or paragraphs[i].rstrip().endswith(SENTENCE_END):
        return markers.is_heading("related", key)
    following = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
    return not (len(following.split()) >= PROSE_MIN_WORDS and following.rstrip().endswith(SENTENCE_END))


def _is_link_line(key: str, link_keys: frozenset[str]) -> bool:
    """All one link, or a short label and a link ("ذات صلة: <a>...</a>", "شاهد: <a>")."""
    words = key.split()
    if not words or len(words) > HEADLINE_MAX_WORDS:
        return False
    return any(" ".join(words[n:]) in link_keys for n in range(0, min(4, len(words) - 1)))


TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")


def _meta_row(paragraph: str, key: str, markers: Markers) -> bool:
    """A row of facts about the article: a date or time with bylines, counters, separators."""
    words = key.split()
    if not words or len(words) > META_ROW_MAX_WORDS or paragraph.rstrip().endswith((".", "؟", "!")):
        return False
    facts = sum(1 for w in words if w.isdigit() or w in markers.date_words)
    if facts < 2 or not ("|" in paragraph or facts >= 0.4 * len(words) or markers.prefix("byline", key)):
        return False
    return bool(TIME.search(paragraph) or find_arabic_date(paragraph) or find_numeric_date(paragraph))


# "القاهرة - ", "طوباس 20-2-2024 نبأ- ", "دمشق - خاص | ": a place (a date, an agency) and a
# dash or bar before the first sentence of a story.
LEADING_DATELINE = re.compile(r"^(?:[^\s\d.،,:؛]+\s+)?[^\s\d.،,:؛-]+(?:\s+[\d٠-٩]{1,2}[-/][\d٠-٩]{1,2}[-/][\d٠-٩]{4})?"
                              r"(?:\s+[^\s\d.،,:؛-]+)?\s*[-–|]\s*(?:[^\s\d.،,:؛|-]+\s*[|–-]\s*)?")


def _without_dateline(paragraph: str) -> str:
    """The first paragraph without a dateline glued to its start; the sentence must stay long."""
    m = LEADING_DATELINE.match(paragraph)
    if m and len(paragraph[m.end():].split()) >= 15 and not set(normalize_key(m.group(0)).split()) & STOPWORDS:
        return paragraph[m.end():]
    return paragraph


def _prose_at_least(paragraphs: list[str], n: int) -> bool:
    """At least `n` prose paragraphs: asked at every line, so it stops counting at `n`."""
    for p in paragraphs:
        if len(p.split()) >= PROSE_MIN_WORDS:
            n -= 1
            if n <= 0:
                return True
    return n <= 0


def _leading_chrome(paragraphs, keys, i) -> bool:
    """Before any prose, a short line that ends no sentence is a tool, a kicker or a byline."""
    return len(keys[i].split()) <= LEAD_CHROME_MAX_WORDS and not paragraphs[i].rstrip().endswith(SENTENCE_END)


def _starts_another_article(paragraphs, keys, i, markers: Markers) -> bool:
    """A headline-like line followed, within two lines, by a dateline or a byline, and
    then by prose. A subheading inside an article is followed by prose directly."""
    if not 2 <= len(keys[i].split()) <= HEADLINE_MAX_WORDS or paragraphs[i].rstrip().endswith(SENTENCE_END):
        return False
    for j in range(i + 1, min(i + 3, len(paragraphs))):
        # A full date, not a clock time: the entries of a live report carry times.
        dated = (markers.is_dateline(keys[j]) or _meta_row(paragraphs[j], keys[j], markers)) \
            and bool(find_arabic_date(paragraphs[j]) or find_numeric_date(paragraphs[j]))
        if dated or _is_byline(paragraphs[j], keys[j], markers):
            return any(len(k.split()) >= 15 for k in keys[j + 1:j + 4])
    return False


def _unpunctuated_line(paragraph: str) -> bool:
    """A list of words, not a sentence: prose that happens to start like a tags label
    ("العلامات الحيوية للمريض ...") ends with a full stop."""
    return len(paragraph.split()) <= 60 and not paragraph.rstrip().endswith((".", "؟", "!"))


def _is_byline(paragraph: str, key: str, markers: Markers) -> bool:
    """"كتب: name" / "بقلم name": a label and a short name, nothing that ends a sentence."""
    if not key or len(key.split()) > 7 or paragraph.rstrip().endswith("."):
        return False
    if _label_value(paragraph, markers, "byline"):
        return True
    # "كتب أحمد علي", "بقلم سلمى يوسف": a byline word, then a name of a few words
    return key.split()[0] in BYLINE_WORDS and 2 <= len(key.split()) <= 5


def clean_author(author: str | None, markers: Markers | None = None) -> str | None:
    """A byline as a name: "كتب: أميرة حسن" → "أميرة حسن"."""
    if not author:
        return None
    markers = markers or default_markers()
    author = AFTER_NAME.split(author)[0]  # "بقلم: فلان | الأربعاء 18 يونيو 2025"
    words = author.replace(":", " ").replace("：", " ").split()
    while words and markers.prefix("byline", normalize_key(words[0])) == normalize_key(words[0]):
        words = words[1:]
    while words and normalize_key(words[-1]) in markers.date_words:  # "... الأحد" before a date
        words = words[:-1]
    return " ".join(words) or None


def _label_value(paragraph: str, markers: Markers, kind: str) -> str | None:
    """The value of a "marker: value" line whose label is exactly a marker of `kind`."""
    m = LABEL_VALUE.match(paragraph.strip())
    if not m:
        return None
    label = normalize_key(paragraph.strip()[:m.start(1)])
    return m.group(1).strip() if markers.prefix(kind, label) == label else None


def _take_tags(paragraphs, keys, i, tag_links, out: Cleaned, markers: Markers) -> int:
    """Read a tags line ("الوسوم: a، b") or a tags heading followed by one short line per
    tag; return how many paragraphs it spans."""
    value = _label_value(paragraphs[i], markers, "tags")
    marker = markers.prefix("tags", keys[i])
    if value is None and keys[i] != marker:
        # "الوسوم أ ب ج" without a colon: the words after the marker
        value = paragraphs[i].split(None, len(marker.split()))[-1] if len(keys[i].split()) > len(marker.split()) else None
    taken = 1
    printed: list[str] = []
    following = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
    if not value and len(TAG_SEPARATORS.split(following)) > 1 and len(following.split()) <= 40 \
            and not following.rstrip().endswith((".", "؟", "!")):
        value, taken = following, 2  # the heading, then its tags on one line: "a - b - c"
    if value:
        printed = [t for t in TAG_SEPARATORS.split(value) if t]
    else:
        while i + taken < len(paragraphs) and len(keys[i + taken].split()) <= 4 \
                and not any(markers.prefix(k, keys[i + taken]) for k in ("read_also", "related", "source")):
            printed.append(paragraphs[i + taken])
            taken += 1
    # The HTML's links separate multi-word tags that a flattened line runs together.
    out.keywords = list(tag_links) if tag_links else printed
    return taken


def _skip_read_also(paragraphs, keys, i, link_keys, out: Cleaned, markers: Markers) -> int:
    """Skip a read-also line; when it is a heading, also the other article's headline
    and, if its body follows (its first paragraph echoes the headline), the rest."""
    marker = markers.prefix("read_also", keys[i])
    out.count("read_also")
    i += 1
    if keys[i - 1] != marker:
        return i  # inline "اقرأ أيضا: headline": one line
    if i < len(paragraphs) and _headline_like(paragraphs[i], keys[i], link_keys):
        headline_key = keys[i]
        out.count("read_also")
        i += 1
        if i < len(paragraphs) and _echoes(headline_key, keys[i]):
            return _cut_rest(paragraphs, keys, i, out, markers, "read_also")
    return i


def _cut_rest(paragraphs, keys, i, out: Cleaned, markers: Markers, kind: str) -> int:
    """Everything from i on is not this article; only the source line and tags are kept."""
    while i < len(paragraphs):
        key = keys[i]
        if not out.source and (value := _label_value(paragraphs[i], markers, "source")) \
                and len(value.split()) <= SOURCE_MAX_WORDS:
            out.source = value
        elif not out.keywords and markers.prefix("tags", key):
            _take_tags(paragraphs, keys, i, [], out, markers)
        out.count(kind)
        i += 1
    return i


def _headline_like(paragraph: str, key: str, link_keys: frozenset[str]) -> bool:
    words = len(key.split())
    if key in link_keys:
        return True
    return 0 < words <= HEADLINE_MAX_WORDS and not paragraph.rstrip().endswith((".", "。", "؟", "!", ":"))


def _echoes(headline_key: str, paragraph_key: str) -> bool:
    """A news article's first paragraph restates its headline: most of the headline's
    content words reappear in it."""
    head = content_stems(headline_key)
    if len(head) < 3:
        return False
    return len(head & content_stems(paragraph_key)) >= 0.5 * len(head)


# --- Scrapy item pipeline -------------------------------------------------------------

class BoilerplatePipeline:
    def __init__(self, markers: Markers, stats):
        self.markers = markers
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(markers_from_settings(crawler.settings), crawler.stats)

    def process_item(self, page):
        ex = page.extracted
        cleaned = clean(ex.paragraphs, ex.title, ex.tag_links, ex.link_keys, self.markers,
                        ex.standfirst, ex.source_line)
        page.paragraphs = cleaned.paragraphs
        page.removed = cleaned.removed
        page.keywords = cleaned.keywords or ex.meta_tags
        page.source = cleaned.source
        page.author = clean_author(ex.author or cleaned.byline or ex.byline or ex.author_box, self.markers)
        for kind, n in cleaned.removed.items():
            self.stats.inc_value(f"boilerplate/removed/{kind}", n)
        return page
