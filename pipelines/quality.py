"""Step 5: is the cleaned text an article, or a listing page, a directory, a stub?

A section or home page still yields "text" after extraction: its headline cards. They
differ from an article in shape (many short lines that do not end a sentence, "name -
description" entries), in origin (their words are link texts of the page), and in
subject (each paragraph starts a new story, so neighbours share no words).
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from pipelines.drops import NotArticle, TooShort
from pipelines.normalize import content_stems, remembered_key

SENTENCE_ENDS = (".", "!", "؟", "?", "…", ":", "»", '"', "”", ")")
DIRECTORY_DASH = re.compile(r"\s[-–]\s")
STORY_LINKS = 6          # this many one-link lines removed between short paragraphs: a listing
UNMARKED_MIN_PARAGRAPHS = 4   # an unmarked page of this many paragraphs that share no words is a list
SUMMARY_MAX_WORDS = 35
TRUNCATED = ("...", "…", "..")   # a teaser cut short, on a listing page
LIST_DASH = re.compile(r"^\s*[-–•*]\s")   # entries printed as "- name: description"
# htmldate falls back to January 1st when a page shows only a year (a copyright line).
YEAR_ONLY_DATE = re.compile(r"^\d{4}-01-01")


@dataclass(frozen=True)
class QualityConfig:
    min_words: int = 60                # QUALITY_MIN_WORDS
    min_words_unmarked: int = 150      # QUALITY_MIN_WORDS_UNMARKED: pages with no article metadata
    min_words_video: int = 20          # QUALITY_MIN_WORDS_VIDEO: a video page's description is its text
    max_link_share: float = 0.4        # QUALITY_MAX_LINK_SHARE: words of the text that are link texts
    max_headline_share: float = 0.3    # QUALITY_MAX_HEADLINE_SHARE: paragraphs that read as headlines
    min_neighbour_overlap: float = 0.02  # median shared stems of neighbouring paragraphs


def has_article_evidence(article_hint: bool, published: str | None) -> bool:
    """og:type/JSON-LD say article, or the page carries a real publication date."""
    return article_hint or bool(published and not YEAR_ONLY_DATE.match(published))


def keep_article(paragraphs: list[str], link_keys: frozenset[str], config: QualityConfig,
                 title: str | None = None, evidence: bool = True, video: bool = False,
                 marked: bool | None = None, link_lines: int = 0) -> tuple[bool, str, str]:
    """(keep, reason, detail): reason is "too_short" or "not_article" when not kept.

    `evidence`: the page has article metadata or a real date; `marked`: it has article
    metadata (og:type, JSON-LD), which a section page with dated cards does not;
    `link_lines`: lines that were one link each, removed from the text before."""
    marked = evidence if marked is None else marked
    words = sum(len(p.split()) for p in paragraphs)
    min_words = config.min_words if evidence else max(config.min_words, config.min_words_unmarked)
    if video:
        min_words = config.min_words_video
    if words < min_words:
        return False, "too_short", f"{words} words < {min_words}"
    keys = [remembered_key(p) for p in paragraphs]
    n = len(paragraphs)
    linked = sum(len(k.split()) for k in keys if k in link_keys)
    if linked / words > config.max_link_share:
        return False, "not_article", f"{linked / words:.0%} of words are link texts"
    # Only headlines that link somewhere count: a listing's cards link to their stories,
    # while subheadings, captions and update headings are short unpunctuated lines too.
    headlines = sum(1 for p, k in zip(paragraphs, keys) if _reads_as_headline(p) and k in link_keys)
    if n >= 6 and headlines / n > config.max_headline_share:
        return False, "not_article", f"{headlines} of {n} paragraphs read as headlines"
    mean_words = words / n if n else 0
    if link_lines >= STORY_LINKS and link_lines >= 0.5 * n and mean_words < SUMMARY_MAX_WORDS:
        # headline links, each with a one-line summary: the cards of a listing page
        return False, "not_article", f"{link_lines} story links between {n} short paragraphs"
    if n >= 3 and not any(p.rstrip().endswith(SENTENCE_ENDS) for p in paragraphs):
        return False, "not_article", f"none of {n} paragraphs ends a sentence: card summaries"
    teasers = sum(1 for p in paragraphs if p.rstrip().endswith(TRUNCATED))
    if n >= 5 and teasers >= 0.5 * n:
        return False, "not_article", f"{teasers} of {n} paragraphs are teasers cut short"
    dashes = sum(len(DIRECTORY_DASH.findall(p)) + bool(LIST_DASH.match(p)) for p in paragraphs)
    if dashes >= 8 and dashes >= 0.5 * n:
        return False, "not_article", f"{dashes} 'name - description' entries"
    # A live report's updates or a list of measures change subject paragraph by paragraph
    # too: only a page with no article metadata is judged by this.
    if not marked and n >= UNMARKED_MIN_PARAGRAPHS and _neighbour_overlap(keys) < config.min_neighbour_overlap:
        return False, "not_article", "neighbouring paragraphs share no words: a list of stories"
    if not evidence and len((title or "").split()) < 4:
        return False, "not_article", "no article metadata and no headline"
    return True, "", ""


def _link_lines_within(decisions) -> int:
    """Lines that were one link each, removed between kept paragraphs: a listing's story
    links stand between its teasers, an article's related list after its text."""
    kept = [i for i, d in enumerate(decisions) if d.rule is None]
    if not kept:
        return 0
    return sum(1 for d in decisions[kept[0]:kept[-1]] if d.rule == "link_line")


def _reads_as_headline(paragraph: str) -> bool:
    return len(paragraph.split()) <= 16 and not paragraph.rstrip().endswith(SENTENCE_ENDS)


def _neighbour_overlap(keys: list[str]) -> float:
    stems = [s for s in (content_stems(k) for k in keys) if len(s) >= 5]
    pairs = [len(a & b) / min(len(a), len(b)) for a, b in zip(stems, stems[1:])]
    return statistics.median(pairs) if pairs else 1.0


# --- Scrapy item pipeline -------------------------------------------------------------

class QualityPipeline:
    def __init__(self, config: QualityConfig):
        self.config = config

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        d = QualityConfig()
        return cls(QualityConfig(
            min_words=s.getint("QUALITY_MIN_WORDS", d.min_words),
            min_words_unmarked=s.getint("QUALITY_MIN_WORDS_UNMARKED", d.min_words_unmarked),
            min_words_video=s.getint("QUALITY_MIN_WORDS_VIDEO", d.min_words_video),
            max_link_share=s.getfloat("QUALITY_MAX_LINK_SHARE", d.max_link_share),
            max_headline_share=s.getfloat("QUALITY_MAX_HEADLINE_SHARE", d.max_headline_share),
            min_neighbour_overlap=s.getfloat("QUALITY_MIN_NEIGHBOUR_OVERLAP", d.min_neighbour_overlap),
        ))

    def process_item(self, page):
        ex = page.extracted
        evidence = has_article_evidence(ex.article_hint, ex.published)
        keep, reason, detail = keep_article(page.paragraphs, ex.link_keys, self.config, page.title, evidence,
                                            ex.video, marked=ex.article_hint,
                                            link_lines=_link_lines_within(page.decisions))
        if not keep:
            raise (TooShort if reason == "too_short" else NotArticle)(detail, page.fetched_url)
        return page
