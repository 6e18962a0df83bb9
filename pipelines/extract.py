"""Step 1: HTML → headline, paragraphs and metadata, with trafilatura doing the main-text work.

The page is parsed once; this module reads what trafilatura does not give us (canonical
link, tag links, anchor texts, page-kind hints) from the same tree, prunes read-also link
boxes that trafilatura keeps, then hands the tree to trafilatura.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS, decode_file, is_dubious_html

from pipelines import dense, structured
from pipelines.dates import find_arabic_date, find_numeric_date, markup_date
from pipelines.drops import ExtractFailed, NoText
from pipelines.headtags import HeadTags
from pipelines.markers import (
    LABEL_VALUE,
    TAG_SEPARATORS,
    Markers,
    default_markers,
    markers_from_settings,
)
from pipelines.lines import named_words, names_any
from pipelines.normalize import normalize_key, remembered_key
from pipelines.rules import Decision
from pipelines.urls import canonical_url

logger = logging.getLogger(__name__)
# trafilatura logs an ERROR for every page it cannot parse; each such page is already
# counted and logged here with its reason (no_text), so its own messages are only noise.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# trafilatura's own parser options, with one difference. lxml.html's parser calls a Python
# function to choose the class of every element handed to Python. That is hundreds of
# thousands of calls a page, over our passes and trafilatura's. Here one class, chosen in C,
# serves every element: the same tree API and the same text, ~1 ms a page less.
PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                              remove_comments=True, remove_pis=True)
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


# The characters of trafilatura's INVALID_XML_CHARS, one by one: a page almost never holds
# one, and looking for each with `in` costs a third of one pass of that pattern over the page.
INVALID_XML_CHAR_LIST = tuple(chr(c) for c in (*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0xfffe, 0xffff))


def repair_faulty_html(html: str, beginning: str) -> str:
    """trafilatura.utils.repair_faulty_html, the same string out (tests/test_extract_speed.py),
    without its pass over the whole page to delete control characters when it holds none."""
    if any(c in html for c in INVALID_XML_CHAR_LIST):
        html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:   # libxml2 misreads a doctype with a slash in it
        firstline, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:   # a self-closing <html/> in the first lines
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


def load_html(html: str | bytes):
    """trafilatura.utils.load_html's checks and repairs, parsed with PARSER: the tree, or
    None when the input is not HTML."""
    html = decode_file(html)
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    try:
        tree = lxml.html.fromstring(html, parser=PARSER)
    except (ValueError, etree.ParserError):   # e.g. a str with an encoding declaration
        tree = None
    if tree is None or len(tree) < 1:   # lxml reads some pages only as bytes
        tree = lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=PARSER)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
                 "opinionnewsarticle", "blogposting", "report", "backgroundnewsarticle",
                 "liveblogposting", "reviewnewsarticle", "askpublicnewsarticle"}
# The marker kinds looked for at the start of an element's own text (_labels).
LABEL_KINDS = ("tags", "read_also", "related", "source", "byline")
# Elements whose own leading text can introduce a tags block or a read-also box.
LABEL_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b", "dt", "li", "label", "section", "aside")


class ExtractionError(ValueError):
    """The page has no parseable HTML or no main text."""


@dataclass
class Extracted:
    title: str | None
    paragraphs: list[str]
    canonical_url: str | None = None
    published: str | None = None
    author: str | None = None
    tag_links: list[str] = field(default_factory=list)   # tags block links, page order
    meta_tags: list[str] = field(default_factory=list)   # article:tag, meta keywords, JSON-LD keywords
    link_keys: frozenset[str] = frozenset()              # key-normalised anchor texts of 2+ words
    article_hint: bool = False                           # og:type / JSON-LD say "article" (or video)
    video: bool = False                                  # a video page: its short description is the text
    standfirst: str | None = None                        # the summary printed under the headline
    source_line: str | None = None                       # an "المصدر: ..." line anywhere on the page
    byline: str | None = None                            # a "بقلم: ..." line anywhere on the page
    author_box: str | None = None                        # the name in an author/byline box
    pruned: list = field(default_factory=list)           # boxes removed from the HTML (rules.Decision)


def extract(html: str | bytes, url: str | None = None, prune_xpaths: list[str] | None = None,
            markers: Markers | None = None) -> Extracted:
    """Extract one page. Raises ExtractionError when there is nothing to extract."""
    markers = markers or default_markers()
    tree = _parsed(html)
    head = HeadTags(tree)
    canonical = _canonical(head, url)
    jsonld = list(_jsonld_objects(head))
    labels, link_keys = _labels(tree, markers)
    tag_links = _tag_links(tree, labels, markers)
    meta_tags = _meta_tags(head, jsonld)
    article_hint = _article_hint(head, jsonld)
    video = _is_video(head, jsonld)
    headline = _headline(tree, head, jsonld)
    standfirst = _standfirst(tree, head, jsonld)
    source_line = _labelled_line(labels, markers, "source")
    byline = _labelled_line(labels, markers, "byline")
    pruned = Pruned()
    _prune_link_boxes(labels, markers, pruned)
    _prune_next_story(labels, headline, markers, pruned)

    # Metadata is read above and in markup_date/_author, not by trafilatura: its metadata
    # pass costs nearly as much as the extraction itself, and its date search guesses (a
    # copyright year becomes January 1st) where dates written in Arabic words are ours.
    published = markup_date(tree, jsonld, url, head) or _printed_date(tree, headline)
    author = _author(head, jsonld)
    author_box = _author_box(tree) if author is None and byline is None else None
    _prune_social_embeds(tree, pruned)
    _prune_image_captions(tree, pruned)
    _prune_consent(tree, markers, pruned)
    _prune_closed_boxes(tree, markers, pruned)
    doc = _main_text(tree, url, prune_xpaths, fast=True)
    if doc is None or not _has_words(doc.body, FULL_EXTRACTION_BELOW_WORDS):
        # trafilatura's fallback extractors (readability, jusText) cost a third of its time
        # and matter only when its own pass finds little: run them only then.
        doc = _main_text(tree, url, prune_xpaths, fast=False) or doc
    paragraphs = list(_paragraphs(doc.body)) if doc is not None and doc.body is not None else []
    paragraphs, data_tags, data_author = _with_structured_data(paragraphs, tree, jsonld)
    paragraphs = _checked_against_lines(paragraphs, tree, headline, markers, pruned)
    if not paragraphs:
        raise ExtractionError("no main text found")
    return Extracted(
        title=headline or (doc.title if doc is not None else None),
        paragraphs=paragraphs,
        canonical_url=canonical,
        published=published,
        author=author or data_author,
        tag_links=tag_links,
        meta_tags=meta_tags or data_tags,
        link_keys=link_keys,
        article_hint=article_hint or video,
        video=video,
        standfirst=standfirst,
        source_line=source_line,
        byline=byline,
        author_box=author_box,
        pruned=pruned.decisions,
    )


def _parsed(html: str | bytes):
    try:
        tree = load_html(html)
    except (ValueError, etree.ParserError) as exc:  # lxml refuses some byte soups outright
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    if tree is None:
        raise ExtractionError("unparseable HTML")
    return tree


class Pruned:
    """The boxes removed from the page before extraction, each with its rule and evidence."""

    def __init__(self):
        self.decisions: list[Decision] = []

    def remove_outermost(self, boxes, rule: str, evidence: str) -> None:
        """Remove each box that no other of `boxes` holds."""
        for box in boxes:
            if box.getparent() is not None and not any(a is not box and _is_ancestor(a, box) for a in boxes):
                self.remove(box, rule, evidence)

    def remove(self, el, rule: str, evidence: str) -> None:
        # the box's pieces of text apart, as the page shows them ("الأكثر قراءة" above a headline)
        text = " ".join(piece for piece in (" ".join(t.split()) for t in el.itertext()) if piece)
        self.decisions.append(Decision(text, rule, evidence, "extract"))
        _drop_keep_tail(el)


FULL_EXTRACTION_BELOW_WORDS = 120
READ_ALSO_BOX_WORDS = 80
RELATED_BOX_WORDS = 300
CAPTION_BOX_WORDS = 25
CONTAINERS = ("body", "html", "article", "main")   # boxes that are the page, never one of its blocks
CAPTION_STOP = CONTAINERS + ("a",)
HEADING_MAX_WORDS = 15
# The page's own densest run of prose replaces trafilatura's text when it holds this many times
# more prose (less, and the difference is more often comments or a bio than missed text).
DENSE_GAIN = 3.0
DENSE_MIN_GAIN_WORDS = 20
# Below this many words the HTML may not hold the text at all (script-rendered pages).
STRUCTURED_BELOW_WORDS = 150
# Trailing paragraphs this long that the page's articleBody lacks are not the article.
TRAILING_PROSE_WORDS = 12
SOCIAL_HOSTS = ("twitter.", "//x.com/", "instagram.", "facebook.", "tiktok.", "//t.me/", "threads.net", "/status/")
# An embedded post: a <blockquote> that links to its network or says it is a post, or an
# AMP embed. Found as the elements of these tags (one walk that skips a tag a page lacks),
# the blockquotes then tested one by one: not a union of seven searches of the whole tree.
SOCIAL_EMBED_TAGS = ("amp-twitter", "amp-instagram", "amp-facebook", "amp-tiktok", "amp-youtube", "amp-iframe")
SOCIAL_QUOTE = etree.XPath(
    "boolean(.//a[" + " or ".join(f'contains(@href, "{h}")' for h in SOCIAL_HOSTS) + "]"
    ' or contains(., "pic.twitter.com") or contains(., "View this post") or contains(., "عرض هذا المنشور")'
    ' or contains(@cite, "/status/"))')


def _social_posts(tree) -> list:
    """`//blockquote[<SOCIAL_QUOTE>] | //amp-twitter | ...`, in page order."""
    root = tree.getroottree().getroot()   # "//" starts at the document's root
    return [el for el in root.iter("blockquote", *SOCIAL_EMBED_TAGS) if el.tag != "blockquote" or SOCIAL_QUOTE(el)]


def _prune_social_embeds(tree, pruned: Pruned) -> None:
    """Embedded posts (a <blockquote> linking to the post on its network) are not article
    text, unlike quotations, which link nowhere."""
    for quote in _social_posts(tree):
        if quote.getparent() is not None:
            pruned.remove(quote, "social_embed", "a quoted post that links to its network")


def _prune_image_captions(tree, pruned: Pruned) -> None:
    """A picture's caption and credit: a <figcaption>, or the short text in the smallest box
    around an image (within three levels). A box with more text than a caption is the
    article's own."""
    doomed = [c for c in tree.iter("figcaption") if len(_text_of(c).split()) <= CAPTION_BOX_WORDS * 2]
    for img in tree.iter("img", "amp-img", "picture"):
        after = img.getnext()
        if after is not None and after.tag in ("p", "div", "span", "small", "em") and not (img.tail or "").strip():
            caption = " ".join(_text_of(after).split())
            if 0 < len(caption.split()) <= CAPTION_BOX_WORDS and not caption.endswith((".", "؟", "!", ":")):
                doomed.append(after)   # a line right under a picture, ending no sentence: its caption
        box = _smallest_box(img, 3, CAPTION_BOX_WORDS, lambda box, text: bool(text.split()), stop=CAPTION_STOP)
        if box is not None:
            doomed.append(box)
    pruned.remove_outermost(doomed, "caption", "the short text beside a picture")


