"""The page cases the text-quality issue lists, each on at least one fixture page.

Every row names a page, a piece of its markup that proves the case is really there (so a
change to a template cannot quietly remove it), and what must come out: the golden text,
plus a check of the case itself. test_golden.py compares every field of every page.
"""
import json
import re

import pytest

from conftest import FIXTURES

GOLDEN = FIXTURES / "golden"


def golden(path: str) -> dict:
    return json.loads((GOLDEN / (path.lstrip("/").rsplit(".", 1)[0] + ".json")).read_text(encoding="utf-8"))


def page_text(path: str) -> str:
    raw = (FIXTURES / "site" / path.lstrip("/")).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1256")


def paragraphs(doc: dict) -> list[str]:
    return doc["text"].split("\n\n")


# (case, page, markup that must be on the page)
CASES = [
    ("01 read-also lines between paragraphs", "/portal/culture/009-aswan-sculpture-symposium.html", r"أيضا"),
    ("01 read-also lines, AMP spellings", "/amp/iraq/043-mosul-new-tigris-bridge.html", r"طالع أيضاً|اقرأ ايضاً"),
    ("02 read-more card in the body", "/broadcaster/culture/020-doha-arabic-calligraphy-exhibition.html", r'class="read-more"'),
    ("03 whole other article after read-also", "/aggregator/world/000-seed-lavrov-kim.html", r"إقرأ أيضاً"),
    ("04 tags: كلمات دلالية", "/aggregator/world/000-seed-lavrov-kim.html", r"كلمات دلالية"),
    ("04 tags: الكلمات الدالة", "/portal/culture/009-aswan-sculpture-symposium.html", r"الكلمات الدالة"),
    ("04 tags: الوسوم", "/broadcaster/culture/020-doha-arabic-calligraphy-exhibition.html", r"الوسوم"),
    ("04 tags: كلمات البحث as text", "/gulfdaily/economy/021-kuwait-shagaya-solar-tender.html", r"كلمات البحث"),
    ("04 tags: Tags line", "/maghreb/society/061-essaouira-argan-cooperatives-drought.htm", r"Tags:"),
    ("05 comments, rules notice, form", "/opinion/opinion/055-cities-without-sidewalks-column.html", r"<textarea"),
    ("06 embedded post, caption, byline", "/blocks/world/053-indonesia-flores-volcano-evacuation.html", r"twitter-tweet"),
    ("06 reading-time widget", "/paged/science/051-empty-quarter-ancient-lakes.html", r"وقت القراءة"),
    ("07 most read, suggested stories", "/broadcaster/culture/020-doha-arabic-calligraphy-exhibition.html", r"قصص مقترحة"),
    ("07 app promo and follow us", "/amp/iraq/043-mosul-new-tigris-bridge.html", r"حمّل تطبيق|تابعونا"),
    ("08 <br><br> paragraphs", "/gulfdaily/economy/021-kuwait-shagaya-solar-tender.html", r"<br><br>"),
    ("08 data-component blocks, subheadings", "/blocks/world/053-indonesia-flores-volcano-evacuation.html",
     r'data-component="subheadline-block"'),
    ("09 lead repeated above the body", "/live/world/057-izmir-wildfires-evacuations-live.html", r"<time"),
    ("10 AMP page", "/amp/iraq/043-mosul-new-tigris-bridge.html", r"<html ⚡"),
    ("10 AMP page (amp attribute)", "/amp/tech/044-somalia-digital-national-id.html", r"<html amp"),
    ("11 legacy windows-1256 tables", "/legacy/show_news_029.htm", r"windows-1256"),
    ("11 wrong charset label", "/maghreb/society/061-essaouira-argan-cooperatives-drought.htm", r"charset=windows-1252"),
    ("12 JSON-LD articleBody", "/broadcaster/culture/020-doha-arabic-calligraphy-exhibition.html", r"articleBody"),
    ("14 next article appended, with a marker", "/scroll/economy/059-bahrain-lithium-battery-recycling-plant.html", r"المقال التالي"),
    ("14 next article appended, no marker", "/scroll/agriculture/060-halabja-pomegranate-harvest.html", r"<h1"),
    ("15 text only in a JSON state blob", "/appshell/economy/046-yemen-coffee-exports-rise.html", r"__NEXT_DATA__"),
    ("15 JSON state blob and JSON-LD", "/appshell/environment/045-bahrain-pearl-beds-restoration.html", r"__NEXT_DATA__"),
    ("16 opinion column", "/opinion/opinion/056-neighbourhood-library-closed-column.html", r"مقالات أخرى للكاتب"),
    ("17 updates, bullets, quotes, English", "/live/world/057-izmir-wildfires-evacuations-live.html", r"<blockquote"),
    ("18 paginated article", "/paged/climate/052-uae-cloud-seeding-two-decades.html", r"\?page=2"),
    ("18 print version", "/print/agriculture/049-sudan-gezira-cotton-season.html", r"window\.print"),
    ("18 video page", "/video/culture/047-tassili-rock-art-drone-survey.html", r"video\.other"),
]


