from pipelines.language import detect_language, keep_language

ARABIC = ("قال وزير الخارجية إن المحادثات التي جرت في العاصمة تناولت العلاقات الثنائية والتعاون "
          "الاقتصادي بين البلدين، وأكد أن الجانبين اتفقا على مواصلة الحوار خلال الأشهر المقبلة.")
PERSIAN = ("وزیر امور خارجه گفت که گفتگوهای انجام شده در پایتخت به روابط دوجانبه و همکاری های "
           "اقتصادی میان دو کشور پرداخت و افزود که دو طرف توافق کردند گفتگو را در ماه های آینده ادامه دهند.")
URDU = ("وزیر خارجہ نے کہا کہ دارالحکومت میں ہونے والی بات چیت میں دو طرفہ تعلقات اور اقتصادی "
        "تعاون پر بات ہوئی اور دونوں فریقوں نے آنے والے مہینوں میں بات چیت جاری رکھنے پر اتفاق کیا۔")


def test_arabic_persian_urdu_english_french():
    assert detect_language(ARABIC).lang == "ar"
    assert detect_language(PERSIAN).lang == "fa"
    assert detect_language(URDU).lang == "ur"
    assert detect_language("The minister said the talks covered bilateral relations and trade.").lang == "en"
    assert detect_language("Le ministre a déclaré que les discussions portaient sur le commerce.").lang == "fr"


def test_results_are_deterministic():
    results = {detect_language(ARABIC[:60]) for _ in range(5)}
    assert len(results) == 1


def test_arabic_typed_with_persian_letters_stays_arabic():
    # a careless editor's ی and ک: the letters are Persian, the language is not
    text = ARABIC.replace("ي", "ی").replace("ك", "ک")
    assert detect_language(text).lang == "ar"


def test_short_arabic_is_not_lost():
    for text in ("وزير الخارجية في العاصمة", "الأهلي يفوز على الزمالك", "ارتفاع أسعار النفط"):
        assert detect_language(text).lang == "ar", text


def test_persian_mostly_in_arabic_letters_is_not_arabic():
    text = PERSIAN.replace("ی", "ي").replace("ک", "ك")
    assert detect_language(text).lang == "fa"


def test_keep_language():
    r = detect_language(ARABIC)
    assert keep_language(r, ["ar"]) and not keep_language(r, ["fa"])
    assert 0.5 < r.score <= 1.0