def _smallest_box(el, levels: int, max_words: int, found, stop=CONTAINERS):
    """The nearest of `el`'s ancestors, within `levels`, for which `found(box, text)` holds,
    as long as the boxes stay under `max_words` words and are not page containers."""
    box = el.getparent()
    for _ in range(levels):
        if box is None or box.tag in stop:
            return None
        text = _text_of(box)
        if len(text.split()) > max_words:
            return None
        if found(box, text):
            return box
        box = box.getparent()
    return None


CONSENT_BOX_WORDS = 120
CLOSED_BOX_WORDS = 120
CLOSING_LABEL_WORDS = 6


def _prune_closed_boxes(tree, markers: Markers, pruned: Pruned) -> None:
    """A box inside the article that ends with a label closing it ("بودكاست «...» نهاية",
    "نهاية المنشور") and opens with a line naming the same thing: a promo or an embed,
    whatever extraction would keep of its lines."""
    doomed = []
    for el in tree.iter(*LABEL_TAGS):
        if len(el):   # a label of its own has no child; asked first, it spares the text of boxes
            continue
        text = (el.text or "").strip()
        if not text or len(text.split()) > CLOSING_LABEL_WORDS:
            continue
        ws = remembered_key(text).split()
        if not ws or not (ws[0] in markers.box_end or ws[-1] in markers.box_end):
            continue
        named = named_words(" ".join(ws), markers.box_end)
        label = " ".join(text.split())

        def closes(box, box_text, named=named, label=label):
            lines = [t for t in (" ".join(x.split()) for x in box.itertext()) if t]
            return bool(named) and len(lines) > 1 and lines[-1] == label and \
                any(names_any(named, normalize_key(line)) for line in lines[:-1][:2])
        box = _smallest_box(el, 3, CLOSED_BOX_WORDS, closes)
        if box is not None:
            doomed.append(box)
    pruned.remove_outermost(doomed, "closed_box", "a box whose last line is a label closing what its first line names")


