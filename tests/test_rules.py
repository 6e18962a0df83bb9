"""Each cleaning rule of pipelines/rules.py on its own: the block it removes, and the prose
that only looks like it, which stays. A phrase never removes prose by itself."""
from pipelines.boilerplate import clean
from pipelines.normalize import normalize_key

# Article prose: long paragraphs that end like sentences.
ART = [
    "أعلنت وزارة الزراعة أمس خطة جديدة لدعم مزارعي القمح في المحافظات الشمالية بعد موسم جاف قلّ فيه المطر عن معدله بكثير.",
    "وقال وزير الزراعة في مؤتمر صحفي إن الخطة تشمل قروضا ميسرة للمزارعين وتوزيع بذور محسنة تتحمل الجفاف على آلاف الأسر الريفية.",
    "وأضاف أن الوزارة ستتابع تنفيذ الخطة مع مديريات الزراعة في المحافظات، وأن النتائج الأولى للقمح ستظهر في الموسم المقبل بإذن الله.",
    "ويرى خبراء أن دعم مزارعي القمح في المحافظات الشمالية ضروري للحفاظ على الأمن الغذائي بعد تراجع الإنتاج في السنوات الأخيرة.",
]


def kept(paragraphs, **kw):
    return clean(paragraphs, **kw).paragraphs


def rules_of(paragraphs, **kw):
    return [(d.text, d.rule) for d in clean(paragraphs, **kw).decisions]


def test_every_paragraph_has_a_decision_with_evidence_for_removals():
    out = clean([*ART, "أخبار ذات صلة", "عنوان أول عن المطر", "عنوان ثان عن القمح"])
    assert [d.text for d in out.decisions] == [*ART, "أخبار ذات صلة", "عنوان أول عن المطر", "عنوان ثان عن القمح"]
    assert [d.rule for d in out.decisions] == [None] * 4 + ["related"] * 3
    assert all(d.evidence for d in out.decisions if d.rule)


def test_notice_after_the_article_goes_with_what_follows_it():
    notice = "الآراء الواردة أدناه لا تعبر بالضرورة عن رأي الشبكة."
    comment = "تعليق قصير من قارئ."
    assert kept([*ART, notice, comment]) == ART


def test_notice_words_quoted_inside_the_article_keep_the_article():
    quoted = ("وأشار التقرير إلى أن الآراء الواردة في التقرير لا تعبر بالضرورة عن موقف الحكومة، لكنه "
              "دعا إلى مراجعة شاملة لسياسات المياه خلال العامين المقبلين في كل المحافظات.")
    assert kept([ART[0], quoted, *ART[1:]]) == [ART[0], quoted, *ART[1:]]


def test_caption_words_in_prose_stay_and_a_short_caption_goes():
    prose = "وقال المصور الذي رافق البعثة إن تصوير المواقع الأثرية استغرق ثلاثة أيام بسبب الرياح القوية."
    assert kept([ART[0], prose, ART[1]]) == [ART[0], prose, ART[1]]
    assert kept([ART[0], "وزير الزراعة خلال المؤتمر (أرشيف)", ART[1]]) == ART[:2]


def test_newsletter_words_in_a_sentence_stay():
    prose = ("وأوضحت الوزارة أنها ستنشر أسعار القمح في النشرة الإخبارية الأسبوعية التي تصدرها كل يوم "
             "خميس، حتى يطلع المزارعون على السوق.")
    assert kept([ART[0], prose, ART[1]]) == [ART[0], prose, ART[1]]


def test_a_subheading_over_a_report_line_is_not_another_article():
    paragraphs = [*ART[:2], "تحديات الموسم", "تقرير: فريق الأخبار الزراعية", *ART[2:]]
    assert ART[2] in kept(paragraphs) and ART[3] in kept(paragraphs)


def test_label_rows_of_a_byline_box_go():
    paragraphs = ["Author, سارة الحسيني", "Role, مراسلة الشبكة في بغداد", *ART]
    assert kept(paragraphs) == ART
    assert ("Author, سارة الحسيني", "label_row") in rules_of(paragraphs)


def test_a_sentence_with_a_comma_after_its_first_word_is_not_a_label_row():
    prose = "غدا، يبدأ المزارعون حصاد القمح في المحافظات الشمالية بعد تأخر الموسم بسبب الجفاف الطويل."
    assert kept([ART[0], prose, ART[1]]) == [ART[0], prose, ART[1]]


def test_runs_of_button_lines_go_and_a_lone_subheading_stays():
    assert kept([*ART[:2], "Telegram", "WhatsApp", "نسخ الرابط", *ART[2:]]) == ART
    assert kept([*ART[:2], "خلفية", *ART[2:]]) == [*ART[:2], "خلفية", *ART[2:]]


def test_a_bare_label_goes_but_a_line_that_introduces_a_quote_stays():
    assert kept([*ART[:2], "الموضوع:", "مقالات", *ART[2:]])[:2] == ART[:2]
    assert "الموضوع:" not in kept([*ART[:2], "الموضوع:", "مقالات", *ART[2:]])
    assert "وأضاف الوزير:" in kept([*ART[:2], "وأضاف الوزير:", *ART[2:]])


