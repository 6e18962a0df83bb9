"""The cleaning rules of the boilerplate step, one small function each, in the order they are
asked (RULES). A rule looks at the line at `i` of the text and either passes (None) or
removes a block that starts there and returns where the text goes on.

A removal is a decision about a block, backed by where it stands (before the article's
prose, after its last sentence, inside a run of short lines), its shape (a label and a
value, a list of one-word lines, a line of links) and only then by what it says: a marker
of markers.toml may point at a block, but it never removes prose by itself, and no rule
cuts "everything after" a phrase. Each removal is recorded with its rule and evidence
(`Cleaned.decisions`), which is what the explain report shows.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from pipelines.dates import find_arabic_date, find_numeric_date
from pipelines.lines import (
    HEADLINE_MAX_WORDS,
    PROSE_MIN_WORDS,
    arabic_share,
    code_tokens,
    echoes,
    ends_sentence,
    ends_sentence_or_lead_in,
    has_arabic,
    headline_like,
    is_prose,
    named_words,
    names_any,
    similar,
    words,
)
from pipelines.markers import LABEL_VALUE, TAG_SEPARATORS, Markers
from pipelines.normalize import content_stems, normalize_key

SHORT_LINE_MAX_WORDS = 25
SOURCE_MAX_WORDS = 8
CAPTION_MAX_WORDS = 15
EMBED_MAX_WORDS = 20
NOTICE_LINE_MAX_WORDS = 25
CONSENT_MAX_WORDS = 80
TITLE_SEARCH_PARAGRAPHS = 8
LEAD_CHROME_MAX_WORDS = 6
LEAD_BOX_MAX_WORDS = 12
LEAD_BOX_RULES = ("lead_chrome", "byline", "label_row", "meta_row")
PULL_QUOTE_MAX_WORDS = 35
PULL_QUOTE_MAX_PARAGRAPHS = 300
QUOTE_CREDIT_MAX_WORDS = 8
QUOTED = re.compile(r'^\s*[«"“]([^»"”]+)[»"”]')   # beyond this, a page is not an article to look for quotes in
META_ROW_MAX_WORDS = 30
BYLINE_MAX_WORDS = 7
PROMO_PROSE_WORDS = 14
BOX_MAX_LINES = 8
BOX_OPENER_MAX_WORDS = 8
AFTER_TEXT_MAX_WORDS = 12
LEAD_IN = (":", "：")
FOREIGN_LINE_MAX_WORDS = 12
TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
# "Author, name" / "Role, outlet": a one-word label, a comma, a short value.
LABEL_ROW = re.compile(r"^(\S{2,20})\s*[,،]\s+(.+)$")


@dataclass
class Decision:
    """What was decided about one block of the page's text: kept (`rule` None) or removed
    by `rule`, with the evidence. `stage` is "extract" for boxes pruned from the HTML before
    extraction, "clean" for paragraphs of the extracted text."""

    text: str
    rule: str | None
    evidence: str = ""
    stage: str = "clean"


@dataclass
class Cleaned:
    paragraphs: list[str]
    keywords: list[str] = field(default_factory=list)
    source: str | None = None
    byline: str | None = None          # the first byline line removed from the text
    removed: dict[str, int] = field(default_factory=dict)  # paragraphs removed, by kind
    decisions: list[Decision] = field(default_factory=list)

    def drop(self, rule: str, texts: list[str], evidence: str = "") -> None:
        self.removed[rule] = self.removed.get(rule, 0) + len(texts)
        self.decisions.extend(Decision(t, rule, evidence) for t in texts)

    def keep(self, text: str) -> None:
        self.paragraphs.append(text)
        self.decisions.append(Decision(text, None))


class Text:
    """The paragraphs being cleaned, their keys, and what the rules share about them."""

    def __init__(self, paragraphs, keys, *, title_key: str, markers: Markers, link_keys: frozenset[str],
                 tag_links: list[str] | None, out: Cleaned):
        self.paragraphs, self.keys = paragraphs, keys
        self.title_key, self.markers, self.link_keys = title_key, markers, link_keys
        self.tag_links = tag_links or []
        self.out = out
        self.seen: set[str] = set()
        self._stems: set[str] = set()
        self._stems_of = -1
        self.prose_kept = 0          # kept paragraphs of PROSE_MIN_WORDS words or more
        self.some_prose = False      # a kept paragraph of half that: real text has begun
        self._arabic: bool | None = None
        self.last_prose = self._last_prose()
        self._lead_ins = [i for i, p in enumerate(paragraphs) if p.rstrip().endswith(LEAD_IN)]

    def __len__(self) -> int:
        return len(self.paragraphs)

    @property
    def arabic(self) -> bool:
        """Mostly Arabic text (asked only of lines that have no Arabic word)."""
        if self._arabic is None:
            self._arabic = arabic_share(self.paragraphs) >= 0.5
        return self._arabic

    def _last_prose(self) -> int:
        """The article's last plain paragraph of prose (one with no notice in it), before the
        first block that a heading starts after prose (related stories, comments, an author's
        box): what stands after it is what follows the article."""
        last = -1
        for i, p in enumerate(self.paragraphs):
            if last >= 0 and _heads_a_block(self, i):
                break
            if is_prose(p) and not self.markers.contains("notice", self.keys[i]):
                last = i
        return last

    def drop(self, rule: str, start: int, end: int, evidence: str = "") -> int:
        self.out.drop(rule, self.paragraphs[start:end], evidence)
        return end

    def keep(self, text: str) -> None:
        self.out.keep(text)
        n = words(text)
        self.prose_kept += n >= PROSE_MIN_WORDS
        self.some_prose = self.some_prose or n >= PROSE_MIN_WORDS // 2

    def label_value(self, i: int, kind: str) -> str | None:
        return label_value(self.paragraphs[i], self.markers, kind)

    def retract(self, rule: str, belongs, evidence: str, most: int = 3) -> None:
        """Take back the last kept paragraphs (up to `most`, in a row) for which `belongs` is
        true: a block whose end tells what its first lines were."""
        for _ in range(most):
            last = self.out.decisions[-1] if self.out.decisions else None
            if last is None or last.rule is not None or not belongs(last.text):
                return
            self.out.paragraphs.pop()
            last.rule, last.evidence = rule, evidence
            self.out.removed[rule] = self.out.removed.get(rule, 0) + 1

    def lead_in_between(self, start: int, end: int) -> bool:
        """A line ending with a colon (it announces what follows) stands between start and end."""
        k = bisect.bisect_right(self._lead_ins, start)
        return k < len(self._lead_ins) and self._lead_ins[k] < end

    def just_removed(self, rules: tuple[str, ...]) -> bool:
        last = self.out.decisions[-1] if self.out.decisions else None
        return last is not None and last.rule in rules

    def removed_lately(self, n: int) -> list[Decision]:
        return [d for d in self.out.decisions[-n:] if d.rule is not None]

    def kept_stems(self) -> set[str]:
        """The content stems of the text kept so far (remembered while it does not grow)."""
        if self._stems_of != len(self.out.paragraphs):
            self._stems = content_stems(normalize_key(" ".join(self.out.paragraphs)))
            self._stems_of = len(self.out.paragraphs)
        return self._stems

    def after_article(self, i: int) -> bool:
        return self.some_prose and i > self.last_prose


# --- shapes ---------------------------------------------------------------------------

def label_value(paragraph: str, markers: Markers, kind: str) -> str | None:
    """The value of a "marker: value" line whose label is exactly a marker of `kind`."""
    m = LABEL_VALUE.match(paragraph.strip())
    if not m:
        return None
    label = normalize_key(paragraph.strip()[:m.start(1)])
    return m.group(1).strip() if markers.prefix(kind, label) == label else None


def is_meta_row(paragraph: str, key: str, markers: Markers) -> bool:
    """A row of facts about the article: a date or time with bylines, counters, separators."""
    ws = key.split()
    if not ws or len(ws) > META_ROW_MAX_WORDS or paragraph.rstrip().endswith((".", "؟", "!")):
        return False
    facts = sum(1 for w in ws if w.isdigit() or w in markers.date_words)
    if facts < 2 or not ("|" in paragraph or facts >= 0.4 * len(ws) or markers.prefix("byline", key)):
        return False
    return bool(TIME.search(paragraph) or find_arabic_date(paragraph) or find_numeric_date(paragraph))


def is_byline(paragraph: str, key: str, markers: Markers) -> bool:
    """"كتب: name" / "بقلم name": a label and a short name, nothing that ends a sentence."""
    if not key or len(key.split()) > BYLINE_MAX_WORDS or paragraph.rstrip().endswith("."):
        return False
    if label_value(paragraph, markers, "byline"):
        return True
    # "كتب أحمد علي", "بقلم سلمى يوسف": a byline word, then a name of a few words
    return markers.prefix("byline_word", key) is not None and 2 <= len(key.split()) <= 5


def is_link_line(key: str, link_keys: frozenset[str]) -> bool:
    """All one link, or a short label and a link ("ذات صلة: <a>...</a>", "شاهد: <a>")."""
    ws = key.split()
    if not ws or len(ws) > HEADLINE_MAX_WORDS:
        return False
    return any(" ".join(ws[n:]) in link_keys for n in range(0, min(4, len(ws) - 1)))


def is_button(paragraph: str) -> bool:
    """A line of one or two words that ends nothing: a button, a network's name, a label."""
    return 0 < words(paragraph) <= 2 and not ends_sentence(paragraph)


