"""The cheaper equivalents pipelines/extract.py uses in place of a library's own code give
the library's result, on hand-made edge cases and on every page of the bundled site."""
from pathlib import Path

import pytest
from trafilatura.utils import INVALID_XML_CHARS
from trafilatura.utils import repair_faulty_html as trafilatura_repair

from pipelines.extract import INVALID_XML_CHAR_LIST, repair_faulty_html

SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"


def test_the_character_list_is_the_pattern():
    pattern = {chr(c) for c in range(0x110000) if not 0xd800 <= c < 0xe000 and INVALID_XML_CHARS.match(chr(c))}
    assert set(INVALID_XML_CHAR_LIST) == pattern


@pytest.mark.parametrize("html", [
    "<html><body><p>نص\x00 مع\x1f محارف\x0b تحكم\ufffe</p></body></html>",
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" />\n<html><body><p>x</p></body></html>",
    "<!doctype html>\n<html lang=\"ar\"/>\n<body><p>نص</p></body></html>",
    "\n<html xmlns=\"http://www.w3.org/1999/xhtml\" />\n<body>\x08</body>",
    "<p>لا شيء يصلح هنا</p>",
    "",
])
def test_repairs_as_trafilatura(html):
    assert repair_faulty_html(html, html[:50].lower()) == trafilatura_repair(html, html[:50].lower())


def test_repairs_every_bundled_page_as_trafilatura():
    pages = sorted(SITE.rglob("*.htm*"))
    assert len(pages) > 50
    for path in pages:
        html = path.read_bytes().decode("utf-8", "replace")
        assert repair_faulty_html(html, html[:50].lower()) == trafilatura_repair(html, html[:50].lower()), path


def test_text_of_is_text_content_on_every_element_of_the_bundled_pages():
    from pipelines.extract import _parsed, _text_of
    pages = sorted(SITE.rglob("*.htm*")) + sorted((SITE.parent / "evalset" / "pages").rglob("*.htm*"))
    elements = 0
    for path in pages:
        tree = _parsed(path.read_bytes())
        for el in tree.iter():
            assert _text_of(el) == el.text_content(), (path, el.tag)
            elements += 1
    assert elements > 10_000


def test_shingles_are_every_run_of_n_words():
    from pipelines.sketch import shingles
    text = "ا ب ج د ه و ز ح ط ي ا ب ج"
    for n in range(1, 16):
        words = text.split()
        expected = ({" ".join(words[i:i + n]).encode("utf-8") for i in range(len(words) - n + 1)}
                    if len(words) > n else {" ".join(words).encode("utf-8")})
        assert shingles(text, n) == expected
    assert shingles("", 3) == set()


SOCIAL_POST_XPATH = ("//blockquote[.//a[" + " or ".join(f'contains(@href, "{h}")' for h in
                                                          ("twitter.", "//x.com/", "instagram.", "facebook.", "tiktok.",
                                                           "//t.me/", "threads.net", "/status/")) + "]"
                     ' or contains(., "pic.twitter.com") or contains(., "View this post") or contains(., "عرض هذا المنشور")'
                     ' or contains(@cite, "/status/")]'
                     " | //amp-twitter | //amp-instagram | //amp-facebook | //amp-tiktok | //amp-youtube | //amp-iframe")


def test_social_posts_are_the_xpath_union():
    import lxml.html

    from pipelines.extract import _parsed, _social_posts
    crafted = lxml.html.fromstring(
        "<html><body><blockquote>قول مأثور لا يرتبط بشيء</blockquote>"
        "<blockquote class='twitter-tweet'><p>نص التغريدة</p><a href='https://twitter.com/x/status/1'>رابط</a></blockquote>"
        "<amp-instagram data-shortcode='x'></amp-instagram><blockquote cite='https://x.com/a/status/2'>نص</blockquote>"
        "<div><blockquote>View this post on Instagram</blockquote><amp-iframe src='/e'></amp-iframe></div></body></html>")
    trees = [crafted] + [_parsed(p.read_bytes()) for p in sorted(SITE.rglob("*.htm*"))]
    found = 0
    for tree in trees:
        expected = tree.xpath(SOCIAL_POST_XPATH)
        assert [id(e) for e in _social_posts(tree)] == [id(e) for e in expected]
        found += len(expected)
    assert len(_social_posts(crafted)) == 5 and found > 5


def test_has_words_counts_as_the_joined_text():
    from lxml import etree

    from pipelines.extract import _has_words, _main_text, _parsed
    bodies = [etree.fromstring("<body><p>واحد<hi>اثنان</hi> ثلاثة </p><p> </p><list><item>أربعة خمسة</item></list>ستة</body>"), None]
    for path in sorted(SITE.rglob("*.htm*"))[::4]:
        doc = _main_text(_parsed(path.read_bytes()), None, None, fast=True)
        bodies.append(doc.body if doc is not None else None)
    for body in bodies:
        words = len(" ".join(body.itertext()).split()) if body is not None else 0
        for n in (0, 1, 5, 6, 7, 120, words, words + 1):
            assert _has_words(body, n) == (words >= n), (n, words)
