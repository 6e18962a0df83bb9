"""Step 4: which language is the text in?

langdetect (seeded, so a page always gets the same answer) on a bounded sample, checked
against evidence from the script itself: Arabic shares its alphabet with Persian, Urdu and
Pashto, and langdetect errs on short texts. Letters Arabic never uses point away from
Arabic; the Arabic article "ال" on many words points to it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from langdetect import DetectorFactory, LangDetectException, detect_langs

from pipelines.drops import WrongLanguage
from pipelines.normalize import NON_ARABIC_LETTER_RATE, arabic_script_share, non_arabic_letter_rate

DetectorFactory.seed = 0  # langdetect samples at random; a fixed seed makes results repeatable

ARABIC_SCRIPT_LANGS = {"ar", "fa", "ur", "ps", "ku", "sd", "ug"}
# Share of words carrying the Arabic definite article: about 0.2 in Arabic news prose,
# a few hundredths in Persian or Urdu (loanwords only).
ARABIC_ARTICLE_SHARE = 0.09
WORD = re.compile(r"\w+")
# Fewer words than this is too little evidence for the script rule alone.
MIN_SCRIPT_WORDS = 40


@dataclass(frozen=True)
class LanguageResult:
    lang: str
    score: float
    evidence: str  # "detector", or the script rule that decided


def detect_language(text: str, sample_chars: int = 1500) -> LanguageResult:
    """Detect the language of `text` from a sample of at most `sample_chars` characters,
    taken from its start, middle and end.

    Plain Arabic prose is settled by its script alone: Arabic letters only (none of the
    letters Persian, Urdu or Pashto add), and the article "ال" on many words, which those
    languages do not have. Its score is then the share of its letters that are Arabic.
    Everything else goes to langdetect, checked against the same script evidence."""
    sample = _sample(text, sample_chars)
    script_share = arabic_script_share(sample)
    other_letters = non_arabic_letter_rate(sample)
    if script_share >= 0.75 and len(sample.split()) >= MIN_SCRIPT_WORDS \
            and other_letters < NON_ARABIC_LETTER_RATE \
            and _arabic_article_share(sample) >= ARABIC_ARTICLE_SHARE:
        return LanguageResult("ar", round(script_share * (1 - other_letters), 4), "script:arabic")
    probs = _detector_probabilities(sample)
    best = max(probs, key=probs.get) if probs else "unknown"
    if script_share < 0.5:
        return LanguageResult(best, probs.get(best, 0.0), "detector")

    article_share = _arabic_article_share(sample)
    if other_letters >= NON_ARABIC_LETTER_RATE or article_share < ARABIC_ARTICLE_SHARE / 2:
        if best == "ar" or best not in ARABIC_SCRIPT_LANGS:
            others = {k: v for k, v in probs.items() if k in ARABIC_SCRIPT_LANGS - {"ar"}}
            best = max(others, key=others.get) if others else "fa"
            return LanguageResult(best, probs.get(best, 0.0), "script:non-arabic-letters")
        return LanguageResult(best, probs[best], "detector")
    if best != "ar" and article_share >= ARABIC_ARTICLE_SHARE:
        return LanguageResult("ar", probs.get("ar", 0.0), "script:arabic-article")
    return LanguageResult(best, probs.get(best, 0.0), "detector")


def keep_language(result: LanguageResult, languages: list[str]) -> bool:
    return result.lang in languages


def _sample(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    third = n // 3
    middle = len(text) // 2
    return " ".join((text[:third], text[middle - third // 2: middle + third // 2], text[-third:]))


def _detector_probabilities(sample: str) -> dict[str, float]:
    try:
        return {l.lang: l.prob for l in detect_langs(sample)}
    except LangDetectException:  # no letters at all
        return {}


def _arabic_article_share(text: str) -> float:
    words = [w for w in WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0
    with_article = sum(1 for w in words if w.startswith(("ال", "وال", "بال", "فال", "لل", "كال")))
    return with_article / len(words)


# --- Scrapy item pipeline -------------------------------------------------------------

class LanguagePipeline:
    def __init__(self, languages: list[str], sample_chars: int, stats):
        self.languages = languages
        self.sample_chars = sample_chars
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        languages = crawler.settings.getlist("LANGUAGES", ["ar"])
        if not languages:
            raise ValueError("LANGUAGES is empty: no document could ever be kept")
        return cls(languages, crawler.settings.getint("LANGUAGE_SAMPLE_CHARS", 1500), crawler.stats)

    def process_item(self, page):
        result = detect_language(page.text, self.sample_chars)
        page.lang, page.lang_score = result.lang, round(result.score, 4)
        self.stats.inc_value(f"language/{result.lang}")
        if not keep_language(result, self.languages):
            raise WrongLanguage(f"{result.lang} ({result.evidence}), not in {self.languages}", page.fetched_url)
        return page
