"""Step 2: remove what trafilatura leaves behind in Arabic news text.

Works on the extracted paragraphs, generically for any site: the rules of pipelines/rules.py,
asked in order of every line, decide on blocks (tags, read-also cards, related lists, comment
areas, bylines, banners, buttons) from where they stand and what shape they have; the markers
of markers.toml point at them. Every paragraph's fate is recorded with its rule and evidence.
"""
from __future__ import annotations

import re

from pipelines.lines import ends_sentence, ends_sentence_or_lead_in, is_prose, words
from pipelines.markers import Markers, default_markers, markers_from_settings
from pipelines.normalize import STOPWORDS, content_stems, normalize_key, remembered_key
from pipelines.rules import RULES, TITLE_SEARCH_PARAGRAPHS, Cleaned, Decision, Text

__all__ = ["Cleaned", "Decision", "clean", "clean_author"]

# What a byline prints after the name: a separator and a date, a time, a place.
AFTER_NAME = re.compile(r"\s[|–—-]\s|\s*\||\d|[٠-٩]")
TRAILING_CHROME_MAX_WORDS = 4
SIGNOFF_MAX_WORDS = 8


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
    title_key = normalize_key(title or "")
    paragraphs, keys = _framed(paragraphs, title_key, standfirst, source_line, out)
    text = Text(paragraphs, keys, title_key=title_key, markers=markers, link_keys=link_keys,
                tag_links=tag_links, out=out)
    i = 0
    while i < len(paragraphs):
        if not keys[i]:
            i += 1
            continue
        for rule in RULES:
            end = rule(text, i)
            if end is not None:
                i = end
                break
        else:
            text.seen.add(keys[i])
            paragraph = _without_signoff(paragraphs[i])
            text.keep(paragraph if text.some_prose else _without_dateline(paragraph))
            i += 1
    _drop_trailing_chrome(out)
    if not out.keywords and tag_links:
        out.keywords = list(tag_links)
    return out


def _framed(paragraphs, title_key, standfirst, source_line, out: Cleaned):
    """The paragraphs from the headline on, with the standfirst in front and the page's
    source line at the end when extraction left them out."""
    keys = [remembered_key(p) for p in paragraphs]
    if title_key and title_key in keys[1:]:
        # What a page prints above its headline is navigation, a kicker or tools: cut it
        # when it is near the top, or when no prose stands before the headline.
        start = keys.index(title_key)
        article_below = any(is_prose(p) for p in paragraphs[start + 1:])
        if article_below and (start < TITLE_SEARCH_PARAGRAPHS or not any(is_prose(p) for p in paragraphs[:start])):
            # Prose on the article's subject stays (a live page pins its latest entry above).
            below = content_stems(" ".join(keys[start + 1:]))
            stays = [j for j in range(start) if is_prose(paragraphs[j]) and _on_topic(keys[j], below)]
            out.drop("before_title", [p for j, p in enumerate(paragraphs[:start]) if j not in stays],
                     "above the headline printed in the text")
            paragraphs = [paragraphs[j] for j in stays] + paragraphs[start:]
            keys = [keys[j] for j in stays] + keys[start:]
    if standfirst and (standfirst_key := normalize_key(standfirst)) not in " ".join(keys[:TITLE_SEARCH_PARAGRAPHS]):
        paragraphs, keys = [standfirst, *paragraphs], [standfirst_key, *keys]
        out.removed["standfirst_added"] = 1
    if source_line:
        paragraphs, keys = [*paragraphs, source_line], [*keys, normalize_key(source_line)]
    return paragraphs, keys


def _announced_list(paragraphs: list[str]) -> bool:
    """The last lines are the items of a list that a line ending with a colon announced."""
    for p in reversed(paragraphs):
        if ends_sentence(p):
            return False
        if p.rstrip().endswith((":", "：")):
            return True
    return False


def _on_topic(key: str, stems: set[str]) -> bool:
    own = content_stems(key)
    return len(own & stems) >= max(3, 0.3 * len(own))


