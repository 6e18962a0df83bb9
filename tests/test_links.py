"""crawler/links.py: the article links read from the body's bytes agree with LinkExtractor."""
from pathlib import Path

from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from conftest import FIXTURES
from crawler.links import page_links


def test_hrefs_resolved_unescaped_encoded_and_filtered():
    body = """<html><head><base href="https://example.test/news/"></head><body>
    <a class="x" href="2025/05/a.html?x=1&amp;y=2#comments">أ</a>
    <A HREF='/world/b.html'>ب</A> <a href=c.html>ج</a>
    <a href="javascript:void(0)">j</a> <a href="mailto:x@example.test">m</a> <a href="#top">t</a>
    <a href="/وسم/سياسة">وسم</a> <a href="/world/b.html">again</a></body></html>""".encode("utf-8")
    assert page_links(body, "https://example.test/news/2025/05/here.html") == [
        "https://example.test/news/2025/05/a.html?x=1&y=2",
        "https://example.test/world/b.html",
        "https://example.test/news/c.html",
        "https://example.test/%D9%88%D8%B3%D9%85/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9",
    ]


def test_the_same_links_as_linkextractor_on_the_fixture_site():
    extractor = LinkExtractor(unique=True)
    pages = sorted(Path(FIXTURES / "site").rglob("*.htm*"))
    assert len(pages) > 60
    for path in pages:
        url = "http://127.0.0.1:8731/" + path.relative_to(FIXTURES / "site").as_posix()
        response = HtmlResponse(url=url, body=path.read_bytes())
        expected = {link.url.split("#")[0] for link in extractor.extract_links(response)} - {url}
        found = set(page_links(response.body, url, response.encoding))
        # LinkExtractor leaves out links to files (images, PDFs): never article pages
        assert {u for u in found - expected if not u.endswith((".jpg", ".png", ".pdf"))} == set(), path
        assert expected - found == set(), path
