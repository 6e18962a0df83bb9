"""The explain report: the renderer on hand-made decisions, and `scrapy clean --explain` on
fixture pages, rendered by a real headless Chromium."""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import FIXTURES, ROOT, run_scrapy
from pipelines.drops import WrongLanguage
from pipelines.explain import (PALETTE, Block, PageRecord, colour_map, record_page, render_page, rule_colour,
                               write_report)

pytestmark = pytest.mark.explain


@dataclass
class Decision:
    """Shaped like pipelines.boilerplate.Decision: the report reads only these attributes."""

    text: str
    rule: str | None
    evidence: str
    stage: str


@dataclass
class FakePage:
    fetched_url: str
    title: str | None
    decisions: list
    url: str | None = None
    paragraphs: tuple = ()
    extracted: object = None


DECISIONS = [
    Decision("الرئيسية سياسة اقتصاد رياضة", "menu", "4 links in 4 words; before the article", "extract"),
    Decision("افتتحت الحكومة اليوم مشروعا جديدا للطاقة الشمسية في الجنوب.", None, "", "clean"),
    Decision("وقال الوزير إن المشروع سيوفر الكهرباء لآلاف المنازل.", None, "", "clean"),
    Decision("اقرأ أيضا: عنوان مقال آخر", "read_also", "marker «اقرأ أيضا»; 1 link line; after the article's prose",
             "clean"),
    Decision("<script>alert(1)</script> & تابعونا", "promo", "marker «تابعونا»; a <b> tag", "clean"),
]


def dom(text: str):
    return lxml.html.fromstring(text)


def test_a_page_shows_kept_text_plain_and_each_cut_struck_with_its_rule_and_evidence():
    page = FakePage("https://news.example/a/1.html", "الحكومة تفتتح مشروعا", DECISIONS)
    record = record_page(page)
    tree = dom(render_page(record))
    assert tree.get("dir") == "rtl" and tree.get("lang") == "ar"
    kept = [p.text_content() for p in tree.xpath("//p[contains(@class, 'kept')]")]
    assert kept == [DECISIONS[1].text, DECISIONS[2].text]
    cuts = tree.xpath("//del")
    assert [d.get("data-rule") for d in cuts] == ["menu", "read_also", "promo"]
    assert [d.text_content() for d in cuts] == [DECISIONS[0].text, DECISIONS[3].text, DECISIONS[4].text]
    # the rule's name and evidence are printed beside the struck text, not only in attributes
    for decision, cut in zip([DECISIONS[0], DECISIONS[3], DECISIONS[4]], tree.xpath("//div[contains(@class, 'cut')]")):
        assert cut.xpath(".//span[@class='rule']")[0].text_content() == decision.rule
        assert cut.xpath(".//span[@class='evidence']")[0].text_content() == decision.evidence
        assert colour_map(["menu", "read_also", "promo"])[decision.rule] in cut.get("style")
    # the extract stage's boxes come under their own heading, before the text
    stages = [s.get("data-stage") for s in tree.xpath("//section[@data-stage]")]
    assert stages == ["extract", "clean"]
    assert {li.get("data-rule") for li in tree.xpath("//section[@class='legend']//li")} == {"menu", "read_also", "promo"}
    assert tree.xpath("string(//dd[@class='words-kept'])") == str(9 + 8)
    assert tree.xpath("string(//dd[@class='words-removed'])") == str(4 + 5 + 3)


def test_a_run_of_blocks_cut_by_one_rule_for_one_reason_is_one_box():
    menu = [Decision(word, "menu", "a line of 1 word above the headline", "clean") for word in ("سياسة", "رياضة")]
    other = Decision("الرئيسية", "menu", "another reason", "clean")
    tree = dom(render_page(record_page(FakePage("https://news.example/1", "t", [*menu, other, *DECISIONS[1:2]]))))
    boxes = tree.xpath("//div[contains(@class, 'cut')]")
    assert [[d.text_content() for d in box.xpath(".//del")] for box in boxes] == [["سياسة", "رياضة"], ["الرئيسية"]]
    assert boxes[0].xpath("string(.//span[@class='count'])") == "×2"
    assert tree.xpath("string(//section[@class='legend']//li)").endswith("(3 blocks, 3 words)")


def test_page_text_is_escaped_not_markup():
    text = render_page(record_page(FakePage("https://news.example/x?a=1&b=<2>", "<i>t</i>", DECISIONS)))
    tree = dom(text)
    assert not tree.xpath("//script") and not tree.xpath("//h1/i")
    assert "<script>alert(1)</script>" in tree.xpath("//del")[-1].text_content()
    assert tree.xpath("//dd[@class='fetched']/a")[0].get("href") == "https://news.example/x?a=1&b=<2>"


