from pipelines.boilerplate import clean
from pipelines.normalize import normalize_key

BODY = [
    "استقبل الزعيم الكوري الشمالي كيم جونغ أون، السبت، وزير الخارجية الروسي سيرغي لافروف في مدينة وونسان.",
    "وقالت الوزارة إن لافروف جرى استقباله من قبل كيم جونغ أون، مرفِقة الخبر بمقطع فيديو.",
    "وحذر لافروف الولايات المتحدة وكوريا الجنوبية واليابان من تشكيل شراكة أمنية تستهدف كوريا الشمالية.",
]


def test_seed_layout_tail_is_removed_and_fields_filled():
    paragraphs = BODY + [
        "المصدر: سكاي نيوز عربية",
        "كلمات دلالية: ملفات ملفات كيم جونغ أون كوريا الشمالية",
        "إقرأ أيضاً:",
        "الخارجية الروسية: بوتين والشرع سيناقشان الوجود الروسي في سوريا",
        "قالت وزارة الخارجية الروسية، إن الرئيس فلاديمير بوتين ونظيره السوري أحمد الشرع سيناقشان الوجود الروسي في سوريا.",
        "مقالات مشابهة",
        "وفد روسي يصل إلى كوريا الشمالية لمناقشة قضايا الغابات",
    ]
    out = clean(paragraphs, tag_links=["ملفات", "ملفات", "كيم جونغ أون", "كوريا الشمالية"])
    assert out.paragraphs == BODY
    assert out.source == "سكاي نيوز عربية"
    assert out.keywords == ["ملفات", "ملفات", "كيم جونغ أون", "كوريا الشمالية"]
    assert out.removed["source"] == 1 and out.removed["tags"] >= 1


def test_read_also_heading_then_other_article_is_cut_even_without_tags():
    other_title = "الخارجية الروسية: بوتين والشرع سيناقشان الوجود الروسي في سوريا"
    paragraphs = BODY + ["اقرأ أيضا", other_title,
                         "قالت الخارجية الروسية إن بوتين والشرع سيناقشان الوجود الروسي في سوريا اليوم.",
                         "وأضافت أن الجانبين سيبحثان إعادة هيكلة المنشآت العسكرية."]
    assert clean(paragraphs).paragraphs == BODY


def test_inline_read_also_lines_between_paragraphs_are_removed_and_the_article_continues():
    paragraphs = [BODY[0], "اقرأ أيضًا: الحكومة تعلن خطة جديدة للنقل", BODY[1],
                  "طالع أيضا", "الأهلي يفوز على الزمالك في القمة", BODY[2]]
    assert clean(paragraphs).paragraphs == BODY


def test_plain_text_tags_line_is_split_on_commas():
    out = clean(BODY + ["كلمات البحث: الكويت، الطاقة الشمسية، الشقايا"])
    assert out.keywords == ["الكويت", "الطاقة الشمسية", "الشقايا"]
    assert out.paragraphs == BODY


def test_tags_heading_followed_by_one_tag_per_line():
    out = clean(BODY + ["الوسوم", "روسيا", "كوريا الشمالية"])
    assert out.keywords == ["روسيا", "كوريا الشمالية"]
    assert out.paragraphs == BODY


def test_promo_line_and_repeated_paragraph_and_headline_are_removed():
    title = "كيم يستقبل لافروف"
    out = clean([title, BODY[0], BODY[0], BODY[1], "تابعوا آخر الأخبار عبر تطبيقنا على هواتفكم.", BODY[2]], title=title)
    assert out.paragraphs == BODY
    assert out.removed == {"title": 1, "repeated": 1, "promo": 1}


def test_prose_that_starts_like_a_marker_is_kept():
    prose = "المصدر الأمني قال إن التحقيقات مستمرة في الحادث الذي وقع مساء أمس قرب الحدود الشمالية للبلاد."
    related_prose = "الأكثر قراءة بين الكتب هذا العام روايات الخيال العلمي كما تقول أرقام المعرض الأخيرة."
    assert clean([prose, related_prose]).paragraphs == [prose, related_prose]


def test_related_heading_ends_the_article():
    out = clean(BODY + ["أخبار ذات صلة", "عنوان أول", "عنوان ثان"])
    assert out.paragraphs == BODY
    assert out.removed["related"] == 3


def test_comment_area_ends_the_article():
    out = clean(BODY + ["التعليقات", "تعليق من قارئ يقول إن الخبر مهم جدا."])
    assert out.paragraphs == BODY


