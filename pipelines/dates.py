"""Publication dates that Arabic pages write out in words: "الثلاثاء 24 حزيران 2025",
"١٢ يوليو ٢٠٢٥", "3 غشت 2025". htmldate reads machine-readable dates well and these badly.

Month names of the three naming systems in use (Egyptian/Gulf transliterations, Levantine
Syriac names, Maghreb French-derived names) are matched on key-normalised text, so hamza,
digits (Eastern Arabic or Persian) and spelling variants all match. Hijri months are not
listed: a Hijri date printed beside the Gregorian one is never taken for it.
"""
from __future__ import annotations

import re
from datetime import date

from lxml import etree

from pipelines.headtags import HeadTags
from pipelines.normalize import normalize_key

MONTHS = {
    1: ["يناير", "كانون الثاني", "جانفي", "ينير"],
    2: ["فبراير", "شباط", "فيفري", "فبراير"],
    3: ["مارس", "آذار", "مارس"],
    4: ["أبريل", "إبريل", "ابريل", "نيسان", "أفريل"],
    5: ["مايو", "أيار", "ماي"],
    6: ["يونيو", "يونيه", "حزيران", "جوان"],
    7: ["يوليو", "يوليه", "تموز", "يوليوز", "جويلية"],
    8: ["أغسطس", "اغسطس", "آب", "غشت", "أوت"],
    9: ["سبتمبر", "أيلول", "شتنبر"],
    10: ["أكتوبر", "اكتوبر", "تشرين الأول"],
    11: ["نوفمبر", "تشرين الثاني", "نونبر"],
    12: ["ديسمبر", "كانون الأول", "دجنبر"],
}
DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}})
_MONTH_OF = {normalize_key(name): number for number, names in MONTHS.items() for name in names}
_NAMES = "|".join(sorted((re.escape(k) for k in _MONTH_OF), key=len, reverse=True))
DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}) (?:من )?({_NAMES}) (?:عام |سنه )?((?:19|20)\d\d)(?!\d)")


def find_arabic_date(text: str) -> str | None:
    """The first day-month-year date written in Arabic words in `text`, as YYYY-MM-DD."""
    for m in DAY_MONTH_YEAR.finditer(normalize_key(text)):
        try:
            return date(int(m.group(3)), _MONTH_OF[m.group(2)], int(m.group(1))).isoformat()
        except ValueError:  # "31 شباط": not a date
            continue
    return None


# --- dates the page states in markup --------------------------------------------------

# Most specific first: a page's own publication date, then dates that usually equal it.
# <meta> attributes that state the date (their content), then any element's datePublished.
META_DATE_ATTRIBUTES = (
    ("property", "article:published_time"), ("name", "article:published_time"), ("itemprop", "datePublished"),
    ("property", "og:published_time"), ("name", "pubdate"), ("name", "publishdate"), ("name", "publish-date"),
    ("name", "publish_date"), ("name", "date"), ("name", "DC.date.issued"), ("name", "dcterms.created"),
    ("name", "sailthru.date"), ("property", "video:release_date"),
)
ITEMPROP_DATE = etree.XPath('//*[@itemprop="datePublished"]/@datetime')
JSONLD_DATE_KEYS = ("datePublished", "dateCreated", "uploadDate")
ISO_DATE = re.compile(r"^\s*((?:19|20)\d\d)-(\d\d)-(\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(Z|[+-]\d\d:?\d\d)?)?")
URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](\d\d)[/-](\d\d)(?:/|[^\d])")


def iso_date(value: str) -> str | None:
    """An ISO 8601 date or date-time as the page wrote it, checked to be a real date;
    None when `value` is not one."""
    m = ISO_DATE.match(value or "")
    if not m:
        return None
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if not m.group(4):
        return day
    zone = m.group(5) or ""
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return f"{day}T{m.group(4)}{zone}"


def markup_date(tree, jsonld: list[dict], url: str | None = None, head: HeadTags | None = None) -> str | None:
    """The publication date the page states for machines: JSON-LD, meta tags, the first
    <time datetime>, the URL. What the page prints in words is `find_arabic_date`'s.
    `head`: the page's HeadTags, when the caller has them."""
    for obj in jsonld:
        for key in JSONLD_DATE_KEYS:
            found = iso_date(obj.get(key)) if isinstance(obj.get(key), str) else None
            if found:
                return found
    head = head or HeadTags(tree)
    for value in head.values("meta", "content", *META_DATE_ATTRIBUTES):
        found = iso_date(value)
        if found:
            return found
    for value in ITEMPROP_DATE(tree):
        found = iso_date(value)
        if found:
            return found
    for value in head.values("time", "datetime"):
        found = iso_date(value)
        if found:
            return found
    m = URL_DATE.search(url or "")
    return iso_date("-".join(m.groups())) if m else None


# Numeric dates as Arab sites print them: year first (2025/05/15) or day first (15/05/2025,
# 15-05-2025, 15.05.2025); Eastern digits are folded by the key normalisation first.
YEAR_FIRST = re.compile(r"(?<!\d)((?:19|20)\d\d)[/.-](\d{1,2})[/.-](\d{1,2})(?!\d)")
DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?!\d)")


def find_numeric_date(text: str) -> str | None:
    """The first numeric date printed in `text`, as YYYY-MM-DD."""
    folded = text.translate(DIGITS)
    found = []
    for pattern, order in ((YEAR_FIRST, (0, 1, 2)), (DAY_FIRST, (2, 1, 0))):
        for m in pattern.finditer(folded):
            year, month, day = (int(m.group(i + 1)) for i in order)
            try:
                found.append((m.start(), date(year, month, day).isoformat()))
                break
            except ValueError:  # "31/02/2025": not a date
                continue
    return min(found)[1] if found else None