def is_closing_label(key: str, markers: Markers) -> bool:
    """"نهاية البودكاست" / "البودكاست نهاية": the label that closes a box inside the text."""
    ws = key.split()
    return 2 <= len(ws) <= 4 and any(w in markers.box_end for w in (ws[0], ws[-1]))


# --- the rules, in the order they are asked ---------------------------------------------

def title_line(t: Text, i: int) -> int | None:
    """The headline printed again at the top of the text (or with a word changed)."""
    key = t.keys[i]
    if not t.title_key:
        return None
    if i < TITLE_SEARCH_PARAGRAPHS and not t.some_prose and (key == t.title_key or similar(key, t.title_key)):
        return t.drop("title", i, i + 1, "the headline again, before the text")
    if key == t.title_key:
        return t.drop("title", i, i + 1, "the headline again (a share box, a related card)")
    return None


def source_line(t: Text, i: int) -> int | None:
    value = t.label_value(i, "source")
    if value and words(value) <= SOURCE_MAX_WORDS:
        t.out.source = t.out.source or value
        return t.drop("source", i, i + 1, "an attribution label and a short value: the `source` field")
    return None


def next_article(t: Text, i: int) -> int | None:
    """After this article's text, a headline with its own date under it (or a byline, when
    the headline is also a link of the page), then prose: the next story, appended below
    (infinite scroll). Everything from here on is that story and what follows it."""
    if t.prose_kept < 2 or not starts_another_article(t, i):
        return None
    return cut_rest(t, i, "next_article", "a headline with its own date or byline, then prose, after the article")


