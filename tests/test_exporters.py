import csv
import json

import pytest

from conftest import FIXTURES, run_scrapy
from crawler.exporters import FlushingJsonLinesItemExporter, TxtItemExporter, plain_text
from crawler.items import DOCUMENT_FIELDS, Document


def doc(**kw):
    base = dict.fromkeys(DOCUMENT_FIELDS)
    base.update(id="ab12", text="فقرة أولى.\n\nفقرة ثانية.", keywords=[], word_count=4)
    base.update(kw)
    return Document(**base)


def test_jsonl_reaches_the_file_before_the_feed_closes(tmp_path):
    path = tmp_path / "out.jsonl"
    with path.open("wb") as f:
        exporter = FlushingJsonLinesItemExporter(f, encoding="utf-8")
        exporter.start_exporting()
        exporter.export_item(doc())
        # read through another handle while the feed is still open, as after a kill -9
        assert json.loads(path.read_text(encoding="utf-8"))["text"] == "فقرة أولى.\n\nفقرة ثانية."


def test_txt_layout_and_safe_names(tmp_path):
    assert plain_text("نص.", "رويترز") == "نص.\n\nالمصدر: رويترز\n"
    assert plain_text("نص.", None) == "نص.\n"
    with (tmp_path / "run.txt").open("wb") as f:
        exporter = TxtItemExporter(f)
        exporter.start_exporting()
        exporter.export_item(doc(source="رويترز"))
        with pytest.raises(ValueError, match="file name"):
            exporter.export_item(doc(id="../../etc/passwd"))
    assert (tmp_path / "run" / "ab12.txt").read_text(encoding="utf-8") == "فقرة أولى.\n\nفقرة ثانية.\n\nالمصدر: رويترز\n"
    assert (tmp_path / "run.txt").read_text() == "ab12.txt\n"


def test_csv_feed_has_the_contract_fields_in_order(tmp_path):
    out = tmp_path / "docs.csv"
    run_scrapy("clean", str(FIXTURES / "site" / "portal" / "sports"), "-O", str(out))
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == DOCUMENT_FIELDS and len(rows) == 2


# --- parquet, csv and xml: the formats whose Scrapy defaults would lose part of a document ----

def full_doc(**kw):
    """A document with every contract field of the right type, nullable ones null."""
    return doc(**{**dict(url="https://example.com/a", fetched_url="https://example.com/a", site="example.com",
                         title="عنوان", keywords=["كوريا, الشمالية", 'روسيا "اليوم"'], lang="ar",
                         lang_score=0.9999971, text_hash="cd34", crawled_at="2025-07-12T11:20:00Z"), **kw})


def test_parquet_round_trip_has_the_fixed_schema(tmp_path):
    import pyarrow.parquet as pq
    from crawler.exporters import DOCUMENT_SCHEMA, ParquetItemExporter

    items = [full_doc(), full_doc(id="ef56", keywords=[], source="رويترز", published="2025-07-12")]
    path = tmp_path / "docs.parquet"
    with path.open("wb") as f:
        exporter = ParquetItemExporter(f)
        exporter.start_exporting()
        for item in items:
            exporter.export_item(item)
        exporter.finish_exporting()
    table = pq.read_table(path)
    assert table.schema.equals(DOCUMENT_SCHEMA) and table.schema.names == list(DOCUMENT_FIELDS)
    assert table.to_pylist() == [dict(item) for item in items]
    nullable = {f.name for f in DOCUMENT_SCHEMA if f.nullable}
    assert {"source", "published", "author"} <= nullable and not nullable & {"id", "text", "keywords", "word_count"}


def test_parquet_row_groups_reach_the_file_before_it_closes(tmp_path):
    import pyarrow.parquet as pq
    from crawler.exporters import ParquetItemExporter

    path = tmp_path / "docs.parquet"
    with path.open("wb") as f:
        exporter = ParquetItemExporter(f, row_group_size=2)
        exporter.start_exporting()
        exporter.export_item(full_doc(id="a1"))
        before = path.stat().st_size
        exporter.export_item(full_doc(id="a2"))
        assert path.stat().st_size > before + 100   # a row group, read through another handle
        exporter.export_item(full_doc(id="a3"))
        exporter.finish_exporting()
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    assert pq.read_table(path).column("id").to_pylist() == ["a1", "a2", "a3"]


@pytest.mark.parametrize("bad", [dict(word_count=1.5), dict(word_count="4"), dict(keywords="روسيا"), dict(text=None),
                                 dict(lang_score=True)])
def test_parquet_refuses_a_bad_document_alone(tmp_path, bad):
    """pyarrow would turn 1.5 into 1 and a string into a list of its letters: refused instead,
    at export_item, so the feed exporter counts that document and writes the others."""
    import pyarrow.parquet as pq
    from crawler.exporters import ParquetItemExporter

    path = tmp_path / "docs.parquet"
    with path.open("wb") as f:
        exporter = ParquetItemExporter(f, row_group_size=1)
        exporter.start_exporting()
        exporter.export_item(full_doc(id="a1"))
        with pytest.raises(ValueError, match=next(iter(bad))):
            exporter.export_item(full_doc(id="a2", **bad))
        exporter.export_item(full_doc(id="a3"))
        exporter.finish_exporting()
    assert pq.read_table(path).column("id").to_pylist() == ["a1", "a3"]


def test_parquet_will_not_append_to_an_existing_file(tmp_path):
    from crawler.exporters import ParquetItemExporter

    path = tmp_path / "docs.parquet"
    path.write_bytes(b"PAR1 an earlier run")
    with path.open("ab") as f:   # what `-o` opens
        with pytest.raises(ValueError, match="cannot be appended"):
            ParquetItemExporter(f).start_exporting()
    assert path.read_bytes() == b"PAR1 an earlier run"


def test_csv_keywords_are_a_json_array_and_null_is_empty(tmp_path):
    from crawler.exporters import CsvJsonListsItemExporter

    items = [full_doc(), full_doc(keywords=[])]
    path = tmp_path / "docs.csv"
    with path.open("wb") as f:
        exporter = CsvJsonListsItemExporter(f, fields_to_export=list(DOCUMENT_FIELDS))
        exporter.start_exporting()
        for item in items:
            exporter.export_item(item)
        exporter.finish_exporting()
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [json.loads(r["keywords"]) for r in rows] == [items[0]["keywords"], []]
    assert rows[0]["source"] == "" and rows[0]["text"] == items[0]["text"]
    assert float(rows[0]["lang_score"]) == items[0]["lang_score"]


def test_xml_null_is_an_empty_element(tmp_path):
    import xml.etree.ElementTree as ET

    from crawler.exporters import XmlNullsItemExporter

    path = tmp_path / "docs.xml"
    with path.open("wb") as f:
        exporter = XmlNullsItemExporter(f, fields_to_export=list(DOCUMENT_FIELDS))
        exporter.start_exporting()
        exporter.export_item(full_doc())
        exporter.finish_exporting()
    item = ET.parse(path).getroot().find("item")
    assert [child.tag for child in item] == list(DOCUMENT_FIELDS)
    assert item.findtext("source") == "" and item.findtext("author") == ""
    assert [v.text for v in item.find("keywords")] == ["كوريا, الشمالية", 'روسيا "اليوم"']