def test_lines_with_no_arabic_word_go_in_arabic_text():
    assert kept([*ART[:2], "Other available languages: EN FR DE", "REF: MOA/PR/2026/11", *ART[2:]]) == ART


def test_an_english_page_is_not_emptied_by_the_foreign_line_rule():
    english = ["The ministry announced a plan.", "It covers wheat farmers in the north."]
    assert kept(english) == english


def test_language_switcher_in_arabic_letters_goes():
    assert kept([*ART[:2], "اللغات المتاحة: EN FR DE TR", *ART[2:]]) == ART


def test_a_box_closed_by_a_label_naming_its_opening_line_goes():
    box = ["تجاوز البودكاست وواصل القراءة", "شرح معمق لقصة بارزة من أخبارنا، لمساعدتك على فهم ما يجري",
           "الحلقات", "البودكاست نهاية"]
    assert kept([*ART[:2], *box, *ART[2:]]) == ART


def test_a_subheading_with_the_closing_word_is_not_a_box():
    paragraphs = [*ART[:2], "نهاية الموسم", *ART[2:]]
    assert kept(paragraphs) == paragraphs


def test_closing_label_goes_when_a_skip_link_opened_the_box():
    skip = normalize_key("تخطى البودكاست وواصل القراءة")
    assert kept([*ART[:2], "نهاية البودكاست", *ART[2:]], link_keys=frozenset({skip})) == ART


def test_consent_banner_beside_its_button_goes_and_privacy_prose_stays():
    banner = "نستخدم ملفات تعريف الارتباط لتحسين تجربتك، وبمواصلة التصفح فإنك توافق على سياسة الخصوصية."
    assert kept([banner, "موافق", *ART]) == ART
    prose = ("وانتقد النواب سياسة الخصوصية الجديدة للتطبيق الحكومي، وقالوا إنها تسمح بجمع بيانات "
             "المزارعين دون موافقتهم الصريحة وطالبوا بتعديلها.")
    assert kept([ART[0], prose, *ART[1:]]) == [ART[0], prose, *ART[1:]]


def test_promo_line_goes_and_prose_that_starts_with_follow_stays():
    assert kept([*ART[:2], "تابعونا على تلغرام", *ART[2:]]) == ART
    prose = ("تابعونا، يقول الوزير في كل مؤتمر. ونحن نتابع منذ عقدين خطط الزراعة التي تعلن ثم "
             "تختفي قبل أن يرى المزارع منها شيئا.")
    assert kept([ART[0], prose, *ART[1:]]) == [ART[0], prose, *ART[1:]]


def test_role_line_under_a_removed_byline_name_goes():
    assert kept(["سارة الحسيني", "مراسلة الشبكة في المحافظات الشمالية للعراق", *ART]) == ART


def test_end_mark_ends_a_release():
    tail = ["- انتهى -", "للاستفسارات الإعلامية:", "إدارة الاتصال - وزارة الزراعة", "هاتف: 800 123"]
    assert kept([*ART, *tail]) == ART


def test_pull_quote_printed_again_goes():
    quote = "الخطة تشمل قروضا ميسرة للمزارعين وتوزيع بذور محسنة"
    assert kept([ART[0], quote, *ART[1:]]) == ART


def test_relative_time_line_goes():
    assert kept([ART[0], "· تحديث قبل ساعتين", *ART[1:]]) == ART


def test_wire_sign_off_of_initials_goes():
    assert kept([*ART, "--(بترا)-- م ع/ ه ط"]) == ART


def test_dateline_with_day_month_and_agency_is_taken_off_the_lead():
    lead = "عمّان 6 كانون الأول (بترا) - " + ART[0]
    assert kept([lead, *ART[1:]]) == ART


def test_related_block_stops_where_on_topic_prose_resumes():
    more = ["وأكد الوزير أن مزارعي القمح في المحافظات الشمالية سيحصلون على البذور المحسنة قبل بداية الموسم المقبل بأسابيع قليلة من الآن.",
            "وتابع أن الوزارة ستراقب أسعار القمح في الأسواق حتى لا يتضرر المزارعون من تقلبات الموسم المقبل وأسعاره في كل المحافظات."]
    assert kept([*ART[:2], "أخبار ذات صلة", *more]) == [*ART[:2], *more]
    # teasers under their headlines are the list: they go
    teasers = [*ART[:2], "أخبار ذات صلة", "عنوان أول عن المطر", more[0], "عنوان ثان عن السوق", more[1]]
    assert kept(teasers) == ART[:2]


def test_a_quoted_name_at_the_start_of_the_lead_is_not_a_dateline():
    lead = "دشّنت شركة «شمس الأطلس» المغربية الأسبوع الماضي مصنعها الجديد لإنتاج ألواح الطاقة الشمسية في القنيطرة باستثمارات كبيرة."
    assert kept([lead, *ART[1:]])[0] == lead


