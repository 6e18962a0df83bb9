"""`from pipelines import clean_page, PageDropped`: one page cleaned without Scrapy."""
import json
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from pipelines import Cleaner, PageDropped, clean_page
from pipelines.page import DOCUMENT_FIELDS

SITE = FIXTURES / "site"
BASE = "https://www.skynewsarabia.com"
SEED_DATA = json.loads((FIXTURES / "articles" / "000-seed-lavrov-kim.json").read_text(encoding="utf-8"))


def served(path: str) -> bytes:
    """A page of the bundled site as its server sends it (absolute links on BASE)."""
    return (SITE / path).read_bytes().replace(b"__BASE__", BASE.encode())


SEED = "aggregator/world/000-seed-lavrov-kim.html"
LISTING = "aggregator/index.html"


def test_the_seed_page_gives_its_eleven_paragraphs_and_source():
    doc = clean_page(served(SEED), f"{BASE}/{SEED}")
    paragraphs = doc["text"].split("\n\n")
    assert len(paragraphs) == 11
    assert paragraphs == SEED_DATA["body"]
    assert doc["source"] == "سكاي نيوز عربية"
    assert doc["keywords"] == SEED_DATA["keywords"]
    assert list(doc) == list(DOCUMENT_FIELDS)
    assert doc["url"] == f"{BASE}/{SEED}" and doc["site"] == "skynewsarabia.com"
    assert doc["lang"] == "ar" and doc["word_count"] == len(doc["text"].split())
    assert re.fullmatch("[0-9a-f]{40}", doc["id"]) and re.fullmatch("[0-9a-f]{40}", doc["text_hash"])


def test_str_and_bytes_give_the_same_document():
    as_bytes = clean_page(served(SEED), f"{BASE}/{SEED}")
    as_text = clean_page(served(SEED).decode("utf-8"), f"{BASE}/{SEED}")
    for doc in (as_bytes, as_text):
        doc.pop("crawled_at")
    assert as_bytes == as_text


def test_bytes_are_decoded_as_the_page_declares():
    legacy = (SITE / "legacy" / "show_news_029.htm").read_bytes()   # windows-1256, said in a meta tag
    doc = clean_page(legacy, "http://www.almashreq-news.net/show_news_029.htm")
    assert doc["title"].startswith("لبنان وسوريا يتفقان") and doc["lang"] == "ar"


def test_a_wrong_charset_label_is_overruled():
    relabelled = served(SEED).replace(b"<head>", b'<head><meta charset="windows-1252">', 1)
    doc = clean_page(relabelled, f"{BASE}/{SEED}")
    assert doc["text"].split("\n\n") == SEED_DATA["body"]


def test_a_listing_page_raises_page_dropped_with_its_reason():
    with pytest.raises(PageDropped) as dropped:
        clean_page(served(LISTING), f"{BASE}/{LISTING}")
    assert dropped.value.reason in ("not_article", "too_short")
    assert dropped.value.url == f"{BASE}/{LISTING}"


def test_an_english_page_is_dropped_as_language():
    english = SITE / "broadcaster" / "world" / "090-en-qatar-electric-buses.html"
    with pytest.raises(PageDropped) as dropped:
        clean_page(english.read_bytes(), "https://example.com/en.html")
    assert dropped.value.reason == "language"


def test_settings_are_the_crawl_settings():
    with pytest.raises(PageDropped) as dropped:
        clean_page(served(SEED), f"{BASE}/{SEED}", settings={"QUALITY_MIN_WORDS": 1000})
    assert dropped.value.reason == "too_short"


def test_without_a_url_the_canonical_link_is_the_url():
    doc = clean_page(served(SEED))
    assert doc["url"].startswith(BASE) and doc["fetched_url"] == ""


def test_no_state_store_unless_asked(tmp_path):
    first = clean_page(served(SEED), f"{BASE}/{SEED}")
    again = clean_page(served(SEED), f"{BASE}/{SEED}")
    assert first["text"] == again["text"]     # no memory between calls
    assert list(tmp_path.iterdir()) == []


def test_a_state_store_when_asked_finds_duplicates(tmp_path):
    settings = {"STATE_URI": f"sqlite:///{tmp_path / 'state.sqlite'}"}
    with Cleaner(settings) as cleaner:
        cleaner.clean(served(SEED), f"{BASE}/{SEED}")
        with pytest.raises(PageDropped) as dropped:
            cleaner.clean(served(SEED), "https://syndicating.example.org/copy-of-the-seed.html")
    assert dropped.value.reason == "duplicate"
    with pytest.raises(PageDropped) as again:   # the store outlives the cleaner
        clean_page(served(SEED), f"{BASE}/{SEED}", settings=settings)
    assert again.value.reason == "duplicate_url"


def test_the_reason_is_the_name_in_the_crawl_stats():
    """The drop a crawl counts as docs/dropped/<reason> is the same class clean_page raises."""
    from pipelines.drops import NotArticle, as_drop_item
    from scrapy.exceptions import DropItem

    converted = as_drop_item(NotArticle("a listing", "https://example.com/"))
    assert isinstance(converted, DropItem) and isinstance(converted, NotArticle)
    assert converted.reason == "not_article" and type(converted).__name__ == "NotArticle"


def test_scrapy_is_never_imported():
    code = (
        "import sys\n"
        "from pipelines import clean_page, PageDropped\n"
        f"html = open({str(SITE / SEED)!r}, 'rb').read()\n"
        "doc = clean_page(html, 'https://www.skynewsarabia.com/a.html')\n"
        "try:\n"
        f"    clean_page(open({str(SITE / LISTING)!r}, 'rb').read())\n"
        "except PageDropped:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', 'crawler'))\n"
        "print(doc['source'], loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "سكاي نيوز عربية []"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs():
    out = subprocess.run([sys.executable, "-c", readme_example()], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("كيم جونغ أون يستقبل لافروف") and "سكاي نيوز عربية" in lines[0]
    assert lines[-1].startswith("dropped: ") and lines[-1].split()[-1] in ("not_article", "too_short")


def test_every_drop_reason_has_a_page_in_the_docs():
    from pipelines import drops, pool

    classes = {c for c in vars(drops).values() if isinstance(c, type) and issubclass(c, PageDropped)}
    classes |= {pool.WorkerDied, pool.CleaningTimeout}
    reasons = {c.reason for c in classes if "reason" in vars(c)} - {"dropped"} | {"pipeline_error"}
    pages = {p.stem for p in (ROOT / "docs" / "dropped").glob("*.md")}
    assert reasons - pages == set()
    index = (ROOT / "docs" / "dropped" / "README.md").read_text(encoding="utf-8")
    assert all(f"({page}.md)" in index for page in pages - {"README"})
