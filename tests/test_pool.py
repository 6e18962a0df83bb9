"""The cleaning pool (pipelines/pool.py): the same documents as the in-process path, and a
process that dies costs only the page it held."""
import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, read_jsonl, run_scrapy
from dying_step import MARK, SPIN

from fixtures.big_page import big_page

ARTICLE = """<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"></head><body><article><h1>{title}</h1>
<p>{body}</p><p>{body}</p><p>{body}</p></article>{extra}</body></html>"""
BODY = ("أعلنت وزارة الزراعة اليوم عن خطة جديدة لدعم المزارعين في المناطق الجبلية، تشمل توزيع البذور "
        "وتوفير قروض ميسرة وتدريب الشباب على أساليب الري الحديثة التي توفر المياه في مواسم الجفاف {n}")


def without_time(doc):
    return {k: v for k, v in doc.items() if k != "crawled_at"}


def test_the_pool_gives_the_same_documents_as_the_in_process_path(cleaned, tmp_path):
    out = tmp_path / "in-process.jsonl"
    run_scrapy("clean", str(FIXTURES / "site"), "-O", str(out), "-s", "DEDUPE_ENABLED=False",
               "-s", "CLEANING_PROCESSES=0")
    local = {d["fetched_url"].split("/fixtures/site", 1)[1]: without_time(d) for d in read_jsonl(out)}
    pooled = {path: without_time(d) for path, d in cleaned.items()}   # the default: one process per core
    assert len(local) > 50 and pooled == local


CLEANING = ["pipelines.extract.ExtractPipeline", "pipelines.boilerplate.BoilerplatePipeline",
            "pipelines.normalize.NormalizePipeline", "pipelines.language.LanguagePipeline",
            "pipelines.quality.QualityPipeline", "pipelines.sketch.SketchStep"]


def write_articles(folder, count: int, marks: dict[int, str] | None = None):
    folder.mkdir(exist_ok=True)
    for n in range(count):
        extra = f"<!-- {(marks or {}).get(n)} -->" if n in (marks or {}) else ""
        (folder / f"{n}.html").write_text(
            ARTICLE.format(title=f"خطة زراعية رقم {n}", body=BODY.format(n=n) * 3, extra=extra), encoding="utf-8")


def clean_pages(tmp_path, pages, *settings: str, steps: list[str] | None = None):
    """`scrapy clean` of a folder with test steps importable: (kept file names, report, stderr)."""
    out, summary = tmp_path / "docs.jsonl", tmp_path / "summary.json"
    args = ["-s", f"CLEANING_STEPS={','.join(steps)}"] if steps else []
    for setting in settings:
        args += ["-s", setting]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "clean", str(pages), "-O", str(out), "-s", f"SUMMARY_FILE={summary}",
         "-s", "DEDUPE_ENABLED=False", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    kept = sorted(d["fetched_url"].rsplit("/", 1)[1] for d in read_jsonl(out))
    return kept, json.loads(summary.read_text(encoding="utf-8")), proc.stderr


@pytest.mark.parametrize("processes", [1, 2])
def test_a_cleaning_process_that_dies_costs_only_its_page(tmp_path, processes):
    # with one process, the page sent ahead of the marked one is always held by the process
    # that dies: it must reach the next process, not be lost with it
    write_articles(tmp_path / "pages", 8, {3: MARK})
    kept, report, log = clean_pages(tmp_path, tmp_path / "pages", f"CLEANING_PROCESSES={processes}",
                                    steps=["dying_step.DieOnMarkedPage", *CLEANING])
    assert kept == [f"{n}.html" for n in range(8) if n != 3]
    assert report["dropped"] == {"worker_died": 1}
    assert "cleaning process" in log and "died" in log


@pytest.mark.parametrize("processes", [1, 2])
def test_a_page_that_never_ends_is_dropped_at_its_deadline(tmp_path, processes):
    write_articles(tmp_path / "pages", 8, {3: SPIN})
    kept, report, log = clean_pages(tmp_path, tmp_path / "pages", f"CLEANING_PROCESSES={processes}",
                                    "CLEANING_PAGE_TIMEOUT=3", steps=["dying_step.SpinOnMarkedPage", *CLEANING])
    assert kept == [f"{n}.html" for n in range(8) if n != 3]
    assert report["dropped"] == {"cleaning_timeout": 1}
    assert "cleaning_timeout" in log and "3.html" in log


