"""Every page of the bundled site, cleaned with `scrapy clean`, against its golden document."""
import pytest

from conftest import load_goldens

GOLDENS = load_goldens()


def test_the_set_is_large_and_varied():
    articles = [g for g in GOLDENS if g["keep"]]
    sites = {g["path"].split("/")[1] for g in articles}
    assert len(articles) >= 40 and len(sites) >= 5
    assert any(g["reason"] == "language" for g in GOLDENS if not g["keep"])
    assert any(g["reason"] == "not_article" for g in GOLDENS if not g["keep"])


@pytest.mark.parametrize("golden", GOLDENS, ids=[g["path"] for g in GOLDENS])
def test_page_matches_golden(cleaned, golden):
    doc = cleaned.get(golden["path"])
    if not golden["keep"]:
        assert doc is None, f"{golden['path']} should be dropped ({golden['reason']})"
        return
    assert doc is not None, f"{golden['path']} was dropped"
    assert doc["title"] == golden["title"]
    assert doc["text"] == golden["text"]
    assert doc["source"] == golden["source"]
    assert doc["keywords"] == golden["keywords"]
    assert doc["author"] == golden["author"]
    # The day always; the time too when the page states one for machines.
    assert doc["published"][:10] == golden["published"][:10]
    assert len(doc["published"]) == 10 or doc["published"] == golden["published"]
    for boilerplate in golden.get("must_not", []):
        assert boilerplate not in doc["text"]
    assert doc["lang"] == "ar" and doc["word_count"] == len(doc["text"].split())
