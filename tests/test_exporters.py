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