def _prune_consent(tree, markers: Markers, pruned: Pruned) -> None:
    """A privacy or cookie banner: the smallest box around a consent button ("موافق",
    "قبول") whose text speaks of cookies or privacy. The words alone are not enough: an
    article about privacy has no such button."""
    firsts = markers.first_words("consent_button")
    doomed = list(tree.iter("amp-consent"))
    for button in tree.iter("button", "a"):
        label = remembered_key(_text(button))
        if not label or label.split(" ", 1)[0] not in firsts or not markers.is_heading("consent_button", label):
            continue
        box = _smallest_box(button, 4, CONSENT_BOX_WORDS,
                            lambda box, text: markers.contains("consent", normalize_key(text)) is not None)
        if box is not None:
            doomed.append(box)
    pruned.remove_outermost(doomed, "consent", "a cookie or privacy notice around its button")


def _with_structured_data(paragraphs: list[str], tree, jsonld) -> tuple[list[str], list[str], str | None]:
    """Recover the text (and the tags beside it) from structured data when the HTML holds
    little of it; otherwise let JSON-LD articleBody, when it agrees with the page, cut
    what trails the article."""
    words = sum(len(p.split()) for p in paragraphs)
    body = structured.jsonld_body(jsonld)
    if words < STRUCTURED_BELOW_WORDS:
        blob = structured.state_blob_article(tree)
        recovered = max((body, blob.paragraphs), key=lambda b: sum(len(p.split()) for p in b))
        # As much text or more: the data's paragraphs are the article's (the HTML of such
        # pages holds a teaser, or the text run together).
        if sum(len(p.split()) for p in recovered) >= max(words, 40):
            if recovered is blob.paragraphs and blob.standfirst and \
                    normalize_key(blob.standfirst) not in {normalize_key(p) for p in recovered}:
                recovered = [blob.standfirst, *recovered]
            return recovered, blob.tags, blob.author
        return paragraphs, [], None
    if not body:
        return paragraphs, [], None
    body_key = normalize_key(" ".join(body))
    if len(body) > len(paragraphs) and normalize_key(" ".join(paragraphs)) == body_key:
        return body, [], None  # the same text, run together by the page or by extraction
    keys = [normalize_key(p) for p in paragraphs]
    agreeing = [i for i, k in enumerate(keys) if structured.agrees(k, body_key)]
    prose = [i for i, p in enumerate(paragraphs) if len(p.split()) >= TRAILING_PROSE_WORDS]
    if not agreeing or len([i for i in prose if i in agreeing]) < 0.6 * len(prose):
        return paragraphs, [], None  # the data describes something else: trust the page
    last = agreeing[-1]
    return paragraphs[:last + 1] + [p for p in paragraphs[last + 1:] if len(p.split()) < TRAILING_PROSE_WORDS], [], None