def _drop_trailing_chrome(out: Cleaned) -> None:
    """A few words that end nothing, after the last sentence: share buttons, a subheading of
    nothing, a sign-off. An article ends with a sentence."""
    if _announced_list(out.paragraphs):
        return   # the items of a list a lead-in line announced
    kept = [d for d in out.decisions if d.rule is None]   # in step with out.paragraphs
    while out.paragraphs and not ends_sentence_or_lead_in(out.paragraphs[-1]) and \
            (words(out.paragraphs[-1]) <= TRAILING_CHROME_MAX_WORDS or _initials(out.paragraphs[-1])):
        out.paragraphs.pop()
        decision = kept.pop()
        decision.rule, decision.evidence = "trailing_chrome", "a few words that end no sentence, after the last one"
        out.removed["trailing_chrome"] = out.removed.get("trailing_chrome", 0) + 1


# "... عام 1963. (النهاية) ف س ع / ن ح ر", "... -انتهى-": a wire story's end mark and its
# editors' initials, glued to the last paragraph. Only a bracketed or dashed end word: "حتى
# النهاية" ends sentences too.
SIGNOFF_TAIL = re.compile(r"\s*(?:\(|[-–]+\s*)(?:النهاية|انتهى)(?:\)|\s*[-–]+)(?:\s*[^\s/]{1,2}\s*/?)*\s*$")


def _without_signoff(paragraph: str) -> str:
    if "النهاية" not in paragraph and "انتهى" not in paragraph:
        return paragraph   # the end word the pattern needs: a plain look before its search
    m = SIGNOFF_TAIL.search(paragraph)
    return paragraph[:m.start()] if m and m.start() > 0 else paragraph


def _initials(paragraph: str) -> bool:
    """A wire story's sign-off: the agency and its editors' initials ("--(بترا)-- م ع/ ه ط")."""
    tokens = [w.strip("-/()«».،,") for w in paragraph.split()]
    tokens = [w for w in tokens if w]
    return 0 < len(tokens) <= SIGNOFF_MAX_WORDS and sum(len(w) <= 2 for w in tokens) >= 0.5 * len(tokens)


# "القاهرة - ", "عمّان 6 كانون الأول (بترا) - ", "طوباس 20-2-2024 نبأ- ", "بغداد/ شفق نيوز- ",
# "دمشق - خاص | ": a place (a date, an agency) and a dash or bar before a story's first sentence.
_WORD = r"[^\s\d.،,:؛()«»/|–—-]+"
_AGENCY = r"\s*(?:[(«][^()«»]{1,30}[)»]|/[^/\d]{1,20}/)"
LEADING_DATELINE = re.compile(
    rf"^{_WORD}(?:\s+{_WORD})?"
    rf"(?:\s*[-–]?\s+(?:في\s+)?(?:[\d٠-٩]{{1,2}}\s*[-/]\s*[\d٠-٩]{{1,2}}(?:\s*[-/]\s*[\d٠-٩]{{2,4}})?"
    rf"|[\d٠-٩]{{1,2}}(?:\s+{_WORD}){{1,2}}))?"
    rf"(?:{_AGENCY}|\s+{_WORD}|\s*/\s*{_WORD}(?:\s+{_WORD})?)?"
    r"\s*[-–—|]*\s*"
    rf"(?:{_AGENCY}\s*[-–—]+\s*|{_WORD}\s*[|–-]\s*)?")
BRACKETED = re.compile(r"[(«/][^()«»/]*[)»/]")   # an agency's name, which may be initials
# A dateline ends with a dash or a bar, or with an agency's name between slashes ("/مجان/").
DATELINE_END = re.compile(r"[-–—|/]\s*$")


def _without_dateline(paragraph: str) -> str:
    """The first paragraph without a dateline glued to its start; the sentence must stay long."""
    m = LEADING_DATELINE.match(paragraph)
    if m and DATELINE_END.search(m.group(0)) and len(paragraph[m.end():].split()) >= 15 \
            and not set(normalize_key(BRACKETED.sub(" ", m.group(0))).split()) - {"في"} & STOPWORDS:
        return paragraph[m.end():]
    return paragraph


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
        page.decisions = page.extracted.pruned + cleaned.decisions
        page.keywords = cleaned.keywords or ex.meta_tags
        page.source = cleaned.source
        page.author = clean_author(ex.author or cleaned.byline or ex.byline or ex.author_box, self.markers)
        for kind, n in cleaned.removed.items():
            self.stats.inc_value(f"boilerplate/removed/{kind}", n)
        return page