def starts_another_article(t: Text, i: int) -> bool:
    p, key = t.paragraphs, t.keys
    if not 2 <= words(key[i]) <= HEADLINE_MAX_WORDS or ends_sentence_or_lead_in(p[i]):
        return False
    for j in range(i + 1, min(i + 3, len(p))):
        # A full date, not a clock time: the entries of a live report carry times.
        dated = (t.markers.is_dateline(key[j]) or is_meta_row(p[j], key[j], t.markers)) \
            and bool(find_arabic_date(p[j]) or find_numeric_date(p[j]))
        bylined = is_byline(p[j], key[j], t.markers) and key[i] in t.link_keys
        if dated or bylined:
            return any(words(k) >= 15 for k in key[j + 1:j + 4])
    return False


def meta_row(t: Text, i: int) -> int | None:
    """"كتب: فلان | الأحد 12 تشرين الأول 2025 | 11:05 | المشاهدات: 8,214"."""
    p, key = t.paragraphs[i], t.keys[i]
    if not is_meta_row(p, key, t.markers):
        return None
    if t.markers.prefix("byline", key):
        t.out.byline = t.out.byline or p
    return t.drop("meta_row", i, i + 1, "a row of dates, times and counters")


def caption(t: Text, i: int) -> int | None:
    """A picture's caption or credit ("(أرشيف)", "تصوير: ...", "AFP"), or the notice around an
    embedded post: a short line that ends no sentence, or a line made of little more than
    the notice. Prose that names a photographer or an agency ends like a sentence and stays."""
    p, key = t.paragraphs[i], t.keys[i]
    n = words(key)
    if n <= EMBED_MAX_WORDS and (marker := t.markers.contains("embed", key)) \
            and (not ends_sentence(p) or n <= 2 * words(marker) + 8):
        return t.drop("caption", i, i + 1, f"a short line around an embedded post, with «{marker}»")
    if n <= CAPTION_MAX_WORDS and not ends_sentence(p) and (marker := t.markers.contains("caption", key)):
        return t.drop("caption", i, i + 1, f"a short line without a sentence, with «{marker}»")
    return None