def _checked_against_lines(paragraphs: list[str], tree, headline: str | None, markers: Markers,
                           pruned: Pruned) -> list[str]:
    """trafilatura's paragraphs against the page's own lines (pipelines/dense.py): its
    densest run of prose replaces them when it holds much more prose (a table layout, text
    trafilatura skipped) or when they are mostly not prose (navigation); prose printed
    between the headline and the first paragraph (a standfirst trafilatura dropped) is
    put back in front."""
    body = tree.find("body")
    if body is None:
        return paragraphs
    lines = dense.lines_of(body)
    start, end = dense.densest_run(lines)
    run = [line.text for line in lines[start:end]]
    # words counted once: a line knows its count, a paragraph's is taken here
    counts, run_counts = [len(p.split()) for p in paragraphs], [line.words for line in lines[start:end]]
    ours, theirs = _prose_words(run_counts), _prose_words(counts)
    total, run_total = sum(counts), sum(run_counts)
    if _runs_on(run_counts, counts):
        pass  # never worse than trafilatura: its paragraphs stand against one run-on block
    elif ours >= DENSE_GAIN * theirs + DENSE_MIN_GAIN_WORDS or (theirs < 0.5 * total and ours >= 0.8 * theirs):
        return run
    elif total >= 2 * run_total and ours >= DENSE_MIN_GAIN_WORDS and _contains_run(paragraphs, lines[start:end]):
        return run  # trafilatura took the whole page: menus, lists and all, around the article
    paragraphs = _headings_back(_standfirst_before(paragraphs, lines, headline, markers), lines, headline)
    return _after_tags(_gaps_back(paragraphs, lines), lines, markers, pruned)


GAP_MAX_LINES = 12
GAP_LINE_MIN_WORDS = 5
TAGS_LINE_MAX_WORDS = 60


def _after_tags(paragraphs: list[str], lines, markers: Markers, pruned: Pruned) -> list[str]:
    """Paragraphs the page prints after the article's tags block (a support appeal, a notice
    box, another story's teaser): the tags close the article when most of the kept text
    stands before them on the page."""
    firsts = markers.first_words("tags")
    tag_at = None
    for j, line in enumerate(lines):
        if line.link_words >= 2 and line.words <= TAGS_LINE_MAX_WORDS and \
                remembered_key(line.text.split(" ", 1)[0]) in firsts and markers.prefix("tags", remembered_key(line.text[:40])):
            tag_at = j
            break
    if tag_at is None:
        return paragraphs
    where = {line.text: j for j, line in enumerate(lines)}
    # The text from the first paragraph printed after the tags on: none of it printed before them.
    first = next((k for k, p in enumerate(paragraphs) if where.get(p, -1) > tag_at), None)
    if first is None or any(0 <= where.get(p, -1) < tag_at for p in paragraphs[first:]):
        return paragraphs
    after = paragraphs[first:]
    if sum(len(p.split()) for p in paragraphs[:first]) < 2 * sum(len(p.split()) for p in after):
        return paragraphs
    for p in after:
        pruned.decisions.append(Decision(p, "after_tags", "printed after the article's tags block", "extract"))
    return paragraphs[:first]


def _gaps_back(paragraphs: list[str], lines) -> list[str]:
    """Sentences trafilatura dropped between two paragraphs it kept (a list's items, most
    often): when every line of the page between those two paragraphs is a sentence with no
    link in it, they are the article's and go back in their place."""
    kept = {p: i for i, p in enumerate(paragraphs)}
    inserts: dict[int, list[str]] = {}
    prev_j = prev_at = None
    for j, line in enumerate(lines):
        at = kept.get(line.text)
        if at is None:
            continue
        if prev_j is not None and at == prev_at + 1 and 1 <= j - prev_j - 1 <= GAP_MAX_LINES \
                and all(_sentence_line(gap) for gap in lines[prev_j + 1:j]):
            inserts[at] = [gap.text for gap in lines[prev_j + 1:j]]
        prev_j, prev_at = j, at
    if not inserts:
        return paragraphs
    out = []
    for i, paragraph in enumerate(paragraphs):
        out.extend(inserts.get(i, ()))
        out.append(paragraph)
    return out


def _sentence_line(line) -> bool:
    return line.words >= GAP_LINE_MIN_WORDS and not line.link_words and not line.heading \
        and line.text.endswith((".", "؟", "!", "?", "؛", "،"))


