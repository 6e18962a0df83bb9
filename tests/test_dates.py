import pytest

import lxml.html

from pipelines.dates import find_arabic_date, find_numeric_date, markup_date


@pytest.mark.parametrize("text, expected", [
    ("الثلاثاء 24 حزيران 2025 | عدد القراءات: 1520", "2025-06-24"),   # Levantine month names
    ("السبت ١٢ يوليو ٢٠٢٥ - ١٠:٣٠ ص", "2025-07-12"),                  # Eastern Arabic digits
    ("نشر في 3 غشت 2025", "2025-08-03"),                              # Maghreb month names
    ("الجمعة 14 جوان 2024", "2024-06-14"),                            # Algerian month names
    ("5 تشرين الأول 2024 الموافق 2 ربيع الآخر 1446 هـ", "2024-10-05"),  # Hijri beside Gregorian
    ("1 من إبريل عام 2025", "2025-04-01"),
    ("31 شباط 2025، ثم 1 آذار 2025", "2025-03-01"),                   # an impossible date is skipped
    ("العدد 2025 من المجلة", None),
])
def test_arabic_dates(text, expected):
    assert find_arabic_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("الموافق 19 صفر 1447 هـ - الأربعاء 13 غشت 2025", "2025-08-13"),   # Hijri first: still the Gregorian
    ("۱۲ نونبر ۲۰۲۴", "2024-11-12"),                                  # Persian digits, Maghreb month
    ("الخميس، 4 دجنبر 2025 - 09:15", "2025-12-04"),
])
def test_more_arabic_dates(text, expected):
    assert find_arabic_date(text) == expected


def _tree(head: str, body: str = ""):
    return lxml.html.fromstring(f"<html><head>{head}</head><body>{body}<p>نص</p></body></html>")


@pytest.mark.parametrize("head, body, jsonld, url, expected", [
    ('<meta property="article:published_time" content="2025-06-14T09:30:00+0300">', "", [], None,
     "2025-06-14T09:30:00+03:00"),
    ("", "", [{"@type": "NewsArticle", "datePublished": "2025-02-01T08:00:00Z"}], None, "2025-02-01T08:00:00Z"),
    ("", "", [{"@type": "VideoObject", "uploadDate": "2025-03-05"}], None, "2025-03-05"),
    # a relative time printed for readers, with the machine-readable time beside it
    ("", '<time datetime="2025-07-01T16:45:00+04:00">منذ ساعتين</time>', [], None, "2025-07-01T16:45:00+04:00"),
    ("", "", [], "https://example.com/news/2024/12/30/story-slug", "2024-12-30"),
    ('<meta name="date" content="not a date">', "", [], None, None),
    ('<meta name="date" content="2025-02-30">', "", [], None, None),
])
def test_markup_dates(head, body, jsonld, url, expected):
    assert markup_date(_tree(head, body), jsonld, url) == expected


@pytest.mark.parametrize("text, expected", [
    ("الخميس 2025/05/15 - 13:05", "2025-05-15"),
    ("نشر بتاريخ 15/05/2025", "2025-05-15"),
    ("١٥-٠٥-٢٠٢٥", "2025-05-15"),
    ("الرقم 45/2025", None),
    ("31/02/2025 ثم 01/03/2025", "2025-03-01"),
])
def test_numeric_dates(text, expected):
    assert find_numeric_date(text) == expected