def test_a_rule_keeps_its_colour_from_the_fixed_palette_and_rules_of_a_report_differ():
    assert rule_colour("menu") == rule_colour("menu") in PALETTE
    assert len({rule_colour(f"rule_{n}") for n in range(60)}) == len(PALETTE)
    # names that land on one colour: one of them takes the next free colour
    clash = next((a, b) for a in map(str, range(99)) for b in map(str, range(99)) if a < b and rule_colour(a) == rule_colour(b))
    assert len(set(colour_map(clash).values())) == 2 and colour_map(clash)[clash[0]] == rule_colour(clash[0])
    names = [f"rule_{n}" for n in range(len(PALETTE))]
    assert sorted(colour_map(names).values()) == sorted(PALETTE)
    assert colour_map(["menu"]) == {"menu": rule_colour("menu")}


def test_a_page_dropped_before_any_decision_still_gets_a_report():
    page = FakePage("https://news.example/en/1.html", None, [])
    record = record_page(page, WrongLanguage("en (letters), not in ['ar']", page.fetched_url))
    tree = dom(render_page(record))
    assert "dropped" in tree.xpath("string(//span[contains(@class, 'verdict')])")
    assert "language" in tree.xpath("string(//header)") and "en (letters)" in tree.xpath("string(//header)")
    assert tree.xpath("//p[@class='empty']")
    assert not tree.xpath("//del")


def test_the_index_has_a_row_and_a_link_per_page_in_url_order(tmp_path):
    records = [
        record_page(FakePage("https://news.example/b.html", "ب", DECISIONS)),
        record_page(FakePage("https://news.example/a.html", None, []),
                    WrongLanguage("fa", "https://news.example/a.html")),
    ]
    index = write_report(tmp_path, records, lost={"not_html": 2})
    tree = dom(index.read_text(encoding="utf-8"))
    rows = tree.xpath("//tbody/tr")
    assert [r.get("class") for r in rows] == ["dropped", "kept"]
    for row in rows:
        href = row.xpath(".//a/@href")[0]
        report = dom((tmp_path / href).read_text(encoding="utf-8"))
        assert report.xpath("string(//dd[@class='fetched'])") == row.xpath("string(.//span[@class='ltr'])")
    assert rows[0].xpath("string(td[4]/bdi[@class='reason'])") == "language"
    assert rows[0].xpath("string(td[4]//small)") == "fa"
    assert rows[1].xpath("string(td[5])") == "17" and rows[1].xpath("string(td[6])") == "12"
    assert "not_html" in tree.xpath("string(//header)")


def test_index_renders_with_no_pages(tmp_path):
    tree = dom(write_report(tmp_path, []).read_text(encoding="utf-8"))
    assert tree.xpath("//tbody") and not tree.xpath("//tbody/tr")


def test_block_words():
    assert Block("واحد اثنان  ثلاثة\nأربعة").words == 4
    assert PageRecord("u", None, [Block("a b", "menu", stage="extract"), Block("c d e")]).words_removed == 2


# --- `scrapy clean --explain`, rendered by a real browser -------------------------------

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
# Pages of the fixture site's "blocks" template (two articles, three section pages) and
# two hand-written pages with their sites' chrome around the article.
EXPLAINED = [FIXTURES / "site" / "blocks", FIXTURES / "evalset" / "pages" / "g1"]


def chromium(profile: Path, url: str, *args: str) -> str:
    binary = shutil.which("chromium")
    assert binary, "chromium is not installed: `make services` (run by `make test` and .ci/run) installs it"
    proc = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain")
    proc = run_scrapy("clean", "--explain", str(out / "report"), *map(str, EXPLAINED))
    index = out / "report" / "index.html"
    assert f"explain report: {index}" in proc.stdout
    return index


def test_the_index_renders_with_a_working_link_to_every_page(report, tmp_path):
    pages = sorted(p for folder in EXPLAINED for p in folder.rglob("*.html"))
    tree = dom(chromium(tmp_path / "profile", report.as_uri(), "--dump-dom"))
    rows = tree.xpath("//tbody/tr")
    assert len(rows) == len(pages)
    assert sorted(r.xpath("string(.//span[@class='ltr'])") for r in rows) == sorted(p.as_uri() for p in pages)
    verdicts = [r.xpath("string(td[3])") for r in rows]
    assert "kept" in verdicts and "dropped" in verdicts
    for row in rows:
        if row.get("class") == "dropped":
            assert row.xpath("string(td[4]/bdi[@class='reason'])"), "a dropped page's row says why"
        # the link leads to that page's own report
        target = report.parent / row.xpath(".//a/@href")[0]
        page = dom(target.read_text(encoding="utf-8"))
        assert page.xpath("string(//dd[@class='fetched'])") == row.xpath("string(.//span[@class='ltr'])")
    # the index's legend names every rule that cut something on any page
    cut_rules = {chip.text_content().rsplit(" ", 1)[0] for chip in tree.xpath("//span[@class='chip']")}
    assert cut_rules and {li.get("data-rule") for li in tree.xpath("//section[@class='legend']//li")} == cut_rules