def _prose_words(counts: list[int]) -> int:
    """dense.prose_words of paragraphs with these word counts."""
    return sum(n for n in counts if n >= dense.PROSE_WORDS)


def _runs_on(run_counts: list[int], counts: list[int]) -> bool:
    """The page's run (lines of `run_counts` words) is one block that runs paragraphs and
    page furniture together, where trafilatura kept several paragraphs (of `counts` words)
    apart: less article-like than what it replaces."""
    theirs = sum(1 for n in counts if n >= dense.PROSE_WORDS)
    run_words = sum(run_counts)
    longest = max(run_counts, default=0)
    return theirs >= 3 and len(run_counts) < theirs and longest >= 0.6 * run_words


def _headings_back(paragraphs: list[str], lines, headline: str | None) -> list[str]:
    """Subheadings trafilatura dropped (it does, inside some article and entry blocks): a
    page heading line directly followed by a paragraph it kept goes back in front of it."""
    kept = {remembered_key(p): i for i, p in enumerate(paragraphs)}
    title = normalize_key(headline or "")
    inserts: dict[int, str] = {}
    for line, following in zip(lines, lines[1:]):
        if line.heading in (None, "h1") or not 1 <= line.words <= HEADING_MAX_WORDS or line.link_words:
            continue
        key = remembered_key(line.text)
        at = kept.get(remembered_key(following.text))
        if at is not None and key not in kept and key != title and at not in inserts:
            inserts[at] = line.text
    if not inserts:
        return paragraphs
    out = []
    for i, paragraph in enumerate(paragraphs):
        if i in inserts:
            out.append(inserts[i])
        out.append(paragraph)
    return out


def _contains_run(paragraphs: list[str], run) -> bool:
    text = normalize_key(" ".join(paragraphs))
    prose = [line for line in run if line.prose]
    return bool(prose) and sum(remembered_key(line.text) in text for line in prose) >= 0.8 * len(prose)


def _standfirst_before(paragraphs: list[str], lines, headline: str | None, markers: Markers) -> list[str]:
    if not paragraphs or not headline:
        return paragraphs
    first, title = normalize_key(paragraphs[0]), normalize_key(headline)
    keys = {}
    start = None
    for i, line in enumerate(lines):
        if line.heading == "h1" or (start is None and len(line.text) < 3 * len(headline) and remembered_key(line.text) == title):
            start = i
        elif start is not None and line.words >= 3 and remembered_key(line.text) == first:
            keys = {remembered_key(p) for p in paragraphs}
            between = [ln.text for ln in lines[start + 1:i]
                       if _standfirst_like(ln, markers) and remembered_key(ln.text) not in keys]
            return between + paragraphs if len(between) <= 2 else paragraphs
    return paragraphs


def _standfirst_like(line, markers: Markers) -> bool:
    """Prose, not a byline, dateline or a row of facts ("بقلم: ... | الأحد ... | 4 دقائق")."""
    if not line.prose or line.heading or "|" in line.text:
        return False
    key = normalize_key(line.text)
    if markers.is_dateline(key) or any(markers.prefix(kind, key) for kind in ("byline", "source", "read_also", "promo")):
        return False
    return line.text.rstrip().endswith((".", "؟", "!", "…")) or line.words >= 12


def _is_video(head: HeadTags, jsonld) -> bool:
    if any(v.strip().lower().startswith("video") for v in head.values("meta", "content", ("property", "og:type"))):
        return True
    return any(obj.get("@type") == "VideoObject" or obj.get("@type") == ["VideoObject"] for obj in jsonld)


def _main_text(tree, url, prune_xpaths, fast: bool):
    # bare_extraction works on its own copy of a tree it is given: one parse serves both passes.
    return trafilatura.bare_extraction(
        tree, url=url, fast=fast, with_metadata=False,
        include_comments=False, include_tables=False, include_images=False, deduplicate=False,
        prune_xpath=prune_xpaths or None)


def _has_words(body, n: int) -> bool:
    """len(" ".join(body.itertext()).split()) >= n, counted text by text (the spaces that
    join them never join two words) and only as far as n."""
    if body is None:
        return n <= 0
    count = 0
    for text in body.itertext():
        count += len(text.split())
        if count >= n:
            return True
    return count >= n


def _author(head: HeadTags, jsonld) -> str | None:
    """The byline the page states for machines: JSON-LD author, then meta tags, unless it
    names the publisher (sites put their own name there). Bylines printed as text
    ("كتب: ...") are the boilerplate step's."""
    outlets = _outlet_names(head, jsonld)
    for obj in jsonld:
        names = [n for n in _names(obj.get("author")) if normalize_key(n) not in outlets]
        if names:
            return "، ".join(names)
    for value in head.values("meta", "content", ("name", "author"), ("property", "article:author"), ("name", "byl")):
        value = value.strip()
        if value and "://" not in value and len(value.split()) <= 8 and normalize_key(value) not in outlets:
            return value
    return None


def _outlet_names(head: HeadTags, jsonld) -> set[str]:
    names = {normalize_key(v) for v in head.values("meta", "content", ("property", "og:site_name"), ("name", "application-name"))}
    for obj in jsonld:
        publisher = obj.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.add(normalize_key(publisher["name"]))
    return names - {""}