def test_byline_and_dateline_lines_are_removed_and_the_byline_kept_apart():
    out = clean(["الثلاثاء 24 حزيران 2025 | عدد القراءات: 1520", "كتب: سعاد الرشيدي", *BODY])
    assert out.paragraphs == BODY
    assert out.byline == "كتب: سعاد الرشيدي"


def test_clean_author_strips_the_label():
    from pipelines.boilerplate import clean_author
    assert clean_author("كتب: أميرة حسن") == "أميرة حسن"
    assert clean_author("بقلم جورج حداد") == "جورج حداد"
    assert clean_author("أميرة حسن") == "أميرة حسن"
    assert clean_author("") is None


def test_standfirst_printed_outside_the_body_is_added_once():
    standfirst = "قوافل المساعدات تصل إلى شمال دارفور بعد أسابيع من الانتظار وسط تحذيرات من المجاعة."
    assert clean(BODY, standfirst=standfirst).paragraphs == [standfirst, *BODY]
    assert clean([standfirst, *BODY], standfirst=standfirst).paragraphs == [standfirst, *BODY]


def test_source_line_found_outside_the_body():
    assert clean(BODY, source_line="المصدر : وكالات").source == "وكالات"


def test_prose_starting_like_a_tags_label_is_not_a_tags_line():
    prose = "العلامات الحيوية للمريض كانت مستقرة عند وصوله إلى المستشفى بحسب ما قاله الأطباء المعالجون."
    out = clean([BODY[0], prose, BODY[1]], tag_links=["الصحة"])
    assert out.paragraphs == [BODY[0], prose, BODY[1]] and out.keywords == ["الصحة"]


LONG = [p + " " + p for p in BODY]


def test_a_line_that_is_one_link_is_not_text():
    story = "وفد روسي يصل إلى كوريا الشمالية لمناقشة قضايا الغابات"
    out = clean([LONG[0], story, *LONG[1:]], link_keys=frozenset({normalize_key(story)}))
    assert out.paragraphs == LONG and out.removed["link_line"] == 1


def test_appended_next_article_is_cut_at_its_headline_and_dateline():
    nxt = ["افتتاح معرض الكتاب في الرباط بمشاركة خمسين دولة", "الأحد 3 غشت 2025 - 10:30",
           "افتتح وزير الثقافة صباح الأحد الدورة الجديدة من معرض الكتاب في الرباط بمشاركة ناشرين من خمسين دولة عربية وأجنبية."]
    out = clean(LONG + nxt)
    assert out.paragraphs == LONG and out.removed["next_article"] == 3


def test_subheading_followed_by_prose_stays():
    sub = "ردود الفعل في المنطقة"
    out = clean([LONG[0], sub, *LONG[1:]])
    assert out.paragraphs == [LONG[0], sub, *LONG[1:]]


def test_notice_late_in_the_text_ends_it_and_early_only_goes():
    notice = "المقال يعبر عن رأي كاتبه ولا يعبر بالضرورة عن رأي الموقع."
    comment = "مقال رائع ويعبر عن واقعنا اليومي، شكرا للكاتب على هذا الطرح الجريء والصادق في زمن صعب."
    out = clean(LONG + [notice, comment])
    assert out.paragraphs == LONG and out.removed["notice"] == 2
    out = clean([notice, *LONG])
    assert out.paragraphs == LONG and out.removed["notice"] == 1


def test_a_subheading_that_starts_like_a_related_heading_stays():
    sub = "المزيد من الإجراءات المنتظرة"
    out = clean([LONG[0], sub, *LONG[1:]])
    assert out.paragraphs == [LONG[0], sub, *LONG[1:]]
    out = clean([*LONG, "المزيد من أخبار الرياضة", "فوز كبير للفريق في المباراة النهائية"])
    assert out.paragraphs == LONG


def test_labelled_link_lines_and_trailing_buttons_go():
    story = "وفد روسي يصل إلى كوريا الشمالية لمناقشة قضايا الغابات"
    out = clean([LONG[0], "ذات صلة: " + story, *LONG[1:], "شارك المقال", "واتساب"],
                link_keys=frozenset({normalize_key(story)}))
    assert out.paragraphs == LONG


def test_a_dateline_glued_to_the_first_sentence_goes_and_prose_dashes_stay():
    first = LONG[0]
    for dateline in ("طوباس 20-2-2024 نبأ- ", "دمشق - خاص | ", "القاهرة - "):
        assert clean([dateline + first, *LONG[1:]]).paragraphs == LONG
    prose = "وقال الوزير إن الخطة - التي أقرت أمس - ستنفذ على مراحل خلال العامين المقبلين في جميع المحافظات دون استثناء."
    assert clean([prose, *LONG]).paragraphs == [prose, *LONG]
