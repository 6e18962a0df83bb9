"""What a line of extracted text is, judged from its shape: the one place where "ends a
sentence", "prose", "headline-like" and the other line shapes the cleaning rules share are
defined."""
from __future__ import annotations

import re
from functools import lru_cache

from pipelines.normalize import content_stems

# What ends a sentence, and what ends a line that leads into something (a quote, a list).
SENTENCE_END = (".", "。", "؟", "!", "?")   # not "…": a teaser cut short ends with it
LEAD_IN_END = (":", "：")
PROSE_MIN_WORDS = 20
HEADLINE_MAX_WORDS = 25
ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
LATIN_CODE = re.compile(r"^[A-Z]{2,3}$")


@lru_cache(maxsize=1 << 12)
def words(text: str) -> int:
    # remembered: the rules ask it of the same few dozen lines of a page some 200 times
    return len(text.split())


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(SENTENCE_END)


def ends_sentence_or_lead_in(text: str) -> bool:
    return text.rstrip().endswith(SENTENCE_END + LEAD_IN_END)


def is_prose(text: str) -> bool:
    """A paragraph of running text: long, and ending like a sentence."""
    return words(text) >= PROSE_MIN_WORDS and ends_sentence(text)


def headline_like(text: str, key: str, link_keys: frozenset[str]) -> bool:
    """A line a page prints as a headline: a link's text, or a short line ending no sentence."""
    if key in link_keys:
        return True
    return 0 < len(key.split()) <= HEADLINE_MAX_WORDS and not ends_sentence_or_lead_in(text)


def has_arabic(text: str) -> bool:
    return ARABIC_LETTER.search(text) is not None


LETTER = re.compile(r"[^\W\d_]")


def arabic_share(paragraphs: list[str]) -> float:
    """Share of the letters of `paragraphs` that are Arabic-script letters."""
    text = "".join(paragraphs)
    letters = len(LETTER.findall(text))
    return len(ARABIC_LETTER.findall(text)) / letters if letters else 0.0


def echoes(headline_key: str, paragraph_key: str) -> bool:
    """A news article's first paragraph restates its headline: most of the headline's
    content words reappear in it."""
    head = content_stems(headline_key)
    if len(head) < 3:
        return False
    return len(head & content_stems(paragraph_key)) >= 0.5 * len(head)


def similar(a_key: str, b_key: str) -> bool:
    """Two short lines that say the same thing with a word or two changed (a headline and
    the page's repeat of it)."""
    a, b = set(a_key.split()), set(b_key.split())
    if not a or not b:
        return False
    return len(a & b) >= 0.8 * max(len(a), len(b))


def code_tokens(text: str) -> int:
    """Two- or three-letter capital codes ("EN", "FR", "DE"): what a language switcher lists."""
    return sum(1 for w in text.replace("|", " ").replace("/", " ").split() if LATIN_CODE.match(w))


def named_words(key: str, drop: frozenset[str]) -> list[str]:
    """The words of a label that name something (without the article "ال" and the label's
    own words in `drop`): "نهايه البودكاست" → ["بودكاست"]."""
    out = []
    for w in key.split():
        if w in drop:
            continue
        core = w[2:] if w.startswith("ال") and len(w) > 4 else w
        if len(core) >= 3:
            out.append(core)
    return out


def names_any(names: list[str], key: str) -> bool:
    """`key` holds one of `names` inside a word ("بودكاست" in "والبودكاست")."""
    return any(name in key for name in names)