AUTHOR_BOXES = ('//*[contains(@class, "author") or contains(@class, "byline") or contains(@class, "writer")'
                ' or contains(@id, "author") or @rel="author" or @itemprop="author"]')


def _author_box(tree) -> str | None:
    """The first short name in an element the page calls author, byline or writer: the
    last resort, when neither markup nor a "بقلم:" line names the author."""
    for box in tree.xpath(AUTHOR_BOXES)[:10]:
        for node in box.iter():
            text = " ".join((node.text or "").split())
            if 2 <= len(text.split()) <= 4 and not any(c.isdigit() for c in text) and ":" not in text:
                return text
    return None


def _names(value) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() and "://" not in value else []
    if isinstance(value, dict):
        if value.get("@type") in ("Organization", "NewsMediaOrganization"):
            return []  # the outlet, not a writer
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _printed_date(tree, headline: str | None) -> str | None:
    """A date printed in words or digits: first near the headline (menus and archive
    lists above it print other dates), then anywhere near the top of the page."""
    body = tree.find("body")
    if body is None:
        return None
    text = _text_of(body)
    at = text.find(headline) if headline else -1
    for part in ((text[at:at + 3000],) if at >= 0 else ()) + (text[:20000],):
        found = find_arabic_date(part) or find_numeric_date(part)
        if found:
            return found
    return None


def _paragraphs(body: etree._Element):
    """trafilatura's output tree → paragraphs: one per block, one per list item or table
    cell. `<lb/>` is a paragraph break too, since sites that separate paragraphs with
    <br><br> would otherwise come out as a single block."""
    for el in body:
        if el.tag in ("div", "list", "table", "row"):
            if (el.text or "").strip():
                yield " ".join(el.text.split())
            yield from _paragraphs(el)  # containers: their blocks are the paragraphs
        else:
            yield from _split_on_breaks(el)
        if el.tail and el.tail.strip() and el.getparent() is not None and el.getparent().tag != "body":
            yield " ".join(el.tail.split())


def _split_on_breaks(el: etree._Element):
    parts = [""]
    for event, node in etree.iterwalk(el, events=("start", "end")):
        if event == "start":
            if node.tag == "lb":
                parts.append("")
            elif node.text:
                parts[-1] += node.text
        elif node is not el and node.tail:
            parts[-1] += node.tail
    for part in parts:
        # trafilatura collapses the white space of the page's text, so a newline left in
        # its output is a <br> it kept as text: a break like <lb/>.
        for line in part.split("\n"):
            line = " ".join(line.split())
            if line:
                yield line


def _canonical(head: HeadTags, url: str | None) -> str | None:
    for values in (head.values("link", "href", ("rel", "canonical")),
                   head.values("meta", "content", ("property", "og:url")),
                   head.values("meta", "content", ("name", "og:url"))):
        for value in values:
            value = value.strip()
            if value:
                return urljoin(url, value) if url else value
    return None


def _jsonld_objects(head: HeadTags):
    for script in head.elements("script", ("type", "application/ld+json")):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                yield obj
                stack.extend(v for k, v in obj.items() if k == "@graph")


TITLE_SEPARATORS = re.compile(r"\s+[-|–—:«»/]\s+|\s*\|\s*|\s*::\s*")
CHROME = etree.XPath("ancestor-or-self::*[self::nav or self::header or self::footer or self::aside]")


def _printed(tree, tags: tuple[str, ...], wanted: list[str]) -> dict[str, str]:
    """key → text of elements of `tags`, outside navigation, header, footer and asides,
    whose text could be one of `wanted` (lengths are compared first: normalising every
    element of a page would cost more than the extraction itself)."""
    wanted_keys = {normalize_key(w) for w in wanted}
    lengths = [len(w) for w in wanted]
    out = {}
    for el in tree.iter(*tags):
        raw = _text_of(el)
        if not any(0.8 * n <= len(raw) <= 1.25 * n + 20 for n in lengths):
            continue
        key = normalize_key(raw)
        if key in wanted_keys and not CHROME(el):
            out.setdefault(key, " ".join(raw.split()))
    return out


def _headline(tree, head: HeadTags, jsonld) -> str | None:
    """The article's headline: og:title or JSON-LD headline, else the one <h1>, else the part
    of <title> ("site - headline") that the page prints as text."""
    for obj in jsonld:
        if isinstance(obj.get("headline"), str) and obj["headline"].strip():
            return obj["headline"].strip()
    for value in head.values("meta", "content", ("property", "og:title")):
        if value.strip():
            # "headline | site" or "section | headline": the site and section are the short part
            return max(TITLE_SEPARATORS.split(value.strip()), key=len).strip() if " | " in value else value.strip()
    h1 = [" ".join(_text_of(h).split()) for h in tree.iter("h1") if _text_of(h).strip()]
    if len(h1) == 1:
        return h1[0]
    title = " ".join((tree.findtext(".//title") or "").split())
    parts = [p.strip() for p in TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) > 1:
        printed = _printed(tree, ("h1", "h2", "h3", "b", "strong", "font", "span", "td", "div", "p"), parts)
        for part in sorted(parts, key=len, reverse=True):
            if normalize_key(part) in printed:
                return part
        return max(parts, key=len)
    return title or None


