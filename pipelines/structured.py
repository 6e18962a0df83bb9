"""The article as the page's structured data states it: JSON-LD `articleBody`, and the JSON
state blob of script-rendered pages (`__NEXT_DATA__`, `__NUXT__`, `__INITIAL_STATE__`...).

Script-rendered sites send the headline in HTML and the text only in such data; other
sites send both, which lets the data cross-check what the HTML extraction found.
Nothing here trusts element ids or class names: a state blob is recognised by what it
holds (a list of Arabic paragraphs), so a site renaming its scripts changes nothing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import lxml.html

from pipelines.normalize import normalize_key

LIST_KEYS = ("items", "entries", "listitems", "listItems", "blocks", "paragraphs")
NESTED_KEYS = ("model", "props", "attrs", "node")
TEXT_KEYS = ("text", "content", "value", "body", "html", "paragraph", "plain", "data", "children", "c")
SKIP_KEYS = {"related", "relatedarticles", "recommended", "mostread", "popular", "more", "next",
             "previous", "comments", "teaser", "teasers", "recommendations", "sidebar", "menu", "navigation"}
ARABIC = re.compile("[\u0600-\u06ff]")
TAG = re.compile(r"<[a-zA-Z/][^>]*>")
JS_ASSIGNMENT = re.compile(r"^\s*(?:window\.)?[\w$.\[\]\"']+\s*=\s*(\{.*\})\s*;?\s*$", re.S)
MIN_BLOB_CHARS = 200
MAX_BLOB_CHARS = 5_000_000


def paragraphs_of(text: str) -> list[str]:
    """A text or HTML string → paragraphs (blank lines, line breaks or block tags)."""
    if TAG.search(text):
        try:
            fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        except (ValueError, lxml.etree.ParserError):
            fragment = None
        if fragment is not None:
            for br in fragment.iter("br"):
                br.tail = "\n" + (br.tail or "")
            blocks = [b for b in fragment.iter("p", "h2", "h3", "h4", "li", "blockquote") if b.text_content().strip()]
            text = "\n".join(b.text_content() for b in blocks) if blocks else fragment.text_content()
    return [" ".join(p.split()) for p in re.split(r"\n+", text) if p.strip()]


def jsonld_body(jsonld: list[dict]) -> list[str]:
    for obj in jsonld:
        body = obj.get("articleBody") or obj.get("text")
        if isinstance(body, str) and len(body.split()) >= 20:
            return paragraphs_of(body)
    return []


@dataclass
class BlobArticle:
    paragraphs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    standfirst: str | None = None


def state_blob_body(tree) -> list[str]:
    return state_blob_article(tree).paragraphs


def state_blob_article(tree) -> BlobArticle:
    """The longest run of Arabic paragraphs held in a JSON script of the page, and the
    tags of the object that holds it."""
    best = BlobArticle()
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if kind in ("application/ld+json",) or script.get("src"):
            continue
        raw = script.text or ""
        if not MIN_BLOB_CHARS <= len(raw) <= MAX_BLOB_CHARS or not ARABIC.search(raw):
            continue
        data = _load(raw)
        if data is None:
            continue
        found = _best_run(data)
        if _words(found.paragraphs) > _words(best.paragraphs):
            best = found
    return best


def _load(raw: str):
    raw = raw.strip()
    if not raw.startswith("{"):
        m = JS_ASSIGNMENT.match(raw)
        if not m:
            return None
        raw = m.group(1)
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _best_run(data) -> BlobArticle:
    """Walk the JSON; every list is a candidate body (its items' texts in order), and so
    is every long HTML or multi-paragraph string. Lists under keys that name other stories
    (related, most read...) are skipped."""
    best, best_score = BlobArticle(), 0
    stack: list[tuple[object, dict | None]] = [(data, None)]
    while stack:
        node, holder = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if normalize_key(str(key)).replace(" ", "") in SKIP_KEYS:
                    continue
                if isinstance(value, (dict, list)):
                    stack.append((value, node))
                elif isinstance(value, str) and len(value) > 300 and ARABIC.search(value):
                    candidate = paragraphs_of(value)
                    if _prose_words(candidate) > best_score:
                        best, best_score = BlobArticle(candidate, _tags(node), _author(node), _standfirst(node)), _prose_words(candidate)
        elif isinstance(node, list):
            candidate = [t for item in node for t in _item_texts(item)]
            if _prose_words(candidate) > best_score:
                best, best_score = BlobArticle(candidate, _tags(holder), _author(holder), _standfirst(holder)), _prose_words(candidate)
            stack.extend((v, holder) for v in node if isinstance(v, (dict, list)))
    return best


def _tags(holder: dict | None) -> list[str]:
    if not holder:
        return []
    for key in ("tags", "keywords", "topics"):
        value = holder.get(key)
        if isinstance(value, str):
            return [t.strip() for t in re.split(r"[,،]", value) if t.strip()]
        if isinstance(value, list):
            out = []
            for tag in value:
                if isinstance(tag, dict):
                    tag = tag.get("name") or tag.get("title") or tag.get("label")
                if isinstance(tag, str) and tag.strip():
                    out.append(tag.strip())
            if out:
                return out
    return []


def _standfirst(holder: dict | None) -> str | None:
    """The summary the article object carries beside its body: what the page shows under
    the headline once its script has run."""
    if not holder:
        return None
    for key in ("standfirst", "summary", "subtitle", "subheadline", "lead", "excerpt", "dek"):
        value = holder.get(key)
        if isinstance(value, str) and len(value.split()) >= 8 and ARABIC.search(value):
            return " ".join(TAG.sub(" ", value).split())
    return None


def _author(holder: dict | None) -> str | None:
    """The writer named beside the body: "author": "name" or {"name": ...} (or a list)."""
    if not holder:
        return None
    for key in ("author", "authors", "byline", "writer"):
        value = holder.get(key)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, dict):
                entry = entry.get("name") or entry.get("title")
            if isinstance(entry, str) and 1 <= len(entry.split()) <= 6 and ARABIC.search(entry):
                return entry.strip()
    return None


def _item_texts(item) -> list[str]:
    """The paragraphs of one block of a body: a string; the text of a block object; each
    entry of a list block or of a block made of blocks; or the text of a nested model."""
    if isinstance(item, str):
        return [" ".join(TAG.sub(" ", item).split())] if ARABIC.search(item) else []
    if not isinstance(item, dict):
        return []
    for key in TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, str) and ARABIC.search(value):
            return [" ".join(TAG.sub(" ", value).split())]
    for key in LIST_KEYS:
        if isinstance(item.get(key), list):
            return [t for entry in item[key] for t in _item_texts(entry)]
    for key in (*TEXT_KEYS, *NESTED_KEYS):
        value = item.get(key)
        if isinstance(value, (dict, list)):
            inner = value if isinstance(value, list) else [value]
            texts = [t for v in inner for t in _item_texts(v)]
            if texts:
                return [" ".join(texts)] if key in TEXT_KEYS else texts
    return []


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _prose_words(paragraphs: list[str]) -> int:
    """Words in paragraphs that read as prose (8+ words): a list of headlines is not a body."""
    return sum(len(p.split()) for p in paragraphs if len(p.split()) >= 8)


def agrees(paragraph_key: str, body_key: str) -> bool:
    return bool(paragraph_key) and paragraph_key in body_key
