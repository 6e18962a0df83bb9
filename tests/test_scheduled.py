"""Scheduled, incremental crawls: re-runs export only what is new or corrected, and a real
Scrapyd deploys the project and runs it."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, demo_seed_for, load_goldens, read_jsonl, run_scrapy
from fixtures.server import serve

pytestmark = pytest.mark.scheduled

ARTICLES = [g for g in load_goldens() if g["keep"]]
ORIGINALS = sorted(g["path"] for g in ARTICLES if not g["duplicate_of"])
FAMILY = {g["path"]: g["duplicate_of"] or g["path"] for g in ARTICLES}

# A story of our own, added to the site between two runs.
NEW_STORY = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>افتتاح مكتبة عامة جديدة في وسط المدينة</title>
<meta property="og:type" content="article">
<link rel="canonical" href="__BASE__/portal/local/200-new-city-library.html">
<meta property="article:published_time" content="2025-06-02T09:00:00+03:00">
</head><body><article>
<h1>افتتاح مكتبة عامة جديدة في وسط المدينة</h1>
<p>افتتحت البلدية صباح اليوم مكتبة عامة جديدة في وسط المدينة، تضم أكثر من أربعين ألف كتاب
في الأدب والعلوم والتاريخ، إلى جانب قاعة للأطفال ومساحة للقراءة الهادئة مفتوحة طوال أيام الأسبوع.</p>
<p>وقال مدير المكتبة إن المبنى صُمم ليكون مركزا ثقافيا للأحياء القديمة، وإن برنامج الشهر الأول
يشمل أمسيات شعرية وورشا للكتابة ودروسا في استخدام الحاسوب لكبار السن.</p>
<p>وأضاف أن الاشتراك مجاني لطلاب المدارس والجامعات، وأن المكتبة ستستقبل تبرعات الكتب من السكان
بعد فحصها وتصنيفها، على أن تُخصص مكتبة متنقلة لزيارة القرى المجاورة مرتين في الشهر.</p>
</article></body></html>
"""


def story_of(doc):
    return FAMILY.get("/" + doc["fetched_url"].split("/", 3)[3], "/" + doc["fetched_url"].split("/", 3)[3])


@pytest.fixture()
def own_site(tmp_path):
    """A copy of the fixture site that a test may change between runs."""
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", root)
    with serve(root) as base:
        yield root, base


def crawl(base, tmp, state, out, *extra):
    seed = demo_seed_for(base, tmp / "demo.toml")
    summary = tmp / f"{out}.summary.json"
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(tmp / out),
               "-s", f"STATE_URI=sqlite:///{state}", "-s", f"SUMMARY_FILE={summary}", *extra)
    return read_jsonl(tmp / out), json.loads(summary.read_text(encoding="utf-8"))


def test_a_second_run_exports_only_the_pages_added_since_the_first(own_site, tmp_path):
    root, base = own_site
    state = tmp_path / "state.sqlite"
    first, _ = crawl(base, tmp_path, state, "first.jsonl")
    assert sorted(story_of(d) for d in first) == ORIGINALS

    page = root / "portal" / "local" / "200-new-city-library.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(NEW_STORY, encoding="utf-8")
    section = root / "portal" / "index.html"
    html = section.read_text(encoding="utf-8")
    section.write_text(html.replace("</body>", '<a href="/portal/local/200-new-city-library.html">مكتبة جديدة</a></body>'),
                       encoding="utf-8")

    second, summary = crawl(base, tmp_path, state, "second.jsonl")
    assert [d["fetched_url"] for d in second] == [f"{base}/portal/local/200-new-city-library.html"]
    assert second[0]["updated"] is None
    assert summary["articles_fetched"] == 1, "an article stored by the first run was downloaded again"


def _changed_article():
    """A plain portal article and one word of its second paragraph that occurs once in its page."""
    for g in ARTICLES:
        if not g["path"].startswith("/portal/") or g["duplicate_of"]:
            continue
        html = (FIXTURES / "site" / g["path"].lstrip("/")).read_text(encoding="utf-8")
        for word in g["text"].split("\n\n")[1].split():
            if len(word) > 5 and html.count(word) == 1 and g["text"].count(word) == 1:
                return g, word
    raise AssertionError("no portal article with a word to change")


