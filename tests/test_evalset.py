"""The hand-written held-out set (fixtures/evalset), scored by the shared judge as served and
with naming attributes stripped: the cleaner must stay clean on sites it was not built from."""
import json
import subprocess
import sys

import pytest

from bench.evalset import strip_attributes
from conftest import FIXTURES, SHARED, run_scrapy

SCORE = SHARED / "eval" / "score.py"
EVALSET = FIXTURES / "evalset"

pytestmark = pytest.mark.skipif(not SCORE.exists(), reason="needs the shared judge, ../shared/eval/score.py")


def judge(set_dir, docs):
    proc = subprocess.run([sys.executable, str(SCORE), str(set_dir), "--docs", str(docs), "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stripped", [False, True], ids=["as served", "attributes stripped"])
def test_held_out_pages_come_out_clean(tmp_path, stripped):
    set_dir = strip_attributes(EVALSET, tmp_path / "stripped") if stripped else EVALSET
    docs = tmp_path / "docs.jsonl"
    run_scrapy("clean", str(set_dir / "pages"), "-O", str(docs), "-s", "DEDUPE_ENABLED=False")
    score = judge(set_dir, docs)
    assert score["f1"] >= 0.99, score
    assert score["pages_with_leak"] == 0, score
    assert score["non_articles_kept"] == 0, score