def test_a_page_report_renders_its_cuts_with_their_rules(report, tmp_path):
    index = dom(report.read_text(encoding="utf-8"))
    # the kept page that lost the most words: followed from the index, as a reader would
    row = max((r for r in index.xpath("//tbody/tr[@class='kept']")), key=lambda r: int(r.xpath("string(td[6])")))
    href = row.xpath(".//a/@href")[0]
    url = report.parent.joinpath(href).as_uri()
    tree = dom(chromium(tmp_path / "profile", url, "--dump-dom"))
    assert tree.get("dir") == "rtl"
    cuts = tree.xpath("//del")
    assert cuts, "the fixture page's chrome shows as removed blocks"
    for cut in cuts:
        box = cut.getparent()
        assert cut.get("data-rule") and box.xpath("string(.//span[@class='rule'])") == cut.get("data-rule")
    assert {li.get("data-rule") for li in tree.xpath("//section[@class='legend']//li")} == \
        {cut.get("data-rule") for cut in cuts}
    # a rule has one colour in the whole report
    index_colours = {li.get("data-rule"): li.get("style") for li in index.xpath("//section[@class='legend']//li")}
    for li in tree.xpath("//section[@class='legend']//li"):
        assert li.get("style") == index_colours[li.get("data-rule")]
    assert tree.xpath("//p[contains(@class, 'kept')]"), "the article's text is there, plain"
    words = sum(len(c.text_content().split()) for c in cuts)
    assert tree.xpath("string(//dd[@class='words-removed'])") == str(words) == row.xpath("string(td[6])")

    # and it looks like something: a screenshot well above a blank page's
    shot, blank = tmp_path / "page.png", tmp_path / "blank.png"
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    chromium(tmp_path / "profile", url, "--window-size=1200,1600", f"--screenshot={shot}")
    chromium(tmp_path / "profile", (tmp_path / "blank.html").as_uri(), "--window-size=1200,1600",
             f"--screenshot={blank}")
    assert png_size(shot) == png_size(blank) == (1200, 1600)
    assert shot.stat().st_size > 4 * blank.stat().st_size


def test_archived_pages_are_explained_and_pages_lost_before_cleaning_are_counted(tmp_path):
    """From a WARC archive, as a crawl saved it: the page's own URL in the index, and a record
    cut off at the end of the archive named in the header (it has no report of its own)."""
    page = FIXTURES / "site" / "blocks" / "world" / "053-indonesia-flores-volcano-evacuation.html"
    body = page.read_bytes()
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for n in (1, 2):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"https://news.example.org/world/{n}.html", "response", payload=io.BytesIO(body),
            length=len(body), http_headers=http))
    archive = tmp_path / "crawl.warc.gz"
    archive.write_bytes(buf.getvalue()[:-60])   # the second record loses its end
    run_scrapy("clean", "--explain", str(tmp_path / "report"), str(archive))
    index = dom((tmp_path / "report" / "index.html").read_text(encoding="utf-8"))
    assert index.xpath("//tbody/tr//span[@class='ltr']/text()") == ["https://news.example.org/world/1.html"]
    assert "warc_truncated 1" in index.xpath("string(//header)")
    report = dom((tmp_path / "report" / index.xpath("//tbody/tr//a/@href")[0]).read_text(encoding="utf-8"))
    assert report.xpath("//del") and report.xpath("//p[contains(@class, 'kept')]")


def test_explain_writes_no_documents(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scrapy", "clean", "--explain", str(tmp_path / "r"),
                           "-o", str(tmp_path / "docs.jsonl"), str(EXPLAINED[0])],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "leave out -o" in proc.stderr
    assert not (tmp_path / "r").exists() and not (tmp_path / "docs.jsonl").exists()


def test_the_report_keeps_what_scrapy_clean_keeps(cleaned, tmp_path):
    """Every page of the fixture site: kept in the report exactly when `scrapy clean` (dedupe
    off, as in the report) makes it a document."""
    site = FIXTURES / "site"
    files = [p for p in site.rglob("*") if p.suffix in (".html", ".htm")]
    run_scrapy("clean", "--explain", str(tmp_path / "report"), str(site))
    index = dom((tmp_path / "report" / "index.html").read_text(encoding="utf-8"))
    rows = {r.xpath("string(.//span[@class='ltr'])").split("/fixtures/site", 1)[1]: r.get("class")
            for r in index.xpath("//tbody/tr")}
    assert len(rows) == len(files)
    assert {path for path, verdict in rows.items() if verdict == "kept"} == set(cleaned)
    # every drop reached Scrapy as a drop: none was counted apart as a pipeline error
    assert not index.xpath("//dt[. = 'lost before cleaning']")
