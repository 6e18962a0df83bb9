"""Arabic text normalisation, at two levels kept apart (docs/document.md).

`normalize_text` is what readers see: faithful, only invisible and presentational
differences removed. `normalize_key` is for matching (duplicates, boilerplate markers)
and is never shown. Both tables live here and nowhere else.
"""
from __future__ import annotations

import re
from functools import lru_cache
import unicodedata

# Persian/Urdu letter shapes that careless Arabic editors type; in Arabic text they are
# the Arabic letters. Only these two: the others (پ چ ژ گ) are different letters.
PERSIAN_TO_ARABIC = str.maketrans({"ک": "ك", "ی": "ي"})

TATWEEL = "\u0640"
INVISIBLE = re.compile("[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff" + TATWEEL + "]")
# Every Unicode space separator and tab become one plain space; newlines are layout.
SPACES = re.compile(r"[^\S\n]+")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_PRESENTATION_FORM = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")


def _presentation_forms_to_base(text: str) -> str:
    """NFKC only the Arabic presentation-form blocks; NFKC elsewhere would fold
    digits, ligatures and compatibility characters the reader should keep."""
    if not _PRESENTATION_FORM.search(text):
        return text   # nearly every paragraph: no substitution to set up
    def fold(m: re.Match[str]) -> str:
        return unicodedata.normalize("NFKC", m.group(0))
    return _PRESENTATION_FORMS.sub(fold, text)


def normalize_line(text: str, arabic: bool = True) -> str:
    """One paragraph or title: no line breaks, single spaces, no invisibles."""
    text = unicodedata.normalize("NFC", text)
    text = _presentation_forms_to_base(text)
    if arabic:
        # two str.replace passes: str.translate looks every character up in its table
        for persian, arabic_letter in PERSIAN_TO_ARABIC.items():
            text = text.replace(chr(persian), arabic_letter)
    text = INVISIBLE.sub("", text)
    text = SPACES.sub(" ", text.replace("\n", " "))
    return text.strip()


def normalize_paragraphs(paragraphs: list[str], arabic: bool = True) -> list[str]:
    out = []
    for p in paragraphs:
        p = normalize_line(p, arabic)
        if p:
            out.append(p)
    return out


def normalize_text(text: str, arabic: bool = True) -> str:
    """A whole body: paragraphs separated by exactly one blank line."""
    return "\n\n".join(normalize_paragraphs(PARAGRAPH_BREAK.split(text), arabic))


# --- key normalisation: matching only ---------------------------------------------

KEY_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
})
NON_WORD = re.compile(r"[\W_]+")


# normalize_line's character work and the key folding in one str.translate pass: keys are
# computed for every anchor and label of a page, so they must be cheap.
_KEY_TABLE = {
    **KEY_FOLD, **PERSIAN_TO_ARABIC,
    **{c: None for c in range(0x0610, 0x061B)}, **{c: None for c in range(0x064B, 0x0660)},
    0x0670: None, **{c: None for c in range(0x06D6, 0x06EE)},
    **{ord(c): None for c in "\u00ad\u061c\ufeff" + TATWEEL},
    **{c: None for c in range(0x200B, 0x2010)}, **{c: None for c in range(0x202A, 0x202F)},
    **{c: None for c in range(0x2066, 0x206A)},
}

# _KEY_TABLE applied as one regular-expression pass for the deletions and a str.replace per
# folded letter (the digits only when there are some): str.translate looks every character
# up in the table, five times slower on Arabic text, and keys are made for hundreds of
# strings a page.
_KEY_DELETED = re.compile("[" + "".join(re.escape(chr(c)) for c, v in _KEY_TABLE.items() if v is None) + "]")
_KEY_LETTERS = [(chr(c), v) for c, v in _KEY_TABLE.items() if v is not None and not v.isdigit()]
_KEY_DIGITS = [(chr(c), v) for c, v in _KEY_TABLE.items() if v is not None and v.isdigit()]
_FOREIGN_DIGIT = re.compile("[" + "".join(a for a, _ in _KEY_DIGITS) + "]")


def _fold_key_characters(text: str) -> str:
    """text.translate(_KEY_TABLE), faster."""
    text = _KEY_DELETED.sub("", text)
    for letter, folded in _KEY_LETTERS:
        text = text.replace(letter, folded)
    if _FOREIGN_DIGIT.search(text):
        for digit, ascii_digit in _KEY_DIGITS:
            text = text.replace(digit, ascii_digit)
    return text