def test_a_replacement_that_cannot_start_loses_no_page(tmp_path):
    # one process: it dies on page 3 holding page 4 sent ahead; no process starts after
    # that, so pages 4-7 must be cleaned in the crawler process, not lost or hung
    write_articles(tmp_path / "pages", 8, {3: MARK})
    kept, report, log = clean_pages(
        tmp_path, tmp_path / "pages", "CLEANING_PROCESSES=1", f"TEST_DEATH_FLAG={tmp_path / 'died'}",
        steps=["dying_step.NoStartAfterDeath", "dying_step.DieOnMarkedPage", *CLEANING])
    assert kept == [f"{n}.html" for n in range(8) if n != 3]
    assert report["dropped"] == {"worker_died": 1}
    assert "no process could be started" in log
    assert log.count("failed start") == 3


def test_a_10_mb_page_costs_its_deadline_not_the_crawl(tmp_path):
    # The page: 10 MB of short paragraphs with a link each, under DOWNLOAD_MAXSIZE,
    # that held the pipeline for more than 300 s. Generated here: it is never committed.
    pages = tmp_path / "pages"
    write_articles(pages, 40)
    (pages / "big.html").write_text(big_page(10), encoding="utf-8")
    # A deadline well below the big page's time (~20 s on 2 cores; it was past 300 s),
    # well above a small page's (~20 ms)
    kept, report, log = clean_pages(tmp_path, pages, "CLEANING_PAGE_TIMEOUT=5")
    assert kept == sorted(f"{n}.html" for n in range(40))
    assert report["dropped"] == {"cleaning_timeout": 1}
    assert "big.html" in log


def test_pool_size_setting():
    from scrapy.settings import Settings

    from pipelines.pool import pool_size
    assert pool_size(Settings({"CLEANING_PROCESSES": "0"})) == 0
    assert pool_size(Settings({"CLEANING_PROCESSES": 3})) == 3
    assert pool_size(Settings({"CLEANING_PROCESSES": None})) == (os.cpu_count() or 1)


POOL_FROM_A_COPY = """
import sys
sys.path.insert(0, {copy!r})   # as Scrapyd puts a deployed egg: on sys.path, not in PYTHONPATH
from twisted.internet import reactor
from pipelines.page import Page
from pipelines.pool import WorkerPool

pool = WorkerPool(1, {{}}, ["pipelines.only_in_the_copy.Mark"])

def done(result):
    status, payload, _ = result
    print(status, getattr(payload, "title", payload))
    pool.close()
    reactor.stop()

reactor.callWhenRunning(lambda: pool.submit(Page(fetched_url="x", html="", crawled_at="")).addBoth(done))
reactor.run()
"""


def test_cleaning_processes_import_the_project_the_crawler_runs(tmp_path):
    """The workers must run the crawler's own copy of the project (under Scrapyd, an egg on
    sys.path), not another installed one: here a copy holding a step that only it has."""
    import shutil

    copy = tmp_path / "deployed"
    shutil.copytree(ROOT / "pipelines", copy / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pipelines" / "only_in_the_copy.py").write_text(
        "class Mark:\n    def process_item(self, page):\n        page.title = 'cleaned by the copy'\n        return page\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", POOL_FROM_A_COPY.format(copy=str(copy))], cwd=elsewhere,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok cleaned by the copy", out.stderr[-2000:]


def test_page_timeout_setting():
    from scrapy.settings import Settings

    from pipelines.pool import page_timeout
    assert page_timeout(Settings({"CLEANING_PAGE_TIMEOUT": "2.5"})) == 2.5
    assert page_timeout(Settings({"CLEANING_PAGE_TIMEOUT": 0})) is None
    assert page_timeout(Settings()) == 60.0