def related_pointer(t: Text, i: int) -> int | None:
    """"الخبر السابق: ..." — one pointer line to another story."""
    if t.label_value(i, "related") is not None and words(t.keys[i]) <= HEADLINE_MAX_WORDS + 15:
        return t.drop("related", i, i + 1, "a related-story label and a headline")
    return None


def byline(t: Text, i: int) -> int | None:
    p, key = t.paragraphs[i], t.keys[i]
    if t.markers.is_dateline(key):
        return t.drop("byline", i, i + 1, "a line of dates and times only")
    if is_byline(p, key, t.markers):
        t.out.byline = t.out.byline or p
        return t.drop("byline", i, i + 1, "a byline label and a short name")
    return None


def lead_chrome(t: Text, i: int) -> int | None:
    """Before any prose, a short line that ends no sentence: a byline's role line, a kicker,
    a location, a tool. The standfirst and the text are longer. Under a line just removed as
    such, a longer one belongs to the same box ("name" / "role at outlet in city")."""
    p = t.paragraphs[i]
    limit = LEAD_BOX_MAX_WORDS if t.just_removed(LEAD_BOX_RULES) else LEAD_CHROME_MAX_WORDS
    if t.some_prose or words(t.keys[i]) > limit or ends_sentence_or_lead_in(p):
        return None
    return t.drop("lead_chrome", i, i + 1, "a short line that ends no sentence, before the article's text")


def label_row(t: Text, i: int) -> int | None:
    """"Author, فلان" / "Role, بي بي سي": rows of a one-word label, a comma and a short value,
    printed one under the other (a byline box). Two such rows together, or one before the
    text, are the box; a sentence never reads like that."""
    if not _is_label_row(t.paragraphs[i]):
        return None
    j = i
    while j < len(t) and _is_label_row(t.paragraphs[j]):
        j += 1
    if j - i >= 2 or not t.some_prose:
        return t.drop("label_row", i, j, f"{j - i} row(s) of «label, value»")
    return None


def _is_label_row(paragraph: str) -> bool:
    m = LABEL_ROW.match(paragraph.strip())
    return m is not None and words(paragraph) <= 10 and not ends_sentence(paragraph) \
        and not any(c.isdigit() for c in m.group(1))


def tags(t: Text, i: int) -> int | None:
    p, key = t.paragraphs[i], t.keys[i]
    marker = t.markers.prefix("tags", key)
    if not marker or not (key == marker or t.label_value(i, "tags") is not None
                          or (t.tag_links and words(p) <= 60 and not p.rstrip().endswith((".", "؟", "!")))):
        return None
    taken = take_tags(t, i)
    end = t.drop("tags", i, i + taken, f"a tags label «{marker}» and its tags: the `keywords` field")
    if t.some_prose:
        return cut_block(t, end, "tags", "after the tags, up to the next run of prose", headed=False)
    return end


def read_also(t: Text, i: int) -> int | None:
    """A read-also line; when it is a heading, also the other article's headline and, if its
    body follows (its first paragraph restates the headline), that article."""
    marker = t.markers.prefix("read_also", t.keys[i])
    if not marker:
        return None
    end = t.drop("read_also", i, i + 1, f"a read-also label «{marker}»")
    if t.keys[i] != marker:
        return end  # inline "اقرأ أيضا: headline": one line
    if end < len(t) and headline_like(t.paragraphs[end], t.keys[end], t.link_keys):
        headline = t.keys[end]
        end = t.drop("read_also", end, end + 1, "the headline under a read-also label")
        if end < len(t) and echoes(headline, t.keys[end]):
            return cut_rest(t, end, "read_also", "another article: its first paragraph restates the headline")
    return end


