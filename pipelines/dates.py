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