def _standfirst(tree, head: HeadTags, jsonld) -> str | None:
    """The page's description, when the page also prints it as a paragraph of its own:
    that is the standfirst, which extractors often leave out."""
    candidates = head.values("meta", "content", ("property", "og:description"), ("name", "description"))
    candidates += [o["description"] for o in jsonld if isinstance(o.get("description"), str)]
    keys = {normalize_key(c): c.strip() for c in candidates if len(c.split()) >= 8}
    if not keys:
        return None
    printed = _printed(tree, ("p", "h2", "div"), list(keys.values()))
    for key, text in keys.items():
        if key in printed:
            return printed[key]
    return None


def _labels(tree, markers: Markers) -> tuple[list[tuple[etree._Element, str]], frozenset[str]]:
    """Every element that starts with text of its own that could be a label, with the key of
    that text's start: the one pass in which markers (tags, read also, related, source,
    byline, next story) are looked for. A marker is matched from a key's first word, so an
    element whose first word starts none is left out here: most of a page's hundreds.
    And, from the same pass over the page's links, the keys of their texts of two words or
    more (Extracted.link_keys)."""
    firsts = markers.first_words(*LABEL_KINDS, "next_story")
    out = []
    link_keys = set()
    for el in tree.iter(*LABEL_TAGS, "a", "font", "td"):
        own, children = el.text, len(el)   # each read once: this loop sees most of the page
        if el.tag == "a":
            link_key = remembered_key(_text_of(el) if children else (own or ""))   # _text(el)
            if " " in link_key:   # two words or more: a key's words are joined by single spaces
                link_keys.add(link_key)
        text = own.strip() if own else ""
        if not text and children and el[0].tag != "a":
            text = (el[0].text or "").strip()  # <p><strong>الوسوم:</strong> ...
        if text:
            key = remembered_key(text[:40])
            if key and key.partition(" ")[0] in firsts:
                out.append((el, key))
    return out, frozenset(link_keys)


def _labelled_line(labels, markers: Markers, kind: str) -> str | None:
    """A short "label: value" line of a marker kind ("المصدر: وكالات", "بقلم: فلان")
    wherever the page prints it: extractors often leave such lines outside the body.
    The line is the element whose own text starts with the label, or its parent when
    the label stands alone (<p><b>المصدر:</b> وكالات</p>): a date or counter printed
    beside the line in a larger box stays out."""
    for el, key in labels:
        marker = markers.prefix(kind, key)
        if not marker or not (el.text or "").strip():
            continue
        line = el
        if normalize_key(_text_of(el)) == marker and el.getparent() is not None:
            line = el.getparent()
        text = " ".join(_text_of(line).split())
        head = text.replace("：", ":").split(":")[0]
        if 2 <= len(text.split()) <= 12 and ":" in text.replace("：", ":") and normalize_key(head) == marker:
            return text
    return None


def _article_hint(head: HeadTags, jsonld) -> bool:
    og_type = [v.strip().lower() for v in head.values("meta", "content", ("property", "og:type"))]
    if "article" in og_type:
        return True
    for obj in jsonld:
        types = obj.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in ARTICLE_TYPES for t in types):
            return True
    return False


def _meta_tags(head: HeadTags, jsonld) -> list[str]:
    tags = [v for v in head.values("meta", "content", ("property", "article:tag")) if v.strip()]
    if tags:
        return tags
    for obj in jsonld:
        kw = obj.get("keywords")
        if isinstance(kw, list):
            return [str(k) for k in kw if str(k).strip()]
        if isinstance(kw, str) and kw.strip():
            return _split_list(kw)
    for value in head.values("meta", "content", ("name", "keywords"), ("name", "news_keywords")):
        if value.strip():
            return _split_list(value)
    return []


def _split_list(value: str) -> list[str]:
    for sep in ("،", ",", "|", ";"):
        if sep in value:
            return [v.strip() for v in value.split(sep) if v.strip()]
    return [value.strip()]


def _tag_links(tree, labels, markers: Markers) -> list[str]:
    """The tags block's entries: the links near a tags label ("الوسوم", "كلمات دلالية:"),
    or the list it prints as text ("Tags: a - b"); else a "related topics" heading over
    short links, or rel=tag links. A label below a second <h1> belongs to another story
    appended to the page."""
    for el, key in labels:
        marker = markers.prefix("tags", key)
        if el.tag == "a" or not marker or not (el.text or "").strip():
            continue
        text = " ".join(_text_of(el).split())
        value = LABEL_VALUE.match(text)
        labelled = value is not None and normalize_key(text[:value.start(1)]) == marker
        if (len(key.split()) > 4 and not labelled) or _after_second_h1(el):
            continue  # prose that starts with a marker word
        if labelled and len(value.group(1).split()) <= 60 and el.find(".//a") is None:
            return [t for t in TAG_SEPARATORS.split(value.group(1)) if t]  # "الوسوم: a، b" as text
        anchors = _nearby_anchors(el, max_words=6)
        if anchors:
            return anchors
    for el, key in labels:
        if markers.is_heading("related", key, extra_words=2) and not _after_second_h1(el):
            anchors = _nearby_anchors(el, max_words=3)
            if len(anchors) >= 2:
                return anchors
    return [_text_of(a).strip() for a in tree.xpath('//a[contains(concat(" ", @rel, " "), " tag ")]')
            if _text_of(a).strip()]