def test_dateline_with_agency_between_slashes_is_taken_off_the_lead():
    assert kept(["صور في 6 ديسمبر /العُمانية/ " + ART[0], *ART[1:]]) == ART
    assert kept(["الجزائر - (و.أ.ج) - " + ART[0], *ART[1:]]) == ART


def test_short_line_after_the_last_sentence_goes_but_announced_list_items_stay():
    assert kept([*ART, "النشرة التقنية الأسبوعية: أهم الأخبار كل أحد"]) == ART
    items = ["وتشمل الخطة ثلاثة محاور رئيسية:", "قروض ميسرة لصغار المزارعين", "بذور محسنة تتحمل الجفاف"]
    assert kept([*ART, *items]) == [*ART, *items]


def test_the_headline_printed_again_after_the_text_goes():
    title = "الحكومة تطلق خطة لدعم مزارعي القمح"
    assert kept([*ART, title], title=title) == ART


def test_a_run_of_buttons_stops_at_the_comments_heading_which_takes_the_comments():
    paragraphs = [*ART, "Telegram", "طباعة", "التعليقات", "أبو أحمد", "ربنا يفرجها على أهلنا"]
    out = clean(paragraphs)
    assert out.paragraphs == ART and out.removed["comments"] == 3


def test_sentences_trafilatura_dropped_between_two_kept_paragraphs_go_back():
    import lxml.html

    from pipelines import dense
    from pipelines.extract import _gaps_back
    items = ["أن يكون المتقدم مزارعا مسجلا لدى مديرية الزراعة في محافظته.",
             "أن يلتزم بزراعة القمح في أرضه خلال الموسمين المقبلين على الأقل."]
    body = lxml.html.fromstring(
        "<body>" + "".join(f"<p>{p}</p>" for p in ART[:2]) + "<ul>" + "".join(f"<li>{i}</li>" for i in items)
        + "</ul>" + "".join(f"<p>{p}</p>" for p in ART[2:]) + "</body>")
    lines = dense.lines_of(body)
    assert _gaps_back(list(ART), lines) == [*ART[:2], *items, *ART[2:]]
    # a gap holding a link (a read-also card) is not the article's
    card = lxml.html.fromstring("<body>" + f"<p>{ART[0]}</p><p><a href=/x>{items[0]}</a></p><p>{ART[1]}</p></body>")
    assert _gaps_back(ART[:2], dense.lines_of(card)) == ART[:2]


def test_a_paragraph_printed_after_the_tags_block_is_not_the_article():
    import lxml.html

    from pipelines import dense
    from pipelines.extract import Pruned, _after_tags
    from pipelines.markers import default_markers
    appeal = "منصتنا مؤسسة إعلامية مستقلة لا تتلقى تمويلا من أي جهة سياسية. ساهم في استمرار صحافتنا المستقلة بتبرع صغير."
    body = lxml.html.fromstring(
        "<body>" + "".join(f"<p>{p}</p>" for p in ART)
        + '<div><b>كلمات مفتاحية:</b> <a href="/t/1">القمح</a> <a href="/t/2">الزراعة</a></div>'
        + f"<section><p>{appeal}</p></section></body>")
    pruned = Pruned()
    assert _after_tags([*ART, appeal], dense.lines_of(body), default_markers(), pruned) == ART
    assert [(d.text, d.rule) for d in pruned.decisions] == [(appeal, "after_tags")]
    # tags printed above the text close nothing
    top = lxml.html.fromstring('<body><div><b>الوسوم:</b> <a href="/t/1">القمح</a> <a href="/t/2">الزراعة</a></div>'
                               + "".join(f"<p>{p}</p>" for p in ART) + "</body>")
    assert _after_tags(list(ART), dense.lines_of(top), default_markers(), Pruned()) == ART


def test_a_health_disclaimer_after_the_text_goes():
    notice = "المعلومات الواردة في هذا المقال للتثقيف الصحي ولا تغني عن استشارة الطبيب المختص."
    assert kept([*ART, notice]) == ART


def test_a_box_label_names_its_opening_line_whatever_prefix_the_words_take():
    box = ["بودكاست", "«حكي سكن»: بودكاست أسبوعي عن المدينة", "الحلقات", "نهاية البودكاست"]
    assert kept([*ART[:2], *box, *ART[2:]]) == ART


def test_a_wire_end_mark_and_initials_glued_to_the_last_paragraph_go():
    assert kept([*ART[:-1], ART[-1] + " (النهاية) ف س ع / ن ح ر"]) == ART
    ends = ART[0][:-1] + " حتى النهاية."
    assert kept([ends, *ART[1:]]) == [ends, *ART[1:]]


def test_dateline_with_a_spaced_numeric_date_and_a_double_dash():
    assert kept(["كوالالمبور - 6 - 12 (دنا) -- " + ART[0], *ART[1:]]) == ART


def test_a_pull_quote_with_its_speaker_glued_on_goes():
    quote = "«الخطة تشمل قروضا ميسرة للمزارعين وتوزيع بذور محسنة»مزارع من المحافظات الشمالية"
    assert kept([ART[0], quote, *ART[1:]]) == ART
