"""The explain report: the renderer on hand-made decisions, and `scrapy clean --explain` on
fixture pages, rendered by a real headless Chromium."""
from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest

from conftest import FIXTURES, run_scrapy
from pipelines.drops import WrongLanguage
from pipelines.explain import PALETTE, Block, PageRecord, record_page, render_index, render_page, rule_colour, write_report

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
        assert rule_colour(decision.rule) in cut.get("style")
    # the extract stage's boxes come under their own heading, before the text
    stages = [s.get("data-stage") for s in tree.xpath("//section[@data-stage]")]
    assert stages == ["extract", "clean"]
    assert {li.get("data-rule") for li in tree.xpath("//section[@class='legend']//li")} == {"menu", "read_also", "promo"}
    assert tree.xpath("string(//dd[@class='words-kept'])") == str(9 + 8)
    assert tree.xpath("string(//dd[@class='words-removed'])") == str(4 + 5 + 3)


def test_page_text_is_escaped_not_markup():
    text = render_page(record_page(FakePage("https://news.example/x?a=1&b=<2>", "<i>t</i>", DECISIONS)))
    tree = dom(text)
    assert not tree.xpath("//script") and not tree.xpath("//h1/i")
    assert "<script>alert(1)</script>" in tree.xpath("//del")[-1].text_content()
    assert tree.xpath("//dd/a")[0].get("href") == "https://news.example/x?a=1&b=<2>"


def test_a_rule_keeps_its_colour_from_the_fixed_palette():
    assert rule_colour("menu") == rule_colour("menu") in PALETTE
    assert len({rule_colour(f"rule_{n}") for n in range(60)}) == len(PALETTE)


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
        assert report.xpath("string(//dd/a)") == row.xpath("string(.//span[@class='ltr'])")
    assert rows[0].xpath("string(td[4])") == "language"
    assert rows[1].xpath("string(td[5])") == "17" and rows[1].xpath("string(td[6])") == "12"
    assert "not_html" in tree.xpath("string(//header)")


def test_index_renders_with_no_pages(tmp_path):
    tree = dom(write_report(tmp_path, []).read_text(encoding="utf-8"))
    assert tree.xpath("//tbody") and not tree.xpath("//tbody/tr")


def test_block_words():
    assert Block("واحد اثنان  ثلاثة\nأربعة").words == 4
    assert PageRecord("u", None, [Block("a b", "menu", stage="extract"), Block("c d e")]).words_removed == 2
