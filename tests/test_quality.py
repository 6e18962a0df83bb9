from pipelines.quality import QualityConfig, has_article_evidence, keep_article

PROSE = ("وقال المتحدث باسم الوزارة إن الخطة الجديدة تشمل إنشاء محطات إضافية وتوسيع الشبكة لتغطية المناطق "
         "الريفية خلال السنوات الثلاث المقبلة، مشيرا إلى أن التمويل متوفر.")


def test_an_article_is_kept():
    assert keep_article([PROSE] * 3, frozenset(), QualityConfig(), title="الوزارة تعلن خطة جديدة للنقل")[0]


def test_too_short():
    assert keep_article([PROSE[:50]], frozenset(), QualityConfig())[1] == "too_short"


def test_headline_cards_are_not_an_article():
    cards = []
    for i in range(8):
        cards += [f"عنوان خبر رقم {i} عن موضوع مختلف تماما", PROSE]
    from pipelines.normalize import normalize_key
    linked = frozenset(normalize_key(c) for c in cards[::2])
    keep, reason, _ = keep_article(cards, linked, QualityConfig(), evidence=False)
    assert (keep, reason) == (False, "not_article")
    # unlinked short lines are subheadings or captions, not the cards of a listing
    assert keep_article(cards, frozenset(), QualityConfig())[0]


def test_link_texts_are_not_an_article():
    from pipelines.normalize import normalize_key
    keep, reason, detail = keep_article([PROSE] * 3, frozenset({normalize_key(PROSE)}), QualityConfig())
    assert (keep, reason) == (False, "not_article") and "link" in detail


def test_directory_of_sites_is_not_an_article():
    entries = [f"موقع {i} - {PROSE}" for i in range(10)]
    assert keep_article(entries, frozenset(), QualityConfig())[1] == "not_article"


def test_pages_without_article_metadata_need_a_headline_and_more_text():
    assert keep_article([PROSE] * 3, frozenset(), QualityConfig(), title="عقارات", evidence=False)[1] in ("not_article", "too_short")
    assert not has_article_evidence(False, "2013-01-01") and has_article_evidence(False, "2013-05-12")
    assert has_article_evidence(True, None)


def test_card_summaries_that_end_no_sentence_are_not_an_article():
    from pipelines.quality import QualityConfig, keep_article
    cards = ["عزت وزارة الاقتصاد المراجعة إلى تباطؤ الطلب الخارجي وتراجع الصادرات الصناعية في الربع الثالث",
             "أستاذ الاقتصاد بالجامعة يقترح حصة ملزمة للمقاولات الصغرى في الصفقات العمومية الكبرى",
             "مجلس البنك المركزي يرى أن التضخم يتجه نحو الاستقرار في حدود اثنين في المئة العام المقبل"]
    keep, reason, _ = keep_article(cards, frozenset(), QualityConfig(min_words=10))
    assert (keep, reason) == (False, "not_article")
    sentences = [c + "." for c in cards]
    assert keep_article(sentences, frozenset(), QualityConfig(min_words=10))[0]