def test_young_articles_are_fetched_again_and_a_corrected_one_is_exported_as_updated(own_site, tmp_path):
    root, base = own_site
    state = tmp_path / "state.sqlite"
    first, _ = crawl(base, tmp_path, state, "first.jsonl")
    golden, word = _changed_article()
    page = root / golden["path"].lstrip("/")
    page.write_text(page.read_text(encoding="utf-8").replace(word, "تصحيح"), encoding="utf-8")

    # Without REFETCH_HOURS nothing stored is fetched again, corrected or not.
    unchanged_run, summary = crawl(base, tmp_path, state, "plain.jsonl")
    assert unchanged_run == [] and summary["articles_fetched"] == 0

    again, summary = crawl(base, tmp_path, state, "again.jsonl", "-s", "REFETCH_HOURS=24")
    original = next(d for d in first if story_of(d) == golden["path"])
    assert len(again) == 1, [d["fetched_url"] for d in again]
    updated = again[0]
    assert updated["id"] == original["id"] and updated["url"] == original["url"]
    assert "تصحيح" in updated["text"] and word not in updated["text"]
    assert updated["updated"] == updated["crawled_at"] and original["updated"] is None
    assert summary["dropped"]["unchanged"] == len(first) - 1

    # The correction is exported once: fetched again, unchanged since, it is not repeated.
    third, _ = crawl(base, tmp_path, state, "third.jsonl", "-s", "REFETCH_HOURS=24")
    assert third == []
    # Articles first exported longer ago than REFETCH_HOURS are left alone.
    old, summary = crawl(base, tmp_path, state, "old.jsonl", "-s", "REFETCH_HOURS=0.0001")
    assert old == [] and summary["articles_fetched"] == 0


# --- Scrapyd -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, endpoint, data=None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture()
def scrapyd(tmp_path):
    """A real Scrapyd on loopback, its eggs, logs, items and job database in tmp_path."""
    home, port = tmp_path / "scrapyd", free_port()
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\nitems_dir = {home}/items\ndbs_dir = {home}/dbs\n"
        "max_proc = 1\npoll_interval = 0.5\n", encoding="utf-8")
    proc = subprocess.Popen([str(Path(os.sys.executable).parent / "scrapyd")], cwd=home,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            api(base, "daemonstatus.json")
            break
        except OSError:
            assert proc.poll() is None, f"scrapyd did not start: {proc.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "scrapyd did not answer"
            time.sleep(0.2)
    yield base, home
    proc.terminate()
    proc.wait(timeout=30)


def test_scrapyd_deploys_the_project_and_runs_a_crawl(scrapyd, site_url, tmp_path):
    base, home = scrapyd
    # Deploy as a user does, with scrapyd-deploy and the project's scrapy.cfg (on a copy of
    # the project, since building the egg writes build files beside it).
    project = tmp_path / "project"
    for name in ("crawler", "pipelines"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    cfg = (ROOT / "scrapy.cfg").read_text(encoding="utf-8").replace("http://localhost:6800", base)
    (project / "scrapy.cfg").write_text(cfg, encoding="utf-8")
    deploy = subprocess.run([str(Path(os.sys.executable).parent / "scrapyd-deploy"), "--version", "r1"],
                            cwd=project, capture_output=True, text=True, timeout=180)
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    assert "news" in api(base, "listspiders.json?project=arabic_news")["spiders"]

    seed = demo_seed_for(site_url, tmp_path / "demo.toml")
    job = api(base, "schedule.json", {"project": "arabic_news", "spider": "news", "seeds": str(seed),
                                      "setting": [f"STATE_URI=sqlite:///{tmp_path}/state.sqlite"]})
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 300
    while not any(j["id"] == job["jobid"] for j in api(base, "listjobs.json?project=arabic_news")["finished"]):
        assert time.monotonic() < deadline, "the Scrapyd job did not finish"
        time.sleep(1)
    feed = home / "items" / "arabic_news" / "news" / f"{job['jobid']}.jl"
    log = (home / "logs" / "arabic_news" / "news" / f"{job['jobid']}.log").read_text(encoding="utf-8")
    assert feed.exists(), log[-3000:]
    assert sorted(story_of(d) for d in read_jsonl(feed)) == ORIGINALS
    assert "Traceback" not in log
