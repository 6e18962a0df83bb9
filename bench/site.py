"""A large generated news site for `make bench`: N distinct Arabic article pages of 105-123 KB.

    python bench/site.py [--pages 2000] [--seed 7] [--out DIR]

Every word of the text comes from the lists in this file, combined pseudo-randomly with a
fixed seed: the same arguments give the same bytes, and no two articles share their text
except the few syndicated copies (one page in 250 repeats an earlier article in other page
furniture, as agencies' stories do). The pages carry what real news pages carry around the
article (menus, JSON-LD, tags, "read also", related and most-read lists, comments box,
footer, inline CSS, SVG icons and a JSON state blob), because the extraction cost being
measured depends on all of it, not only on the article.

The site is cached: a folder with a matching manifest.json is reused. Sitemaps, robots.txt
and urls.txt name the server's port, so `write_indexes` writes them when a server starts.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import date, timedelta
from multiprocessing import Pool
from pathlib import Path
from xml.sax.saxutils import escape

# Bump when the generator's output changes, so cached sites are rebuilt.
GENERATOR_VERSION = 3
CACHE = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "arabic-news-bench"))
MIN_BYTES, MAX_BYTES = 105_000, 123_000   # mean ≈ 114 KB, the page size
SYNDICATED_EVERY, SYNDICATED_LAG = 250, 97
SITE_NAME = "الوطن اليوم"

SECTIONS = {
    "politics": "سياسة", "economy": "اقتصاد", "sports": "رياضة", "culture": "ثقافة",
    "health": "صحة", "tech": "تكنولوجيا", "local": "محليات", "world": "العالم",
}
SUBSECTIONS = ["أخبار عاجلة", "تقارير", "حوارات", "تحليلات", "ملفات", "صور", "فيديو", "آراء",
               "متابعات", "تحقيقات"]

# --- vocabulary --------------------------------------------------------------------------
# (masculine form, feminine form) pairs agree with the subject's gender.

SPEAKERS = [  # (speaker, gender)
    ("وزير الخارجية", "m"), ("وزير المالية", "m"), ("رئيس الحكومة", "m"), ("المتحدث باسم الوزارة", "m"),
    ("البنك المركزي", "m"), ("مجلس النواب", "m"), ("وزارة الصحة", "f"), ("الهيئة العامة للإحصاء", "f"),
    ("محافظ المدينة", "m"), ("مدير المستشفى الجامعي", "m"), ("الاتحاد المحلي لكرة القدم", "m"),
    ("شركة الكهرباء الوطنية", "f"), ("رئيسة الجامعة", "f"), ("نقابة المعلمين", "f"),
    ("غرفة التجارة والصناعة", "f"), ("المرصد الوطني للمناخ", "m"), ("وزيرة البيئة", "f"),
    ("منظمة الصحة العالمية", "f"), ("الخبير الاقتصادي", "m"), ("مصدر حكومي", "m"), ("رئيس البلدية", "m"),
    ("مدير الميناء", "m"), ("المديرية العامة للأمن", "f"), ("هيئة النقل العام", "f"), ("مدرب المنتخب", "m"),
    ("رئيس النادي", "m"), ("وزيرة الثقافة", "f"), ("مدير المهرجان", "m"), ("الجمعية الوطنية للمستهلكين", "f"),
    ("رئيس لجنة الموازنة", "m"), ("الناطقة باسم الشرطة", "f"), ("مسؤول في الوزارة", "m"),
    ("الأمين العام للاتحاد", "m"), ("المديرة التنفيذية للصندوق", "f"), ("سلطة الطيران المدني", "f"),
    ("رئيس هيئة الاستثمار", "m"), ("وزير الزراعة", "m"), ("وزيرة التربية", "f"), ("المجلس الأعلى للشباب", "m"),
    ("رئيس اتحاد المزارعين", "m"), ("مديرة مركز الدراسات", "f"), ("قائد الدفاع المدني", "m"),
]
SPEECH = [  # (masculine, feminine, what follows)
    ("قال", "قالت", "إن"), ("أكد", "أكدت", "أن"), ("أوضح", "أوضحت", "أن"), ("أشار", "أشارت", "إلى أن"),
    ("أعلن", "أعلنت", "أن"), ("كشف", "كشفت", "أن"), ("ذكر", "ذكرت", "أن"), ("أفاد", "أفادت", "بأن"),
    ("صرح", "صرحت", "بأن"), ("لفت", "لفتت", "إلى أن"), ("رأى", "رأت", "أن"), ("اعتبر", "اعتبرت", "أن"),
    ("توقع", "توقعت", "أن"), ("حذر", "حذرت", "من أن"), ("شدد", "شددت", "على أن"), ("نفى", "نفت", "أن"),
]
TOPICS = [  # (subject of a clause, gender)
    ("الحكومة", "f"), ("الوزارة", "f"), ("البرنامج", "m"), ("المشروع الجديد", "m"), ("الأسعار", "f"),
    ("معدلات التضخم", "f"), ("حركة الملاحة", "f"), ("الاحتياطي النقدي", "m"), ("عدد الزوار", "m"),
    ("الإنتاج المحلي", "m"), ("قطاع السياحة", "m"), ("الصادرات الزراعية", "f"), ("المفاوضات", "f"),
    ("الاتفاق", "m"), ("اللجنة المشتركة", "f"), ("الفريق", "m"), ("المنتخب", "m"), ("المهرجان", "m"),
    ("الجامعة", "f"), ("المستشفيات الحكومية", "f"), ("شبكة الطرق", "f"), ("محطة التحلية", "f"),
    ("الموسم الزراعي", "m"), ("سوق العمل", "m"), ("قطاع البناء", "m"), ("الميزانية العامة", "f"),
    ("خطة الطوارئ", "f"), ("مؤشر البورصة", "m"), ("الطلب على الكهرباء", "m"), ("أسعار الوقود", "f"),
    ("المبادرة", "f"), ("الحملة الوطنية", "f"), ("مخزون القمح", "m"), ("عدد المسافرين", "m"),
    ("المدارس الحكومية", "f"), ("النظام الجديد", "m"), ("التطبيق الإلكتروني", "m"), ("الشركات الناشئة", "f"),
    ("المعرض الدولي", "m"), ("مستوى السدود", "m"), ("حجم التبادل التجاري", "m"), ("مشروع القانون", "m"),
]
PREDICATES = [  # (masculine, feminine); {pct} {num} {unit} are filled in
    ("سجل ارتفاعا ملحوظا", "سجلت ارتفاعا ملحوظا"), ("تراجع بنسبة {pct} في المئة", "تراجعت بنسبة {pct} في المئة"),
    ("ارتفع إلى {num} {unit}", "ارتفعت إلى {num} {unit}"), ("يواجه تحديات كبيرة", "تواجه تحديات كبيرة"),
    ("يحتاج إلى مراجعة شاملة", "تحتاج إلى مراجعة شاملة"), ("سيدخل حيز التنفيذ", "ستدخل حيز التنفيذ"),
    ("حقق نتائج إيجابية", "حققت نتائج إيجابية"), ("يسير وفق الجدول الزمني المحدد", "تسير وفق الجدول الزمني المحدد"),
    ("لم يتأثر بالأزمة الأخيرة", "لم تتأثر بالأزمة الأخيرة"), ("شهد تحسنا تدريجيا", "شهدت تحسنا تدريجيا"),
    ("سيعلن عن تفاصيل إضافية", "ستعلن عن تفاصيل إضافية"), ("تجاوز التوقعات", "تجاوزت التوقعات"),
    ("بحاجة إلى دعم إضافي", "بحاجة إلى دعم إضافي"), ("قادر على استيعاب الطلب المتزايد", "قادرة على استيعاب الطلب المتزايد"),
    ("انخفض إلى أدنى مستوى منذ {num} سنوات", "انخفضت إلى أدنى مستوى منذ {num} سنوات"),
    ("يخضع لتقييم دوري", "تخضع لتقييم دوري"), ("بات أكثر استقرارا", "باتت أكثر استقرارا"),
    ("تضاعف مرتين", "تضاعفت مرتين"), ("سيستفيد منه {num} {unit}", "سيستفيد منها {num} {unit}"),
    ("يتطلب تمويلا بقيمة {num} مليون دولار", "تتطلب تمويلا بقيمة {num} مليون دولار"),
    ("لا يزال دون المستوى المطلوب", "لا تزال دون المستوى المطلوب"), ("استعاد عافيته", "استعادت عافيتها"),
    ("واجه انتقادات واسعة", "واجهت انتقادات واسعة"), ("حظي بإقبال كبير", "حظيت بإقبال كبير"),
    ("سيعرض على البرلمان قريبا", "ستعرض على البرلمان قريبا"), ("توقف مؤقتا", "توقفت مؤقتا"),
    ("سيشمل {num} {unit}", "ستشمل {num} {unit}"), ("اقترب من تحقيق أهدافه", "اقتربت من تحقيق أهدافها"),
]
UNITS = ["أسرة", "طالب", "مسافر", "موظف", "مزارع", "مريض", "مشروع", "شركة", "مدرسة", "قرية", "متطوع",
         "ألف طن", "ميغاواط", "كيلومتر", "وحدة سكنية", "حافلة", "منشأة", "مليون دينار"]
TAILS = [
    "خلال الأشهر المقبلة", "منذ بداية العام", "في الربع الأخير", "بحلول نهاية العام الجاري",
    "خلال الأسبوع الماضي", "في المناطق الريفية", "في المحافظات الجنوبية", "على الحدود الشمالية",
    "في العاصمة", "في {city}", "بسبب {cause}", "نتيجة {cause}", "من أجل {goal}", "بهدف {goal}",
    "رغم {cause}", "مقارنة بالعام الماضي", "على المدى المتوسط", "في المرحلة الأولى", "قبل حلول الصيف",
    "وفق البيانات الأولية", "في ضوء {cause}", "على الرغم من {cause}", "في إطار {goal}",
]
CAUSES = [
    "ارتفاع تكاليف النقل", "موجة الحر", "الأمطار الغزيرة", "نقص الإمدادات", "تغير أسعار الصرف",
    "ضعف الطلب الخارجي", "الإجراءات الجديدة", "تأخر صرف المستحقات", "زيادة الضرائب", "تراجع الاستثمارات",
    "الجفاف المتواصل", "الإضراب العام", "الازدحام المروري", "تقادم الشبكة", "ارتفاع أسعار المواد الأولية",
    "انتشار الفيروس الموسمي", "العطل الفني", "تزايد أعداد الوافدين", "تقلبات السوق العالمية",
    "الضغوط التضخمية", "إغلاق المعبر", "العاصفة الرملية", "تأخر الموسم المطري",
]
GOALS = [
    "تحسين مستوى الخدمات", "دعم الأسر محدودة الدخل", "تشجيع الاستثمار", "خفض معدلات البطالة",
    "حماية البيئة", "تعزيز الأمن الغذائي", "تطوير البنية التحتية", "تسهيل حركة المسافرين",
    "رفع كفاءة الإنفاق", "توسيع التغطية الصحية", "تأهيل الشباب", "مكافحة التهريب", "تقليص الفجوة الرقمية",
    "ترشيد استهلاك المياه", "إنعاش الحركة السياحية", "تحديث المناهج الدراسية", "دعم الفلاحين الصغار",
    "تنويع مصادر الطاقة", "تحسين جودة الهواء", "تسريع الإجراءات الإدارية", "حماية المستهلك",
]
CITIES = [
    "القاهرة", "الإسكندرية", "عمان", "الرباط", "الدار البيضاء", "تونس", "الجزائر", "بيروت", "دمشق",
    "بغداد", "الرياض", "جدة", "الدوحة", "أبوظبي", "دبي", "الكويت", "مسقط", "المنامة", "الخرطوم",
    "طرابلس", "نواكشوط", "صنعاء", "أسوان", "فاس", "مراكش", "صفاقس", "وهران", "حلب", "البصرة", "أربيل",
    "إربد", "الزرقاء", "طنجة", "سوسة", "قسنطينة", "الموصل", "الأقصر", "بنغازي", "عدن", "نابلس",
]
DAYS = ["السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة"]
WHEN = ["يوم {day}", "{day}", "مساء {day}", "صباح اليوم", "أمس", "في وقت سابق اليوم", "مساء أمس",
        "في ساعة متأخرة من ليل {day}"]
OCCASIONS = ["بيان صحفي", "مؤتمر صحفي عقده في {city}", "تصريحات لوسائل إعلام محلية",
             "كلمة ألقاها خلال افتتاح {event}", "مقابلة تلفزيونية", "منشور على حسابه الرسمي",
             "اجتماع موسع مع ممثلي القطاع", "جلسة استماع برلمانية", "ندوة نظمت في {city}"]
EVENTS = ["المعرض الدولي للكتاب", "ملتقى الاستثمار", "الدورة الجديدة للمهرجان", "مؤتمر الطاقة المتجددة",
          "المنتدى الاقتصادي", "الموسم الثقافي", "البطولة العربية", "أسبوع الابتكار", "قمة المدن الذكية"]
SOURCES = ["أرقام رسمية نشرت {when}", "تقرير صادر عن مركز الدراسات الاستراتيجية", "بيانات الهيئة العامة للإحصاء",
           "مصادر مطلعة", "مسح ميداني أجرته الجامعة", "وثيقة اطلعت عليها الصحيفة", "تقديرات البنك الدولي",
           "إحصاءات وزارة التخطيط", "شهود عيان"]
CONTEXTS = ["تشهد فيه البلاد {cause_noun}", "يترقب فيه المواطنون نتائج {event}", "تتزايد فيه المطالب بـ{goal}",
            "تسعى فيه السلطات إلى {goal}", "يعاني فيه القطاع من {cause}", "تستعد فيه {city} لاستضافة {event}"]
HEAD_VERBS = [  # present tense for headlines
    ("يعلن", "تعلن"), ("يكشف عن", "تكشف عن"), ("يحذر من", "تحذر من"), ("يبحث", "تبحث"), ("يطلق", "تطلق"),
    ("يدعو إلى", "تدعو إلى"), ("يناقش", "تناقش"), ("يرفض", "ترفض"), ("يوقع", "توقع"), ("يستعرض", "تستعرض"),
    ("يقر", "تقر"), ("يدرس", "تدرس"),
]
HEAD_OBJECTS = ["خطة جديدة ل{goal}", "برنامجا وطنيا ل{goal}", "اتفاقية تعاون مع {partner}", "تداعيات {cause}",
                "إجراءات عاجلة لمواجهة {cause}", "نتائج {study}", "مشروعا ل{goal}", "حزمة حوافز ل{goal}",
                "موازنة إضافية ل{goal}", "تعديلات على {law}", "استراتيجية ل{goal} في {city}"]
PARTNERS = ["شركاء دوليين", "القطاع الخاص", "جامعات أجنبية", "البلديات", "منظمات المجتمع المدني",
            "بنوك محلية", "دول الجوار", "صندوق التنمية"]
STUDIES = ["المسح الوطني للأسر", "دراسة ميدانية حديثة", "التعداد الزراعي", "تقييم الأداء السنوي",
           "تقرير التنافسية", "استطلاع للرأي"]
LAWS = ["قانون العمل", "قانون الاستثمار", "نظام الضرائب", "لائحة المرور", "قانون الإيجارات", "نظام التقاعد"]
SUBHEADS = ["تفاصيل الخطة", "ردود الفعل", "خلفية القرار", "أرقام ودلالات", "مخاوف المواطنين", "الخطوات المقبلة",
            "موقف المعارضة", "آراء الخبراء", "تأثيرات اقتصادية", "جدول زمني", "تحديات التنفيذ", "على الأرض"]
FIRST = ["محمد", "أحمد", "سارة", "ليلى", "خالد", "يوسف", "مريم", "عمر", "هدى", "نادية", "سامي", "كريم",
         "رنا", "طارق", "إيمان", "حسن", "فاطمة", "علي", "منى", "ياسين", "جمال", "سلمى", "بشير", "نوال"]
LAST = ["العلي", "الحسيني", "بن سالم", "المصري", "الخطيب", "الشامي", "القاسم", "الزين", "الحداد", "النجار",
        "العمري", "الفاسي", "البغدادي", "الراشد", "السعدي", "الحلبي", "المهدي", "العطار", "الصباغ", "الأنصاري"]
TAG_WORDS = ["الاقتصاد", "التضخم", "الاستثمار", "البطالة", "الطاقة", "المياه", "التعليم", "الصحة", "النقل",
             "السياحة", "الزراعة", "الانتخابات", "البرلمان", "الموازنة", "كرة القدم", "المهرجانات", "البيئة",
             "الذكاء الاصطناعي", "الشباب", "المرأة", "الإسكان", "الأسعار", "الطقس", "الأمن"]
MENU_EXTRA = ["الرئيسية", "آخر الأخبار", "فيديو", "صور", "بودكاست", "كتاب الرأي", "النشرة البريدية",
              "الطقس", "أسعار العملات", "مواقيت الصلاة", "اتصل بنا", "من نحن", "أعلن معنا", "سياسة الخصوصية",
              "شروط الاستخدام", "خريطة الموقع", "الأرشيف", "وظائف"]
SHORT_BITS = ["شاهد بالصور", "بث مباشر", "عاجل", "تقرير خاص", "حصري", "تحليل", "فيديو", "ملف"]
EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# --- the articles --------------------------------------------------------------------------

def _fill(rng: random.Random, text: str) -> str:
    """Fill the {slots} of a phrase; slots nest (a tail names a cause)."""
    while "{" in text:
        text = text.format_map(_Slots(rng))
    return text


class _Slots(dict):
    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def __missing__(self, key):
        r = self.rng
        number = lambda lo, hi: _digits(r, str(r.randint(lo, hi)))  # noqa: E731
        return {
            "pct": lambda: number(2, 45), "num": lambda: number(3, 950), "unit": lambda: r.choice(UNITS),
            "city": lambda: r.choice(CITIES), "cause": lambda: r.choice(CAUSES), "goal": lambda: r.choice(GOALS),
            "cause_noun": lambda: r.choice(CAUSES), "event": lambda: r.choice(EVENTS),
            "partner": lambda: r.choice(PARTNERS), "study": lambda: r.choice(STUDIES), "law": lambda: r.choice(LAWS),
            "day": lambda: r.choice(DAYS), "when": lambda: r.choice(WHEN),
        }[key]()


def _digits(rng: random.Random, s: str) -> str:
    # Some Arabic sites print Eastern Arabic digits: the normalise stage has to meet both.
    return s.translate(EASTERN_DIGITS) if rng.random() < 0.25 else s


def _clause(rng: random.Random) -> str:
    topic, gender = rng.choice(TOPICS)
    pred = rng.choice(PREDICATES)[gender == "f"]
    tails = " ".join(rng.sample(TAILS, rng.randint(0, 2)))
    return _fill(rng, f"{topic} {pred} {tails}".strip())


def _sentence(rng: random.Random) -> str:
    speaker, gender = rng.choice(SPEAKERS)
    verb_m, verb_f, comp = rng.choice(SPEECH)
    verb = verb_f if gender == "f" else verb_m
    kind = rng.randrange(9)
    if kind == 0:
        return _fill(rng, f"{verb} {speaker}، {rng.choice(WHEN)}، {comp} {_clause(rng)}.")
    if kind == 1:
        return _fill(rng, f"و{verb} {speaker} في {rng.choice(OCCASIONS)} {comp} {_clause(rng)}.")
    if kind == 2:
        said = "قالت" if gender == "f" else "قال"
        return f"و{said} {speaker}: «{_clause(rng)}، و{_clause(rng)}»."
    if kind == 3:
        return _fill(rng, f"ويأتي ذلك في وقت {rng.choice(CONTEXTS)}.")
    if kind == 4:
        return _fill(rng, f"وبحسب {rng.choice(SOURCES)}، فإن {_clause(rng)}.")
    if kind == 5:
        return f"وأضاف أن {_clause(rng)}، مشيرا إلى أن {_clause(rng)}."
    if kind == 6:
        return f"{'من جهتها' if gender == 'f' else 'من جهته'}، {verb} {speaker} {comp} {_clause(rng)}."
    if kind == 7:
        return f"وتشير التقديرات إلى أن {_clause(rng)}."
    return _fill(rng, f"وبلغ {rng.choice(['عدد المستفيدين', 'عدد المشاركين', 'إجمالي الطلبات', 'عدد الشكاوى'])} "
                      f"نحو {{num}} {{unit}} {rng.choice(TAILS)}، {rng.choice(['وفق', 'حسب', 'بحسب'])} "
                      f"{rng.choice(SOURCES)}.")


def headline(rng: random.Random) -> str:
    speaker, gender = rng.choice(SPEAKERS)
    verb = rng.choice(HEAD_VERBS)[gender == "f"]
    place = rng.choice(["", " في {city}", " {when}", " رغم {cause}", ""])
    return _fill(rng, f"{speaker} {verb} {rng.choice(HEAD_OBJECTS)}{place}")


def author(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


class Meta:
    """What other pages need to know of article i (its URL and headline for their links),
    made from i alone so that no page depends on generating another."""

    def __init__(self, seed: int, i: int):
        rng = random.Random(f"{seed}:meta:{i}")
        self.i = i
        self.section = rng.choice(list(SECTIONS))
        self.day = date(2025, 1, 1) + timedelta(days=rng.randrange(330))
        self.hour, self.minute = rng.randrange(6, 23), rng.randrange(60)
        self.path = f"/{self.section}/{self.day:%Y/%m/%d}/{i:06d}.html"
        self.headline = headline(rng)


def article_body(seed: int, i: int) -> dict:
    rng = random.Random(f"{seed}:body:{i}")
    target = rng.randint(500, 900)
    blocks, words, since_sub = [], 0, 0
    while words < target:
        if since_sub >= 4 and rng.random() < 0.3:
            blocks.append(("h2", rng.choice(SUBHEADS)))
            since_sub = 0
            continue
        text = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        blocks.append(("p", text))
        words += len(text.split())
        since_sub += 1
    return {"standfirst": _clause(rng) + ".", "blocks": blocks, "author": author(rng),
            "tags": rng.sample(TAG_WORDS, rng.randint(4, 8)) + rng.sample(CITIES, 1),
            "quote": (rng.choice(SPEAKERS)[0], _clause(rng))}


# --- the page around the article -------------------------------------------------------------

def _css(rng: random.Random, rules: int) -> str:
    props = ["margin", "padding", "color", "background", "border", "font-size", "line-height", "display",
             "width", "max-width", "gap", "grid-template-columns", "border-radius", "box-shadow", "transition"]
    values = ["0", "4px", "8px 12px", "#1a1a2e", "#f4f4f8", "1px solid #ddd", "1.125rem", "1.8", "flex", "grid",
              "100%", "1200px", "16px", "repeat(3,1fr)", "6px", "0 1px 4px rgba(0,0,0,.08)", "all .2s ease"]
    out = []
    for n in range(rules):
        sel = f".c-{rng.choice(['card', 'nav', 'ad', 'hero', 'list', 'btn', 'grid', 'box', 'tag'])}-{n:x}"
        body = ";".join(f"{rng.choice(props)}:{rng.choice(values)}" for _ in range(rng.randint(2, 6)))
        out.append(f"{sel}{{{body}}}")
        if n % 40 == 0:
            out.append(f"@media (max-width:{rng.choice([480, 768, 992])}px){{{sel}{{display:none}}}}")
    return "\n".join(out)


def _svg(rng: random.Random, name: str) -> str:
    points = " ".join(f"{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}" for _ in range(rng.randint(20, 50)))
    return f'<symbol id="i-{name}" viewBox="0 0 24 24"><path d="M{points}Z"/></symbol>'


def _teaser(rng: random.Random, m: Meta) -> dict:
    return {"id": m.i, "title": m.headline, "url": m.path, "section": SECTIONS[m.section],
            "image": f"/media/{m.day:%Y/%m}/{rng.getrandbits(64):016x}.jpg",
            "published": f"{m.day}T{m.hour:02d}:{m.minute:02d}:00+03:00",
            "views": rng.randrange(100, 90_000), "badge": rng.choice(SHORT_BITS + [None] * 8)}


def _link_list(cls: str, heading: str, metas: list[Meta], with_meta: bool = False) -> str:
    items = []
    for m in metas:
        extra = (f'<div class="card__meta"><span class="card__section">{SECTIONS[m.section]}</span>'
                 f'<time>{m.day:%Y-%m-%d}</time></div>') if with_meta else ""
        items.append(f'<li class="{cls}__item"><article class="card"><a class="card__media" href="{m.path}">'
                     f'<picture><source type="image/webp" srcset="/media/thumb/{m.i}.webp"><img '
                     f'src="/media/thumb/{m.i}.jpg" alt="" loading="lazy" width="120" height="80"></picture></a>'
                     f'<div class="card__body"><h3 class="card__title"><a href="{m.path}">{escape(m.headline)}'
                     f'</a></h3>{extra}</div></article></li>')
    return f'<section class="{cls}"><h3 class="{cls}__head">{heading}</h3><ul>{"".join(items)}</ul></section>'


def render(seed: int, i: int, n_pages: int) -> str:
    meta = Meta(seed, i)
    source = i - SYNDICATED_LAG if is_syndicated(i) else i
    body = article_body(seed, source)
    title = Meta(seed, source).headline if source != i else meta.headline
    rng = random.Random(f"{seed}:page:{i}")
    others = [Meta(seed, j) for j in rng.sample(range(n_pages), min(n_pages, 64)) if j != i]
    related, most_read, latest, grid = others[:6], others[6:16], others[16:26], others[26:38]
    ticker, videos = others[38:46], others[46:56]
    read_also = others[56] if len(others) > 56 else others[0]
    section = SECTIONS[meta.section]
    published = f"{meta.day}T{meta.hour:02d}:{meta.minute:02d}:00+03:00"
    description = body["standfirst"]
    jsonld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
              "description": description, "datePublished": published, "dateModified": published,
              "author": {"@type": "Person", "name": body["author"]},
              "publisher": {"@type": "Organization", "name": SITE_NAME, "logo": {"@type": "ImageObject",
                                                                                 "url": "/static/logo.png"}},
              "mainEntityOfPage": meta.path, "image": [f"/media/{meta.day:%Y/%m}/{i:06d}-main.jpg"],
              "articleSection": section, "keywords": ", ".join(body["tags"]), "inLanguage": "ar"}
    crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "الرئيسية", "item": "/"},
        {"@type": "ListItem", "position": 2, "name": section, "item": f"/{meta.section}/"}]}

    menu = "".join(
        f'<li class="menu__item"><a href="/{key}/">{name}</a><ul class="menu__sub">'
        + "".join(f'<li><a href="/{key}/{k}/">{sub}</a></li>' for k, sub in enumerate(SUBSECTIONS))
        + "</ul></li>" for key, name in SECTIONS.items())
    menu += "".join(f'<li class="menu__item"><a href="/p/{k}/">{x}</a></li>' for k, x in enumerate(MENU_EXTRA[:8]))
    ticker_html = "".join(f'<li><span class="badge">عاجل</span><a href="{m.path}">{escape(m.headline)}</a></li>'
                          for m in ticker)
    trending = "".join(f'<a class="trend" href="/tag/{k}/">#{t}</a>' for k, t in enumerate(rng.sample(TAG_WORDS, 12)))

    parts, middle = [], len(body["blocks"]) // 2
    for k, (tag, text) in enumerate(body["blocks"]):
        if k == middle:
            parts.append(f'<p class="read-also"><strong>اقرأ أيضا:</strong> <a href="{read_also.path}">'
                         f'{escape(read_also.headline)}</a></p>')
            who, said = body["quote"]
            parts.append(f'<blockquote class="quote"><p>«{escape(said)}»</p><cite>{who}</cite></blockquote>')
        if k == 2:
            parts.append(f'<figure class="inline-image"><img src="/media/{meta.day:%Y/%m}/{i:06d}-2.jpg" alt="" '
                         f'width="800" height="450"><figcaption>صورة أرشيفية - {rng.choice(CITIES)}</figcaption></figure>')
            parts.append(f'<div class="ad ad--inarticle" id="ad-inread-{i}" data-slot="inread" '
                         f'data-sizes="300x250,336x280"></div>')
        parts.append(f"<{tag}>{escape(text)}</{tag}>")
    tags_html = "".join(f'<li><a href="/tag/{k}/" rel="tag">{t}</a></li>' for k, t in enumerate(body["tags"]))
    footer = "".join(f'<li><a href="/p/{k}/">{x}</a></li>' for k, x in enumerate(MENU_EXTRA))
    footer_sections = "".join(
        f'<div class="footer__col"><h4>{name}</h4><ul>'
        + "".join(f'<li><a href="/{key}/{k}/">{sub}</a></li>' for k, sub in enumerate(SUBSECTIONS))
        + "</ul></div>" for key, name in SECTIONS.items())
    icons = "".join(_svg(rng, n) for n in ("search", "menu", "facebook", "x", "whatsapp", "telegram",
                                            "youtube", "instagram", "share", "print", "clock", "comment"))

    head = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {SITE_NAME}</title>
<meta name="description" content="{escape(description, {'"': '&quot;'})}">
<meta name="keywords" content="{', '.join(body['tags'])}">
<link rel="canonical" href="{meta.path}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(title, {'"': '&quot;'})}">
<meta property="og:description" content="{escape(description, {'"': '&quot;'})}">
<meta property="og:url" content="{meta.path}">
<meta property="og:image" content="/media/{meta.day:%Y/%m}/{i:06d}-main.jpg">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{section}">
{''.join(f'<meta property="article:tag" content="{t}">' for t in body['tags'])}
<meta name="twitter:card" content="summary_large_image">
<link rel="preload" href="/static/fonts/naskh.woff2" as="font" crossorigin>
<script type="application/ld+json">{json.dumps(jsonld, ensure_ascii=False)}</script>
<script type="application/ld+json">{json.dumps(crumbs, ensure_ascii=False)}</script>
<style>{_css(rng, rng.randint(90, 140))}</style>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{"pageType":"article","section":"{meta.section}",
"articleId":{i},"author":"{body['author']}","words":{sum(len(t.split()) for _, t in body['blocks'])}}});</script>
<script>var adSlots={json.dumps([{"id": f"ad-{k}", "sizes": [[728, 90], [300, 250]], "refresh": 30} for k in range(8)])};</script>
</head>
<body class="single single-article section-{meta.section}">
<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{icons}</svg>
<div class="cookie-notice"><p>يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربة التصفح.</p><button>موافق</button></div>
<div class="topbar"><span class="date">{meta.day:%Y-%m-%d}</span><a href="/p/weather/">الطقس</a><a href="/p/currency/">أسعار العملات</a></div>
<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>
<form class="search" action="/search" method="get"><input type="search" name="q" placeholder="ابحث في الموقع"></form>
<nav class="menu" aria-label="القائمة الرئيسية"><ul>{menu}</ul></nav></header>
<div class="ticker"><span>عاجل</span><ul>{ticker_html}</ul></div>
<div class="trending">{trending}</div>
<div class="ad ad--leaderboard" id="ad-top" data-slot="top"></div>
<div class="page container">
<main class="content">
<nav class="breadcrumb"><a href="/">الرئيسية</a> › <a href="/{meta.section}/">{section}</a></nav>
<article class="article" id="article-{i}">
<h1 class="article__title">{escape(title)}</h1>
<p class="article__lead">{escape(description)}</p>
<div class="article__meta"><span class="author">بقلم: <a href="/author/{rng.randrange(400)}/">{body['author']}</a></span>
<time datetime="{published}">{meta.day:%Y-%m-%d} {meta.hour:02d}:{meta.minute:02d}</time></div>
<div class="share"><a href="#" class="share__fb">فيسبوك</a><a href="#" class="share__x">إكس</a><a href="#" class="share__wa">واتساب</a></div>
<figure class="article__image"><img src="/media/{meta.day:%Y/%m}/{i:06d}-main.jpg" alt="{escape(title, {'"': '&quot;'})}" width="1200" height="675"></figure>
<div class="article__body">
{chr(10).join(parts)}
</div>
<div class="tags"><h4>الكلمات الدلالية</h4><ul>{tags_html}</ul></div>
<p class="follow">تابعونا على قناتنا في تطبيق تلغرام لمتابعة آخر الأخبار</p>
</article>
{_link_list("related", "أخبار ذات صلة", related)}
<section class="comments"><h3>التعليقات</h3><form><textarea placeholder="أضف تعليقك"></textarea><button>إرسال</button></form></section>
{_link_list("grid", "المزيد من " + section, grid, with_meta=True)}
{_link_list("videos", "فيديو", videos, with_meta=True)}
</main>
<aside class="sidebar">
{_link_list("most-read", "الأكثر قراءة", most_read)}
<div class="ad ad--side" id="ad-side" data-slot="side"></div>
{_link_list("latest", "آخر الأخبار", latest, with_meta=True)}
<div class="newsletter"><h4>النشرة البريدية</h4><p>اشترك لتصلك أهم الأخبار يوميا</p><input type="email"><button>اشترك</button></div>
</aside>
</div>
<footer class="site-footer"><div class="footer__cols">{footer_sections}</div><ul class="footer__links">{footer}</ul>
<p class="copyright">جميع الحقوق محفوظة © 2025 {SITE_NAME}</p></footer>
"""
    # Real article pages carry a framework's state blob; it brings the page to its size.
    size = len(head.encode("utf-8"))
    target = rng.randint(MIN_BYTES, MAX_BYTES) - size - 200
    teasers, used = [], 0
    while used < target:
        t = _teaser(rng, Meta(seed, rng.randrange(n_pages)))
        used += len(json.dumps(t, ensure_ascii=False).encode("utf-8")) + 1
        teasers.append(t)
    state = json.dumps({"page": {"id": i, "section": meta.section, "type": "article"}, "feed": teasers},
                       ensure_ascii=False).replace("</", "<\\/")
    return (head + f"<script>window.__APP_STATE__={state};</script>\n"
            "<script>(function(){var s=document.createElement('script');s.async=true;"
            "s.src='/static/app.js';document.head.appendChild(s);})();</script>\n</body>\n</html>\n")