def _nearby_anchors(el, max_words: int) -> list[str]:
    """Link texts of the label's own element, next sibling or nearest enclosing boxes,
    when every one is short (tags, not headlines)."""
    following = el.getnext()
    # a list box after the label (<h3>الوسوم</h3><ul>...), not one link among siblings
    scopes = [el, following if following is not None and following.tag != "a" else None]
    parent = el.getparent()
    for _ in range(3):
        if parent is None or parent.tag in ("body", "article", "main"):
            break
        scopes.append(parent)
        parent = parent.getparent()
    for scope in scopes:
        if scope is None:
            continue
        anchors = [" ".join(_text(a).split()) for a in scope.iter("a")]
        anchors = [a for a in anchors if a]
        if anchors:
            return anchors if len(anchors) <= 60 and all(len(a.split()) <= max_words for a in anchors) else []
    return []


def _after_second_h1(el) -> bool:
    return len(el.xpath("preceding::h1[position() <= 2]")) >= 2


def _prune_link_boxes(labels, markers: Markers, pruned: Pruned) -> None:
    """Remove link boxes that a marker heads: inline "اقرأ أيضا: <a>" lines and read-more
    cards, and "related" / "most read" lists wherever they sit, between the article's
    blocks too. Each is mostly link text, which prose never is."""
    doomed = []
    for el, key in labels:
        if markers.prefix("read_also", key):
            max_words = READ_ALSO_BOX_WORDS
        elif markers.is_heading("related", key, extra_words=3) and \
                len(_text_of(el).split()) <= len(key.split()) + 1:
            max_words = RELATED_BOX_WORDS   # a heading of its own: the list is in its box
        else:
            continue
        box = el
        # climb to the smallest ancestor that holds the link(s) the marker points to
        while box is not None and next(box.iterdescendants("a"), None) is None and box.getparent() is not None:
            box = box.getparent()
        if box is None or box.tag in ("body", "html", "article", "main"):
            continue
        words = len(_text_of(box).split())
        if not 0 < words <= max_words:
            continue
        link_words = sum(len(_text(a).split()) for a in box.iter("a"))
        if link_words >= 0.4 * words:
            doomed.append((box, f"«{key}» over a box of {words} words, {link_words} of them link text"))
    for box, evidence in doomed:
        if box.getparent() is not None and not any(a is not box and _is_ancestor(a, box) for a, _ in doomed):
            pruned.remove(box, "link_box", evidence)


def _prune_next_story(labels, headline: str | None, markers: Markers, pruned: Pruned) -> None:
    """A box headed "المقال التالي" that holds another headline and its text (infinite
    scroll): the next story, whatever an extractor keeps of it. Never a box that holds the
    page's own headline."""
    own = normalize_key(headline or "")
    next_story = set(markers.by_kind["next_story"])
    for el, key in labels:
        if key not in next_story:
            continue
        box = el.getparent()
        while box is not None and box.tag not in ("body", "html"):
            if box.find(".//h1") is not None or box.find(".//h2") is not None or box.find(".//h3") is not None:
                break
            box = box.getparent()
        if box is None or box.tag in ("body", "html") or box.getparent() is None:
            continue
        heads = {normalize_key(_text_of(h)) for h in box.iter("h1", "h2", "h3")}
        if own and own in heads:
            continue
        pruned.remove(box, "next_story", f"«{key}» over another headline")


def _text_of(el) -> str:
    """el.text_content(), serialised as text rather than asked of XPath: the same string
    (tests/test_extract_speed.py), a third cheaper."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def _text(el) -> str:
    """el.text_content(), without its XPath call for an element that holds only text (most
    links: a page has hundreds)."""
    return (el.text or "") if not len(el) else _text_of(el)


def _is_ancestor(ancestor, el) -> bool:
    return any(parent is ancestor for parent in el.iterancestors())


def _drop_keep_tail(el) -> None:
    """Remove an element but keep the text that follows it (its tail)."""
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# --- Scrapy item pipeline -------------------------------------------------------------

class ExtractPipeline:
    """The first cleaning step (it runs in the cleaning pool: pipelines/pool.py)."""

    def __init__(self, prune_xpaths: list[str], markers: Markers):
        self.prune_xpaths = prune_xpaths
        self.markers = markers

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getlist("EXTRACT_PRUNE_XPATHS"), markers_from_settings(crawler.settings))

    def process_item(self, page):
        prune = self.prune_xpaths + list(page.prune_xpaths)
        try:
            result = extract(page.html, page.fetched_url, prune, self.markers)
        except ExtractionError as exc:
            raise NoText(str(exc), page.fetched_url) from exc
        except Exception as exc:  # a hostile page must not stop the crawl: count it, log it
            logger.warning("extraction crashed on %s: %r", page.fetched_url, exc)
            raise ExtractFailed(repr(exc), page.fetched_url) from exc
        page.html = None  # the largest thing we hold; nothing after this needs it
        page.extracted = result
        page.title = result.title
        page.url = canonical_url(result.canonical_url, page.fetched_url)
        return page
