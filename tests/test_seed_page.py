"""The problem in one file: the seed page, as docs/document.md specifies its document."""
import json
import re

import pytest

from conftest import FIXTURES, SHARED, read_jsonl, run_scrapy

SEED_PAGE = FIXTURES / "site" / "aggregator" / "world" / "000-seed-lavrov-kim.html"
SEED_DATA = json.loads((FIXTURES / "articles" / "000-seed-lavrov-kim.json").read_text(encoding="utf-8"))
SEED_TEXT = SHARED / "seed" / "000_0fcadfc618495757.txt"


@pytest.fixture(scope="module")
def seed_doc(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    run_scrapy("clean", str(SEED_PAGE), "-O", str(out / "docs.jsonl"), "-O", str(out / "docs.txt:txt"))
    docs = read_jsonl(out / "docs.jsonl")
    assert len(docs) == 1
    return docs[0], out


def seed_paragraphs():
    return [p.strip() for p in re.split(r"\n\s*\n", SEED_TEXT.read_text(encoding="utf-8")) if p.strip()]


def test_text_source_and_keywords(seed_doc):
    doc, _ = seed_doc
    assert doc["text"] == "\n\n".join(SEED_DATA["body"])
    assert doc["source"] == "سكاي نيوز عربية"
    assert doc["keywords"].count("كوريا الشمالية") == 1
    assert not any(ch in kw for kw in doc["keywords"] for ch in "کی")
    assert doc["keywords"] == SEED_DATA["keywords"]
    for leaked in ("كلمات دلالية", "إقرأ أيضاً", "مقالات مشابهة", "بوتين والشرع", "المصدر"):
        assert leaked not in doc["text"]
    assert "مرفِقة" in doc["text"] and "أنّ" in doc["text"]  # the article's own diacritics stay


def test_document_has_every_contract_field(seed_doc):
    doc, _ = seed_doc
    assert list(doc) == ["id", "url", "fetched_url", "site", "title", "text", "source", "keywords",
                         "published", "author", "lang", "lang_score", "word_count", "text_hash", "crawled_at",
                         "updated"]
    assert doc["updated"] is None   # a first export; a re-fetched correction has its time
    assert re.fullmatch(r"[0-9a-f]{40}", doc["id"]) and re.fullmatch(r"[0-9a-f]{40}", doc["text_hash"])
    assert doc["lang"] == "ar" and doc["lang_score"] > 0.9


def test_txt_feed_is_the_seed_layout(seed_doc):
    doc, out = seed_doc
    manifest = (out / "docs.txt").read_text(encoding="utf-8").split()
    assert manifest == [f"{doc['id']}.txt"]
    written = (out / "docs" / f"{doc['id']}.txt").read_text(encoding="utf-8")
    expected = "\n\n".join(SEED_DATA["body"] + ["المصدر: سكاي نيوز عربية"]) + "\n"
    assert written == expected


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="needs ../shared/seed (the project's seed file)")
def test_against_the_shared_seed_file(seed_doc):
    doc, out = seed_doc
    paragraphs = seed_paragraphs()
    assert doc["text"] == "\n\n".join(paragraphs[:11])
    written = (out / "docs" / f"{doc['id']}.txt").read_text(encoding="utf-8")
    assert written == "\n\n".join(paragraphs[:12]) + "\n"