def is_syndicated(i: int) -> bool:
    return i % SYNDICATED_EVERY == SYNDICATED_EVERY - 1 and i >= SYNDICATED_LAG


# --- the site on disk ----------------------------------------------------------------------

def site_dir(pages: int, seed: int) -> Path:
    return CACHE / f"site-{pages}-seed{seed}-v{GENERATOR_VERSION}"


def _write_range(args) -> int:
    out, seed, pages, lo, hi = args
    total = 0
    for i in range(lo, hi):
        m = Meta(seed, i)
        path = out / m.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = render(seed, i, pages).encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total


def ensure_site(pages: int = 2000, seed: int = 7, out: Path | None = None, quiet: bool = False) -> Path:
    """The generated site's folder, generated unless a complete one is cached."""
    out = Path(out) if out else site_dir(pages, seed)
    manifest = out / "manifest.json"
    params = {"pages": pages, "seed": seed, "generator": GENERATOR_VERSION}
    if manifest.exists():
        if {k: v for k, v in json.loads(manifest.read_text()).items() if k in params} == params:
            return out
    out.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)   # written last: its presence says the site is whole
    if not quiet:
        print(f"generating {pages} pages into {out} ...", file=sys.stderr, flush=True)
    chunk = 250
    jobs = [(out, seed, pages, lo, min(pages, lo + chunk)) for lo in range(0, pages, chunk)]
    with Pool(os.cpu_count() or 1) as pool:
        total = sum(pool.map(_write_range, jobs))
    paths = [Meta(seed, i).path for i in range(pages)]
    (out / "paths.txt").write_text("\n".join(paths) + "\n", encoding="utf-8")
    syndicated = sum(is_syndicated(i) for i in range(pages))
    manifest.write_text(json.dumps({**params, "bytes": total, "mean_kb": round(total / pages / 1000, 1),
                                    "syndicated_copies": syndicated, "distinct_articles": pages - syndicated},
                                   indent=1))
    return out


