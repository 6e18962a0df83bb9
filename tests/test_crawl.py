"""`scrapy crawl news` over the bundled site on loopback, through the real Scrapy engine."""
import json

import pytest

from conftest import demo_seed_for, load_goldens, read_jsonl, run_scrapy

GOLDENS = load_goldens()
ARTICLES = [g for g in GOLDENS if g["keep"]]
ORIGINALS = [g for g in ARTICLES if not g["duplicate_of"]]
COPIES = [g for g in ARTICLES if g["duplicate_of"]]


def crawl(site_url, tmp, state, out_name, *extra):
    seed = demo_seed_for(site_url, tmp / "demo.toml")
    out = tmp / out_name
    summary = tmp / f"{out_name}.summary.json"
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(out),
               "-s", f"STATE_URI=sqlite:///{state}", "-s", f"SUMMARY_FILE={summary}", *extra)
    return read_jsonl(out), json.loads(summary.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_runs(site_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    state = tmp / "state.sqlite"
    first = crawl(site_url, tmp, state, "first.jsonl")
    second = crawl(site_url, tmp, state, "second.jsonl")
    return first, second


def path_of(doc):
    return "/" + doc["fetched_url"].split("/", 3)[3]


def test_every_article_once_and_copies_collapsed(two_runs):
    (docs, summary), _ = two_runs
    paths = [path_of(d) for d in docs]
    assert len(paths) == len(set(paths)), "an article page was exported twice"
    got = set(paths)
    for g in ORIGINALS:
        copies = {c["path"] for c in COPIES if c["duplicate_of"] == g["path"]}
        assert len(got & ({g["path"]} | copies)) == 1, f"{g['path']} and its copies: {got & copies}"
    assert len(docs) == len(ORIGINALS)
    assert summary["dropped"].get("duplicate", 0) + summary["dropped"].get("near_duplicate", 0) == len(COPIES)


def test_english_and_french_are_dropped_and_bad_urls_counted(two_runs):
    (docs, summary), _ = two_runs
    assert all(d["lang"] == "ar" for d in docs)
    assert summary["dropped"]["language"] == 2
    assert summary["dropped"]["http_404"] == 1
    assert summary["dropped"]["robots_txt"] == 1
    assert not any("/private/" in d["fetched_url"] for d in docs)


def test_documents_match_goldens(two_runs):
    (docs, _), _ = two_runs
    by_path = {g["path"]: g for g in ARTICLES}
    for doc in docs:
        golden = by_path[path_of(doc)]
        assert (doc["title"], doc["text"], doc["source"], doc["keywords"]) == \
               (golden["title"], golden["text"], golden["source"], golden["keywords"])
        assert doc["url"] == golden["url"].replace("__BASE__", doc["fetched_url"].split("/", 3)[0] + "//" + doc["fetched_url"].split("/", 3)[2])
        assert doc["site"] == "127.0.0.1"


def test_redirected_article_is_found(two_runs):
    (docs, _), _ = two_runs
    assert any("/gulfdaily/" in d["fetched_url"] for d in docs)


def test_second_run_exports_nothing_again(two_runs):
    _, (docs, summary) = two_runs
    assert docs == []
    assert summary["kept"] == 0 and summary["articles_skipped_seen"] >= len(ORIGINALS)


def test_url_list_mode_fetches_only_those_urls(site_url, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# two articles\n{site_url}/portal/sports/006-masry-pyramids-league-draw.html\n"
                    f"{site_url}/aggregator/world/000-seed-lavrov-kim.html?utm_source=x\n", encoding="utf-8")
    seed = demo_seed_for(site_url, tmp_path / "demo.toml")
    out = tmp_path / "urls.jsonl"
    run_scrapy("crawl", "news", "-a", f"urls={urls}", "-a", f"seeds={seed}", "-O", str(out),
               "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite")
    docs = read_jsonl(out)
    assert sorted(path_of(d).split("?")[0] for d in docs) == [
        "/aggregator/world/000-seed-lavrov-kim.html", "/portal/sports/006-masry-pyramids-league-draw.html"]
    assert all("utm_source" not in d["url"] for d in docs)
