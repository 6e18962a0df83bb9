"""Structured data: the text of script-rendered pages, and articleBody as a cross-check."""
import json

import lxml.html

from pipelines.extract import extract
from pipelines.structured import jsonld_body, paragraphs_of, state_blob_body

PARAS = [
    "أعلنت الهيئة العامة للطرق أمس عن بدء أعمال توسعة الطريق الساحلي بطول أربعين كيلومترا بين المدينتين.",
    "وقال رئيس الهيئة إن المشروع سيستغرق ثمانية عشر شهرا وسيوفر أكثر من ألف فرصة عمل لأبناء المنطقة.",
    "وأضاف أن التوسعة تشمل إنشاء ثلاثة جسور جديدة وأنفاق للمشاة قرب المدارس والأسواق الشعبية.",
    "ويعد الطريق الساحلي من أكثر الطرق ازدحاما في البلاد خاصة في أشهر الصيف وعطلات نهاية الأسبوع.",
]
RELATED = {"title": "عنوان قصة أخرى لا علاقة لها بالمقال", "summary": "ملخص قصة أخرى من الموقع نفسه يظهر في الشريط الجانبي للقراء."}


def shell_page(blob: dict, ld: dict | None = None) -> str:
    ld_script = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>' if ld else ""
    return (f'<html lang="ar"><head><title>توسعة الطريق الساحلي</title>{ld_script}</head><body>'
            f'<header><a href="/">الرئيسية</a></header><h1>توسعة الطريق الساحلي تبدأ الشهر المقبل</h1>'
            f'<div></div><script type="application/json">{json.dumps(blob, ensure_ascii=False)}</script>'
            f"</body></html>")


def test_state_blob_gives_the_body_in_order_without_related_stories():
    blob = {"props": {"pageProps": {"article": {
        "title": "توسعة الطريق الساحلي تبدأ الشهر المقبل",
        "blocks": [{"type": "paragraph", "text": PARAS[0]}, {"type": "heading", "text": "جسور وأنفاق"},
                   *({"type": "paragraph", "text": p} for p in PARAS[1:])],
        "related": [RELATED] * 4}}}}
    tree = lxml.html.fromstring(shell_page(blob))
    assert state_blob_body(tree) == [PARAS[0], "جسور وأنفاق", *PARAS[1:]]
    ex = extract(shell_page(blob), "http://example.com/a")
    assert ex.paragraphs == [PARAS[0], "جسور وأنفاق", *PARAS[1:]]


def test_html_string_in_a_blob_is_split_into_paragraphs():
    html = "".join(f"<p>{p}</p>" for p in PARAS)
    tree = lxml.html.fromstring(shell_page({"data": {"story": {"bodyHtml": html}}}))
    assert state_blob_body(tree) == PARAS


def test_jsonld_article_body_is_a_fallback():
    ld = {"@type": "NewsArticle", "headline": "توسعة", "articleBody": "\n\n".join(PARAS)}
    assert jsonld_body([ld]) == PARAS
    ex = extract(shell_page({}, ld), "http://example.com/a")
    assert ex.paragraphs == PARAS


def test_article_body_cuts_trailing_prose_the_data_lacks():
    more = [f"{p} {p} {p}" for p in PARAS]  # long enough not to need recovery
    bio = "الكاتب صحفي متخصص في شؤون النقل والبنية التحتية وله مؤلفات عديدة في تخطيط المدن الحديثة والطرق."
    ld = {"@type": "NewsArticle", "headline": "توسعة", "articleBody": "\n\n".join(more)}
    page = ("<html><head><script type='application/ld+json'>" + json.dumps(ld, ensure_ascii=False)
            + "</script></head><body><article><h1>توسعة الطريق</h1>"
            + "".join(f"<p>{p}</p>" for p in more) + f"<p>{bio}</p></article></body></html>")
    assert extract(page, "http://example.com/a").paragraphs[-len(more) - 1:] == ["توسعة الطريق", *more]


def test_paragraphs_of_plain_and_html():
    assert paragraphs_of("أ ب\n\nج د\nهـ") == ["أ ب", "ج د", "هـ"]
    assert paragraphs_of("<p>أ ب</p><p>ج<br>د</p>") == ["أ ب", "ج", "د"]


def test_social_posts_are_not_text_but_quotations_are():
    quote = "وقال الوزير في تصريح صحفي إن الحكومة ماضية في تنفيذ خطتها رغم كل الصعوبات التي تواجهها."
    page = ("<html><body><article><h1>عنوان</h1>" + "".join(f"<p>{p}</p>" for p in PARAS)
            + f"<blockquote><p>{quote}</p></blockquote>"
            + '<blockquote><p>منشور على المنصة عن الطريق الساحلي والزحام اليومي</p>— فلان (@someone) '
              '<a href="https://twitter.com/someone/status/1">1 أغسطس 2025</a></blockquote>'
            + "".join(f"<p>{p}</p>" for p in PARAS[:2]) + "</article></body></html>")
    text = " ".join(extract(page, "http://example.com/a").paragraphs)
    assert quote in text and "someone" not in text and "منشور على المنصة" not in text
