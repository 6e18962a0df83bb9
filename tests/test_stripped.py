"""The fixture site with every class, id, role, data-*, aria-* and itemprop attribute
stripped (a site renaming its classes overnight): the text must still come out right,
because the cleaner works from content, not from names."""
import pytest

from bench.evalset import strip_tag_attributes
from conftest import FIXTURES, load_goldens, read_jsonl, run_scrapy

ARTICLES = [g for g in load_goldens() if g["keep"]]
LISTINGS = [g for g in load_goldens() if not g["keep"] and g["reason"] == "not_article"]


def test_stripping_removes_naming_attributes_only():
    page = b'<div class="a b" id=x data-component="text-block" aria-label="y" role=main itemprop="articleBody" href="/k">'
    assert strip_tag_attributes(page) == b'<div href="/k">'
    assert strip_tag_attributes(b"<p>class=\"x\" in text</p>") == b"<p>class=\"x\" in text</p>"


@pytest.fixture(scope="module")
def stripped_docs(tmp_path_factory):
    root = tmp_path_factory.mktemp("stripped")
    site = root / "site"
    for page in (FIXTURES / "site").rglob("*.htm*"):
        target = site / page.relative_to(FIXTURES / "site")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(strip_tag_attributes(page.read_bytes()))
    out = root / "docs.jsonl"
    run_scrapy("clean", str(site), "-O", str(out), "-s", "DEDUPE_ENABLED=False")
    return {d["fetched_url"].split("/stripped", 1)[1].split("/site", 1)[1]: d for d in read_jsonl(out)}


@pytest.mark.parametrize("golden", ARTICLES, ids=[g["path"] for g in ARTICLES])
def test_text_survives_stripped_attributes(stripped_docs, golden):
    doc = stripped_docs.get(golden["path"])
    assert doc is not None, f"{golden['path']} was dropped"
    assert doc["text"] == golden["text"]


def test_listing_pages_still_dropped(stripped_docs):
    assert not [g["path"] for g in LISTINGS if g["path"] in stripped_docs]