def block_heading(t: Text, i: int) -> int | None:
    """A related/most-read or comments heading: the heading and the list under it."""
    key = t.keys[i]
    if not (related_heading(t, i) or t.markers.is_heading("comments", key, extra_words=1)):
        return None
    kind = "related" if t.markers.prefix("related", key) else "comments"
    if t.some_prose:
        return cut_block(t, i, kind, f"a «{kind}» heading after the text, and its list")
    end = t.drop(kind, i, i + 1, f"a «{kind}» heading")
    while end < len(t) and headline_like(t.paragraphs[end], t.keys[end], t.link_keys):
        end = t.drop(kind, end, end + 1, f"a headline under a «{kind}» heading")
    return end


def related_heading(t: Text, i: int) -> bool:
    """A related/most-read heading. With words beyond the marker ("المزيد من أخبار
    الرياضة") it might be a subheading of the article instead, which prose follows."""
    key, markers = t.keys[i], t.markers
    if not markers.is_heading("related", key, extra_words=3):
        return False
    if markers.is_heading("related", key) or ends_sentence_or_lead_in(t.paragraphs[i]):
        return markers.is_heading("related", key)
    following = t.paragraphs[i + 1] if i + 1 < len(t) else ""
    return not is_prose(following)


def notice(t: Text, i: int) -> int | None:
    """A site's standing notice (an opinion disclaimer, comment rules, a rights line): after
    the article's last sentence, or a short line of its own. A sentence of the article that
    quotes such words, with the article going on after it, stays."""
    key = t.keys[i]
    marker = t.markers.contains("notice", key)
    if not marker:
        return None
    if t.after_article(i):
        # Nothing after the article's last sentence is prose: the notice and what follows it
        # (comments, the column's other links) are the page's.
        return cut_rest(t, i, "notice", f"«{marker}», after the article's last sentence")
    if words(key) <= NOTICE_LINE_MAX_WORDS and words(key) <= 2 * words(marker) + 8:
        return t.drop("notice", i, i + 1, f"a short line made of «{marker}»")
    return None


def consent(t: Text, i: int) -> int | None:
    """A privacy or cookie banner: its words, with its buttons beside it, or standing before
    the text or after it. The same words inside the article are the article's."""
    key = t.keys[i]
    marker = t.markers.contains("consent", key)
    if not marker or words(key) > CONSENT_MAX_WORDS:
        return None
    near = [j for j in (i - 1, i + 1) if 0 <= j < len(t) and t.markers.is_heading("consent_button", t.keys[j])]
    if not (near or not t.some_prose or t.after_article(i)):
        return None
    end = i + 1 + (i + 1 in near)
    return t.drop("consent", i, end, f"«{marker}» " + ("with its buttons" if near else "outside the article's text"))


def promo(t: Text, i: int) -> int | None:
    """"تابعونا على ...", "حمّل تطبيق ...": a short promotional line. A paragraph of prose
    that starts with the same word is longer and ends like a sentence."""
    p, key = t.paragraphs[i], t.keys[i]
    marker = t.markers.prefix("promo", key)
    if not marker or words(key) > SHORT_LINE_MAX_WORDS:
        return None
    if words(key) > PROMO_PROSE_WORDS and ends_sentence(p) and key not in t.link_keys:
        return None
    return t.drop("promo", i, i + 1, f"a short line starting «{marker}»")


def link_line(t: Text, i: int) -> int | None:
    """A paragraph that is all one link is a pointer to another page (a story, a section)."""
    if is_link_line(t.keys[i], t.link_keys):
        return t.drop("link_line", i, i + 1, "the whole line is a link's text")
    return None


def button_run(t: Text, i: int) -> int | None:
    """Two or more lines of one or two words in a row ("Telegram", "WhatsApp", "نسخ"):
    buttons and labels. An article's subheading is followed by its paragraph."""
    if not is_button(t.paragraphs[i]):
        return None
    j = i
    while j < len(t) and is_button(t.paragraphs[j]) and (j == i or not _heads_a_block(t, j)):
        j += 1
    if j - i >= 2:
        return t.drop("buttons", i, j, f"{j - i} lines of one or two words in a row")
    return None


def bare_label(t: Text, i: int) -> int | None:
    """"الموضوع:", "انظر أيضا:": a label with nothing after it but short lines. A line that
    introduces a quote is followed by the quote."""
    p = t.paragraphs[i]
    if words(p) > 3 or not p.rstrip().endswith((":", "：")):
        return None
    following = t.paragraphs[i + 1] if i + 1 < len(t) else ""
    if words(following) >= PROSE_MIN_WORDS // 2:
        return None
    return t.drop("label", i, i + 1, "a label with no text after it")


