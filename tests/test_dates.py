import pytest

from pipelines.dates import find_arabic_date


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
