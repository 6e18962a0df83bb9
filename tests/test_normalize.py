from pipelines.normalize import (
    is_other_arabic_script_language, normalize_key, normalize_line, normalize_text, unique_by_key,
)


def test_invisible_characters_and_tatweel_are_removed():
    raw = "\u200fالأخـــبار\u200b العاجلة\u00ad\ufeff\u202b اليوم\u202c\u2066\u2069\u061c"
    assert normalize_line(raw) == "الأخبار العاجلة اليوم"


def test_spaces_are_collapsed_and_nbsp_becomes_a_space():
    assert normalize_line("  قال\u00a0الوزير\u2003\tإنّ  \n الخطة ") == "قال الوزير إنّ الخطة"


def test_presentation_forms_become_base_letters():
    # U+FEDF U+FEE0 ... : "الله"-style presentation forms, and lam-alef ligature U+FEFB
    assert normalize_line("\ufe8d\ufedf\ufee4\ufed8\ufe8e\ufedf\ufe94") == "المقالة"
    assert normalize_line("\ufefb") == "لا"


def test_persian_letters_in_arabic_become_arabic_but_not_in_persian():
    assert normalize_line("کوریا الشمالیة") == "كوريا الشمالية"
    assert normalize_line("کوریا", arabic=False) == "کوریا"


def test_diacritics_hamza_teh_marbuta_and_digits_are_kept_in_text():
    text = "مرفِقة أنّ إسرائيل آخر مؤسسة ٢٠٢٥ على"
    assert normalize_line(text) == text


def test_paragraph_layout():
    assert normalize_text("\n أولى\nتكملة \n\n\n  ثانية  \n\n") == "أولى تكملة\n\nثانية"


def test_key_folds_what_text_keeps():
    assert normalize_key("إقرأ أيضاً:") == normalize_key("اقرأ ايضا") == "اقرا ايضا"
    assert normalize_key("مدرسةٌ") == normalize_key("مدرسه")
    assert normalize_key("مستشفى") == normalize_key("مستشفي")
    assert normalize_key("عام ٢٠٢٥، و۲۰۲۵!") == "عام 2025 و2025"


def test_unique_by_key_keeps_first_spelling():
    assert unique_by_key(["أخبار روسيا", "اخبار روسيا", "روسيا", "روسيا"]) == ["أخبار روسيا", "روسيا"]


def test_script_evidence_tells_persian_from_arabic():
    persian = "گفت که این پروژه در چند ماه آینده به پایان می‌رسد و مردم از آن استفاده خواهند کرد"
    arabic = "قال الوزير إن المشروع سينتهي خلال الأشهر المقبلة وسيستفيد منه المواطنون في المدينة"
    assert is_other_arabic_script_language(persian)
    assert not is_other_arabic_script_language(arabic)


def test_key_folding_is_the_key_table_applied_to_every_character():
    from pipelines.normalize import _KEY_TABLE, _fold_key_characters
    every = "".join(map(chr, [*range(0x0600, 0x0700), *range(0x2000, 0x2070), 0x00AD, 0xFEFF]))
    text = f"{every} نصّ عربيّ ١٢٣ ۴۵۶ {every[::-1]}"
    assert _fold_key_characters(text) == text.translate(_KEY_TABLE)
