"""The page as lines of text, and its densest run of prose.

A second, independent view of the page beside trafilatura's: every block element and <br>
ends a line; each line knows how many of its words are link text. An article is a long
run of prose lines that navigation, link lists and widgets (short or linked lines) do
not interrupt for long, so the best-scoring contiguous run of lines (prose lines score
their words, other lines cost a little, linked lines cost more) is the article's span.
It works from tag names and text only: no class names, no site rules, and legacy table
layouts (text in cells, paragraphs split by <br><br>) are just more lines.
"""
from __future__ import annotations

from dataclasses import dataclass


SKIPPED = frozenset((
    "script", "style", "noscript", "template", "svg", "iframe", "select", "option", "button", "input",
    "textarea", "nav", "aside", "footer", "form", "head", "title", "object", "embed", "canvas", "video",
    "audio", "figure", "figcaption", "picture", "map", "label", "marquee", "dialog",
    "amp-sidebar", "amp-analytics", "amp-social-share", "amp-ad", "amp-img", "amp-twitter",
    "amp-instagram", "amp-carousel", "amp-video", "amp-iframe",
))
BLOCKS = frozenset((
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "td", "th", "tr", "table",
    "tbody", "thead", "tfoot", "section", "article", "main", "header", "blockquote", "dd", "dt", "dl",
    "pre", "center", "hr", "br", "address", "body", "html",
))
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
PROSE_WORDS = 8          # a line this long, mostly not link text, is prose
SHORT_LINE_COST = 2      # what a non-prose line costs the run it interrupts
LINK_WORD_COST = 0.5     # and each of its link words on top


@dataclass
class Line:
    text: str
    words: int
    link_words: int
    heading: str | None      # "h1".."h6" when the line is a heading

    @property
    def prose(self) -> bool:
        return self.words >= PROSE_WORDS and self.link_words < 0.5 * self.words

    @property
    def score(self) -> float:
        if self.prose:
            return float(self.words - self.link_words)
        return -(SHORT_LINE_COST + LINK_WORD_COST * self.link_words)


def lines_of(root) -> list[Line]:
    """The text of `root` as lines, in reading order, skipping what readers do not read
    as the page's text (scripts, forms, navigation, asides, figures)."""
    out: list[Line] = []
    parts: list[str] = []
    line = [0, None]   # the line's link words so far, its heading tag

    def flush():
        words = "".join(parts).split()
        if words:
            out.append(Line(" ".join(words), len(words), min(line[0], len(words)), line[1]))
        parts.clear()
        line[0], line[1] = 0, None

    def add(text: str | None, in_link: bool):
        if text:
            parts.append(text)
            if in_link:
                line[0] += len(text.split())

    # A walk that never enters a skipped element: menus, scripts and asides are much of a
    # page's tree. Recursion is safe: libxml2 stops nesting at 256 levels.
    def walk(el, in_link: bool):
        tag = el.tag
        if tag in BLOCKS:
            flush()
        if tag in HEADINGS:
            line[1] = tag
        in_link = in_link or tag == "a"
        add(el.text, in_link)
        for child in el:
            # a comment or processing instruction has only its tail as text
            if isinstance(child.tag, str) and child.tag not in SKIPPED:
                walk(child, in_link)
            add(child.tail, in_link)
        if tag in BLOCKS:
            flush()

    if root.tag not in SKIPPED:
        walk(root, False)
    add(root.tail, False)
    flush()
    return out


def densest_run(lines: list[Line]) -> tuple[int, int]:
    """[start, end) of the contiguous run of lines with the highest total score."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, line in enumerate(lines):
        if total <= 0:
            total, start = 0.0, i
        total += line.score
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


def prose_words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs if len(p.split()) >= PROSE_WORDS)