def manifest_of(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text())


def write_indexes(site: Path, base: str, per_file: int = 1000) -> Path:
    """Sitemap index, sitemaps of `per_file` URLs (news sites split theirs by date or
    count), robots.txt and urls.txt (for the trafilatura command line), all naming `base`."""
    paths = (site / "paths.txt").read_text(encoding="utf-8").split()
    files = []
    for n, lo in enumerate(range(0, len(paths), per_file)):
        name = f"sitemap-{n:03d}.xml"
        entries = "".join(f"<url><loc>{base}{p}</loc><lastmod>{p[-23:-13].replace('/', '-')}</lastmod></url>\n"
                          for p in paths[lo:lo + per_file])
        (site / name).write_text('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                 f'"http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n',
                                 encoding="utf-8")
        files.append(name)
    index = "".join(f"<sitemap><loc>{base}/{f}</loc></sitemap>\n" for f in files)
    (site / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                                      f'"http://www.sitemaps.org/schemas/sitemap/0.9">\n{index}</sitemapindex>\n',
                                      encoding="utf-8")
    (site / "robots.txt").write_text(f"User-agent: *\nDisallow: /search\nSitemap: {base}/sitemap.xml\n")
    urls = site / "urls.txt"
    urls.write_text("".join(f"{base}{p}\n" for p in paths), encoding="utf-8")
    return urls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help=f"default: {CACHE}/site-<pages>-seed<seed>-v<version>")
    args = ap.parse_args()
    site = ensure_site(args.pages, args.seed, args.out)
    m = manifest_of(site)
    print(f"{site}: {m['pages']} pages, mean {m['mean_kb']} KB, {m['syndicated_copies']} syndicated copies")


if __name__ == "__main__":
    main()