def normalize_key(text: str) -> str:
    """Text normalisation plus diacritics, letter variants, digits and punctuation folded:
    two spellings of one word give one key."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _PRESENTATION_FORM.search(text):
            text = _presentation_forms_to_base(text)
        text = _fold_key_characters(text)
    return NON_WORD.sub(" ", text.casefold()).strip()


@lru_cache(maxsize=1 << 16)
def _short_key(text: str) -> str:
    return normalize_key(text)


@lru_cache(maxsize=1 << 11)
def _long_key(text: str) -> str:
    return normalize_key(text)


def remembered_key(text: str) -> str:
    """normalize_key, remembered per process: the short strings a site repeats on every page
    (menu and footer links, labels; the last 65,536), and the paragraphs of the pages at
    hand, whose keys extraction, boilerplate and quality each need (the last 2,048)."""
    return _short_key(text) if len(text) <= 120 else _long_key(text)


STOPWORDS = frozenset(normalize_key(w) for w in (
    "في من على إلى عن مع أن إن التي الذي الذين هذا هذه ذلك تلك كان قد لا ما هو هي و أو ثم بعد قبل "
    "بين حول كما وقال قال أنه إنه عند منذ خلال حتى لم لن كل أي غير").split())
_PREFIX = re.compile(r"^(وال|بال|فال|كال|لل|ال|و|ب|ف|ل)(?=\w{3,})")
_SUFFIX = re.compile(r"(ات|ين|ون|ها|هم|يه|ه|ي)$")


def content_stems(key: str) -> set[str]:
    """Rough stems of the content words of a key-normalised text: attached conjunctions,
    prepositions and the article stripped, common suffixes cut. Enough to tell whether two
    passages talk about the same things; not a linguistic stemmer."""
    out = set()
    for w in key.split():
        if w in STOPWORDS or len(w) < 3:
            continue
        w = _PREFIX.sub("", w)
        if len(w) > 4:
            w = _SUFFIX.sub("", w)
        if len(w) >= 3:
            out.add(w)
    return out


# --- script evidence ----------------------------------------------------------------

ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
# Letters that Arabic does not use but Persian, Urdu or Pashto do.
NON_ARABIC_LETTERS = re.compile("[پچژگٹڈڑںےۀہھٔټځڅډړږښګڼۍې]")
LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


def arabic_script_share(text: str) -> float:
    """Share of letters that are Arabic-script (of Arabic and Latin letters)."""
    arabic = len(ARABIC_LETTER.findall(text))
    latin = len(LATIN_LETTER.findall(text))
    return arabic / (arabic + latin) if arabic + latin else 0.0


def non_arabic_letter_rate(text: str) -> float:
    """Persian/Urdu/Pashto-only letters per Arabic-script letter."""
    arabic = len(ARABIC_LETTER.findall(text))
    return len(NON_ARABIC_LETTERS.findall(text)) / arabic if arabic else 0.0


# Persian/Urdu/Pashto text has several of these letters per hundred; Arabic prose that
# quotes a foreign name has a handful per thousand at most.
NON_ARABIC_LETTER_RATE = 0.004


def is_other_arabic_script_language(text: str) -> bool:
    """Written in Persian, Urdu, Pashto... rather than Arabic, by its letters alone.
    Such text keeps its own letter shapes: ک and ی are folded only in Arabic."""
    return non_arabic_letter_rate(text) >= NON_ARABIC_LETTER_RATE


def unique_by_key(values: list[str]) -> list[str]:
    """First occurrence of each value, comparing key-normalised forms."""
    seen: set[str] = set()
    out = []
    for v in values:
        k = normalize_key(v)
        if k and k not in seen:
            seen.add(k)
            out.append(v)
    return out


# --- Scrapy item pipeline -------------------------------------------------------------

class NormalizePipeline:
    def process_item(self, page):
        arabic = not is_other_arabic_script_language(" ".join(page.paragraphs[:20]))
        page.paragraphs = normalize_paragraphs(page.paragraphs, arabic)
        page.title = normalize_line(page.title, arabic) if page.title else page.title
        # "#وسم" and "#وسم_مركب" are hashtags of the tag "وسم مركب"
        tags = [k.lstrip("#＃").replace("_", " ") if k.lstrip().startswith(("#", "＃")) else k for k in page.keywords]
        page.keywords = unique_by_key(normalize_paragraphs(tags, arabic))
        page.source = normalize_line(page.source, arabic) or None if page.source else None
        page.author = normalize_line(page.author, arabic) or None if page.author else None
        return page
