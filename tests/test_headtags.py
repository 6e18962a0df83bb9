"""HeadTags answers the XPath queries it replaces, on every bundled page, and forgets an
element that pruning took out of the tree."""
from pathlib import Path

import lxml.html

from pipelines.dates import markup_date
from pipelines.extract import _parsed
from pipelines.headtags import HeadTags

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

QUERIES = [
    ('//link[@rel="canonical"]/@href', ("link", "href", ("rel", "canonical"))),
    ('//meta[@property="og:type"]/@content', ("meta", "content", ("property", "og:type"))),
    ('//meta[@property="og:description"]/@content | //meta[@name="description"]/@content',
     ("meta", "content", ("property", "og:description"), ("name", "description"))),
    ('//meta[@name="author" or @property="article:author" or @name="byl"]/@content',
     ("meta", "content", ("name", "author"), ("property", "article:author"), ("name", "byl"))),
    ("//time/@datetime", ("time", "datetime")),
]


def test_the_same_answers_as_xpath_on_the_bundled_pages():
    pages = sorted((FIXTURES / "site").rglob("*.htm*")) + sorted((FIXTURES / "evalset" / "pages").rglob("*.htm*"))
    answered = 0
    for path in pages:
        tree = _parsed(path.read_bytes())
        head = HeadTags(tree)
        for xpath, (tag, attribute, *where) in QUERIES:
            expected = tree.xpath(xpath)
            assert head.values(tag, attribute, *where) == expected, (path, xpath)
            answered += bool(expected)
        scripts = tree.xpath('//script[@type="application/ld+json"]')
        assert head.elements("script", ("type", "application/ld+json")) == scripts
    assert answered > 100


def test_an_element_pruned_from_the_tree_is_not_answered():
    tree = lxml.html.fromstring(
        "<html><head><meta name='author' content='أميرة حسن'></head><body>"
        "<div class='related'><time datetime='2020-01-01'>قديم</time></div>"
        "<p><time datetime='2025-06-14'>اليوم</time> نص المقال</p></body></html>")
    head = HeadTags(tree)
    box = tree.find(".//div")
    box.getparent().remove(box)
    assert head.values("time", "datetime") == ["2025-06-14"]
    assert markup_date(tree, [], None, head) == "2025-06-14"
    assert head.values("meta", "content", ("name", "author")) == ["أميرة حسن"]