def foreign_line(t: Text, i: int) -> int | None:
    """In Arabic text, a short line with no Arabic word ("Telegram", "Other available
    languages: EN FR DE", a release's reference code): chrome of the page, not the text."""
    p = t.paragraphs[i]
    if words(p) > FOREIGN_LINE_MAX_WORDS:
        return None
    if not has_arabic(p) and t.arabic:
        return t.drop("foreign_line", i, i + 1, "a short line with no Arabic word in Arabic text")
    if has_arabic(p) and code_tokens(p) >= 3 and code_tokens(p) >= 0.5 * words(p):
        return t.drop("language_switcher", i, i + 1, f"{code_tokens(p)} language codes")
    return None


def closing_box(t: Text, i: int) -> int | None:
    """A box inside the text that opens with a line naming something ("تجاوز البودكاست",
    "البودكاست") and closes, a few short lines later, with a label naming it again ("البودكاست
    نهاية", "نهاية المنشور"): a promo or an embedded post, whatever its lines say. When its
    opening line was removed already (a skip link), the closing label goes too."""
    if words(t.keys[i]) > 30:
        return None
    if is_closing_label(t.keys[i], t.markers):
        named = _named_by_label(t, i)
        if any(names_any(named, normalize_key(d.text)) for d in t.removed_lately(BOX_MAX_LINES)):
            return t.drop("closed_box", i, i + 1, "closes a box whose opening line was removed")
        if named and any(names_any(named, k) for k in t.link_keys):
            # The box's lines just kept above the label, which name the same thing, are its own.
            t.retract("closed_box", lambda text: words(text) <= 40 and names_any(named, normalize_key(text)),
                      "inside a box closed by a label that a link of the page opens")
            return t.drop("closed_box", i, i + 1, "closes a box that a link of the page opens (a skip link)")
    if words(t.keys[i]) > BOX_OPENER_MAX_WORDS or ends_sentence(t.paragraphs[i]):
        return None   # a box opens with a short label, not with a sentence
    for j in range(i + 1, min(i + BOX_MAX_LINES, len(t))):
        if is_closing_label(t.keys[j], t.markers):
            if names_any(_named_by_label(t, j), t.keys[i]):
                return t.drop("closed_box", i, j + 1, f"{j + 1 - i} lines from «{t.paragraphs[i]}» to «{t.paragraphs[j]}»")
            return None
        if words(t.keys[j]) > 30:
            return None
    return None


def _named_by_label(t: Text, i: int) -> list[str]:
    return named_words(t.keys[i], t.markers.box_end)


def end_mark(t: Text, i: int) -> int | None:
    """"- انتهى -": a press release or a wire story says where it ends."""
    key = t.keys[i]
    if t.some_prose and key and t.markers.is_heading("end_mark", key):
        return cut_block(t, i, "end_mark", "the line that ends a release, and what follows it")
    return None


def pull_quote(t: Text, i: int) -> int | None:
    """A short quote the page prints a second time, large, beside the paragraph it comes
    from: its words stand inside a longer paragraph of the text."""
    key = t.keys[i]
    if not 5 <= words(key) <= PULL_QUOTE_MAX_WORDS or len(t) > PULL_QUOTE_MAX_PARAGRAPHS:
        return None
    quoted = QUOTED.match(t.paragraphs[i])   # «quote» and who said it
    if quoted and words(t.paragraphs[i][quoted.end():]) <= QUOTE_CREDIT_MAX_WORDS:
        key = normalize_key(quoted.group(1))
    if words(key) >= 5 and any(j != i and len(k) > len(key) + 10 and key in k for j, k in enumerate(t.keys)):
        return t.drop("pull_quote", i, i + 1, "repeats words of a longer paragraph of the text")
    return None


def after_text(t: Text, i: int) -> int | None:
    """After the article's last sentence, a short line that ends none: a promo's title, a
    comment, a sign-off. Not the items of a list that a lead-in line ("...:") announced."""
    p = t.paragraphs[i]
    if not t.after_article(i) or words(p) > AFTER_TEXT_MAX_WORDS or ends_sentence_or_lead_in(p):
        return None
    if t.lead_in_between(t.last_prose, i):
        return None
    return t.drop("after_text", i, i + 1, "a short line that ends no sentence, after the article's last one")


