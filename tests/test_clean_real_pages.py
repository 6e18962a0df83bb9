"""`scrapy clean` over the 40 real Arabic-script pages of ../shared/eval/lang (read in place,
never copied): no Persian, Pashto or Urdu page and no Arabic section or home page is kept."""
import csv

import pytest

from conftest import SHARED, read_jsonl, run_scrapy

LANG = SHARED / "eval" / "lang"
pytestmark = pytest.mark.skipif(not (LANG / "labels.tsv").exists(), reason="needs ../shared/eval/lang")


def test_only_arabic_articles_survive(tmp_path):
    labels = {row["page"].split("/")[-1]: row
              for row in csv.DictReader((LANG / "labels.tsv").open(encoding="utf-8"), delimiter="\t")}
    assert len(labels) == 40
    out = tmp_path / "docs.jsonl"
    run_scrapy("clean", str(LANG / "pages"), "-O", str(out))
    kept = [labels[d["fetched_url"].rsplit("/", 1)[-1]] for d in read_jsonl(out)]
    wrong = [(r["page"], r["language"], r["kind"]) for r in kept
             if r["language"] != "ar" or r["kind"] != "article"]
    assert wrong == []