@pytest.mark.parametrize("case, path, markup", CASES, ids=[c[0] for c in CASES])
def test_case_page_comes_out_right(cleaned, case, path, markup):
    assert re.search(markup, page_text(path)), f"{path} no longer shows case {case}"
    want, doc = golden(path), cleaned.get(path)
    assert doc is not None, f"{path} was dropped"
    assert doc["text"] == want["text"]
    assert doc["keywords"] == want["keywords"] and doc["title"] == want["title"]
    for boilerplate in want["must_not"]:
        assert boilerplate not in doc["text"]


def test_13_listing_pages_are_dropped(cleaned):
    listings = [p.relative_to(FIXTURES / "site") for p in (FIXTURES / "site").rglob("index.html")]
    assert len(listings) >= 30
    for page in listings:
        assert "/" + str(page) not in cleaned


def test_04_tags_go_to_keywords_not_text(cleaned):
    for path in ("/aggregator/world/000-seed-lavrov-kim.html", "/maghreb/society/061-essaouira-argan-cooperatives-drought.htm",
                 "/paged/science/051-empty-quarter-ancient-lakes.html"):
        doc = cleaned[path]
        assert doc["keywords"], path
        assert not any(p in doc["keywords"] for p in paragraphs(doc))


def test_08_subheadings_are_text(cleaned):
    doc = cleaned["/blocks/world/053-indonesia-flores-volcano-evacuation.html"]
    assert "رحلات ملغاة ومدارس مغلقة" in paragraphs(doc)


def test_09_repeated_lead_is_kept_once(cleaned):
    doc = cleaned["/live/world/057-izmir-wildfires-evacuations-live.html"]
    lead = paragraphs(doc)[0]
    assert page_text("/live/world/057-izmir-wildfires-evacuations-live.html").count(lead) == 2
    assert doc["text"].count(lead) == 1


def test_17_updates_quotes_lists_and_a_foreign_paragraph_are_text(cleaned):
    text = paragraphs(cleaned["/live/world/057-izmir-wildfires-evacuations-live.html"])
    assert sum(p.startswith("(تحديث") for p in text) >= 3
    assert any(p.startswith('"The European Union') for p in text)
    assert "حظر دخول الغابات والمتنزهات في الولاية حتى منتصف أغسطس المقبل" in text


def test_18_paginated_page_is_its_own_part(cleaned):
    path = "/paged/climate/052-uae-cloud-seeding-two-decades.html"
    assert cleaned[path]["text"] == golden(path)["text"]
    assert "يتبع في الصفحة التالية" not in cleaned[path]["text"]


def test_18_video_description_is_the_article(cleaned):
    doc = cleaned["/video/environment/048-djibouti-whale-sharks-tadjoura.html"]
    assert 30 <= doc["word_count"] <= 80


def test_11_wrong_label_decoded_by_evidence(cleaned):
    doc = cleaned["/maghreb/society/061-essaouira-argan-cooperatives-drought.htm"]
    assert doc["title"] == golden("/maghreb/society/061-essaouira-argan-cooperatives-drought.htm")["title"]
    assert not re.search("[À-ÿ]", doc["text"])


def test_dates_written_in_words_are_read(cleaned):
    # No machine-readable date on these pages: Maghreb months beside a Hijri date, and
    # Eastern Arabic digits with a weekday.
    for path in ("/maghreb/society/061-essaouira-argan-cooperatives-drought.htm",
                 "/blocks/world/053-indonesia-flores-volcano-evacuation.html"):
        assert "datePublished" not in page_text(path) and "published_time" not in page_text(path)
        assert cleaned[path]["published"] == golden(path)["published"][:10]