def repeated(t: Text, i: int) -> int | None:
    if t.keys[i] in t.seen:
        return t.drop("repeated", i, i + 1, "printed before on the page")
    return None


RULES = (
    title_line, source_line, next_article, meta_row, caption, related_pointer, byline, label_row,
    lead_chrome, tags, read_also, block_heading, end_mark, consent, notice, promo, link_line, closing_box,
    button_run, bare_label, foreign_line, pull_quote, after_text, repeated,
)


# --- blocks that run on -----------------------------------------------------------------

def cut_rest(t: Text, i: int, kind: str, evidence: str) -> int:
    """Everything from i on is not this article; only the source line and tags are read."""
    for j in range(i, len(t)):
        if not t.out.source and (value := t.label_value(j, "source")) and words(value) <= SOURCE_MAX_WORDS:
            t.out.source = value
        elif not t.out.keywords and t.markers.prefix("tags", t.keys[j]):
            take_tags(t, j)
    return t.drop(kind, i, len(t), evidence)


def cut_block(t: Text, i: int, kind: str, evidence: str, headed: bool = True) -> int:
    """A block that a heading starts after the article's text (related stories, comments,
    what follows the tags): up to the end, up to the heading of another block (its own rule
    decides on it), or up to two paragraphs of prose in a row, where the article may go on.
    A list of stories alternates headlines and teasers. `headed`: line i is the block's own
    heading."""
    end = i
    while end < len(t):
        if (end > i or not headed) and (_heads_a_block(t, end) or _prose_resumes(t, end, i if headed else -1)):
            break
        end += 1
    for j in range(i, end):
        if not t.out.source and (value := t.label_value(j, "source")) and words(value) <= SOURCE_MAX_WORDS:
            t.out.source = value
    return t.drop(kind, i, end, evidence)


def _heads_a_block(t: Text, i: int) -> bool:
    key = t.keys[i]
    return t.markers.is_heading("read_also", key) or related_heading(t, i) \
        or t.markers.is_heading("comments", key, extra_words=1)


def _prose_resumes(t: Text, i: int, heading: int) -> bool:
    """Two paragraphs of prose in a row that speak of what the article spoke of: not a list
    of teasers, each under its story's headline (the block's own heading is no such one)."""
    p, keys = t.paragraphs, t.keys
    if not (is_prose(p[i]) and i + 1 < len(t) and is_prose(p[i + 1]) and keys[i] not in t.link_keys
            and (i - 1 == heading or not headline_like(p[i - 1], keys[i - 1], t.link_keys))):
        return False
    stems = content_stems(keys[i])
    return len(stems & t.kept_stems()) >= max(3, 0.2 * len(stems))


def take_tags(t: Text, i: int) -> int:
    """Read a tags line ("الوسوم: a، b") or a tags heading followed by one short line per
    tag into `keywords`; return how many paragraphs it spans."""
    p, keys, markers = t.paragraphs, t.keys, t.markers
    value = t.label_value(i, "tags")
    marker = markers.prefix("tags", keys[i])
    if value is None and keys[i] != marker:
        # "الوسوم أ ب ج" without a colon: the words after the marker
        value = p[i].split(None, len(marker.split()))[-1] if words(keys[i]) > len(marker.split()) else None
    taken = 1
    printed: list[str] = []
    following = p[i + 1] if i + 1 < len(p) else ""
    if not value and len(TAG_SEPARATORS.split(following)) > 1 and words(following) <= 40 \
            and not following.rstrip().endswith((".", "؟", "!")):
        value, taken = following, 2  # the heading, then its tags on one line: "a - b - c"
    if value:
        printed = [x for x in TAG_SEPARATORS.split(value) if x]
    else:
        while i + taken < len(p) and words(keys[i + taken]) <= 4 \
                and not any(markers.prefix(k, keys[i + taken]) for k in ("read_also", "related", "source")):
            printed.append(p[i + taken])
            taken += 1
    # The HTML's links separate multi-word tags that a flattened line runs together.
    t.out.keywords = list(t.tag_links) if t.tag_links else printed
    return taken
