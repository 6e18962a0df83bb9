"""What a line of extracted text is, judged from its shape: the one place where "ends a
sentence", "prose", "headline-like" and the other line shapes the cleaning rules share are
defined."""
from __future__ import annotations

import re

from pipelines.normalize import content_stems

# What ends a sentence, and what ends a line that leads into something (a quote, a list).
SENTENCE_END = (".", "。", "؟", "!", "?")   # not "…": a teaser cut short ends with it
LEAD_IN_END = (":", "：")
PROSE_MIN_WORDS = 20
HEADLINE_MAX_WORDS = 25
ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
LATIN_CODE = re.compile(r"^[A-Z]{2,3}$")


def words(text: str) -> int:
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


def arabic_share(paragraphs: list[str]) -> float:
    """Share of the letters of `paragraphs` that are Arabic-script letters."""
    text = "".join(paragraphs)
    letters = sum(1 for c in text if c.isalpha())
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
