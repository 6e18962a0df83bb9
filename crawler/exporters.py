"""Feed exporters beyond Scrapy's own: registered in FEED_EXPORTERS."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy.exporters import BaseItemExporter, CsvItemExporter, JsonLinesItemExporter, XmlItemExporter
from scrapy.utils.python import to_bytes

from crawler import faults
from pipelines.page import DOCUMENT_FIELDS


class FlushingJsonLinesItemExporter(JsonLinesItemExporter):
    """JSON Lines that reach the file as each item is exported: Scrapy's buffered file
    loses the last items when the process is killed (docs/development.md)."""

    def export_item(self, item):
        super().export_item(item)
        self.file.flush()


def plain_text(text: str, source: str | None) -> str:
    """The seed layout: the text, then `المصدر: <source>` as a last paragraph, then a newline."""
    return text + (f"\n\nالمصدر: {source}" if source else "") + "\n"


class TxtItemExporter(BaseItemExporter):
    """One UTF-8 file per document, `<id>.txt`, in a folder beside the feed file (the feed
    path without its extension, or the `directory` export option). The feed file itself
    lists the written file names, one per line."""

    def __init__(self, file, *, directory: str | None = None, **kwargs):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        name = getattr(file, "name", None)
        if directory is None:
            if not isinstance(name, str):
                raise ValueError("the txt feed writes files beside the feed: use a local file URI "
                                 "or set item_export_kwargs={'directory': ...}")
            directory = os.path.splitext(name)[0]
        self.directory = Path(directory)

    def start_exporting(self):
        self.directory.mkdir(parents=True, exist_ok=True)

    def export_item(self, item):
        fields = dict(self.get_serialized_fields(item, default_value=None))
        doc_id = str(fields["id"])
        if not doc_id.isalnum():  # ids are hex digests; anything else must not become a path
            raise ValueError(f"refusing document id {doc_id!r} as a file name")
        path = self.directory / f"{doc_id}.txt"
        tmp = path.with_suffix(".txt.tmp")
        tmp.write_text(plain_text(fields["text"], fields.get("source")), encoding="utf-8")
        os.replace(tmp, path)  # a reader never sees half a document
        self.file.write(to_bytes(f"{path.name}\n"))
        self.file.flush()

    def serialize_field(self, field, name, value):
        return value


# --- formats whose Scrapy exporters lose part of a document ---------------------------------

class CsvJsonListsItemExporter(CsvItemExporter):
    """CSV whose list cells (`keywords`) are JSON arrays, `["كوريا الشمالية", "روسيا"]`: Scrapy's
    default joins them with "," so a keyword holding a comma splits in two and [] reads back as
    [""]; JSON is lossless and every CSV consumer can parse it. A null is an empty cell."""

    def serialize_field(self, field, name, value):
        if isinstance(value, (list, tuple)):
            return json.dumps(list(value), ensure_ascii=False)
        return super().serialize_field(field, name, value)


class XmlNullsItemExporter(XmlItemExporter):
    """Scrapy's XML, with a null written as an empty element: Scrapy's own writes the text
    "None", which reads back as a string."""

    def serialize_field(self, field, name, value):
        return "" if value is None else super().serialize_field(field, name, value)


# --- Parquet --------------------------------------------------------------------------------

# The fields the contract never leaves null; the others ("str or null": source, published,
# author) and any field added to the contract later are nullable strings unless typed below.
REQUIRED_FIELDS = frozenset({"id", "url", "fetched_url", "site", "text", "keywords", "lang",
                             "lang_score", "word_count", "text_hash", "crawled_at"})
_ARROW_TYPES = {
    # list children are named "element": the name Parquet stores, so a file reads back with
    # exactly this schema and files of many runs compare equal
    "keywords": pa.list_(pa.field("element", pa.string(), nullable=False)),
    "lang_score": pa.float64(),
    "word_count": pa.int64(),
}
DOCUMENT_SCHEMA = pa.schema([
    pa.field(name, _ARROW_TYPES.get(name, pa.string()), nullable=name not in REQUIRED_FIELDS)
    for name in DOCUMENT_FIELDS
])


def _fits(value, type_) -> bool:
    """Whether a Python value is of an Arrow type as is: pyarrow converts silently, 1.5 to an
    int64 1 and "abc" to a list ["a", "b", "c"], which would change a document unnoticed."""
    if pa.types.is_string(type_):
        return isinstance(value, str)
    if pa.types.is_int64(type_):
        return isinstance(value, int) and not isinstance(value, bool)
    if pa.types.is_float64(type_):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if pa.types.is_list(type_):
        return isinstance(value, (list, tuple)) and all(_fits(v, type_.value_type) for v in value)
    raise TypeError(f"no check for Arrow type {type_}")


class ParquetItemExporter(BaseItemExporter):
    """Documents as Parquet with the fixed DOCUMENT_SCHEMA, so the files of many runs load as one
    dataset. Rows are written as row groups of `row_group_size` documents (PARQUET_ROW_GROUP_SIZE)
    as the run goes, which bounds memory; the file is readable only once the feed closes (the
    footer is written last), so a killed run leaves an unreadable file: use
    FEED_EXPORT_BATCH_ITEM_COUNT for long runs, and keep the JSON Lines feed beside it."""

    def __init__(self, file, *, row_group_size: int = 1000, **kwargs):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.row_group_size = int(row_group_size)
        if self.row_group_size < 1:
            raise ValueError(f"row_group_size must be at least 1, not {row_group_size!r}")
        fields = self.fields_to_export or DOCUMENT_FIELDS
        if isinstance(fields, Mapping) or not set(fields) <= set(DOCUMENT_FIELDS):
            raise ValueError(f"a parquet feed writes document fields only, by their names: {fields!r}")
        self.schema = pa.schema([DOCUMENT_SCHEMA.field(name) for name in fields])
        self.fields_to_export = list(fields)
        self.rows: list[dict] = []
        self.writer: pq.ParquetWriter | None = None

    @classmethod
    def from_crawler(cls, crawler, file, **kwargs):
        kwargs.setdefault("row_group_size", crawler.settings.getint("PARQUET_ROW_GROUP_SIZE", 1000))
        return cls(file, **kwargs)

    def start_exporting(self):
        # `-o` opens local files for appending; Parquet cannot be appended to, the result
        # would be a broken file
        mode = getattr(self.file, "mode", "")
        if "a" in mode and self.file.tell() > 0:
            raise ValueError(f"{getattr(self.file, 'name', 'the feed file')} already exists and a parquet "
                             "file cannot be appended to: use -O, or %(time)s in the feed URI")
        self.writer = pq.ParquetWriter(self.file, self.schema)

    def export_item(self, item):
        # checked here, not when the row group is written, so that a bad document fails alone
        row = dict(self.get_serialized_fields(item, default_value=None, include_empty=True))
        for field in self.schema:
            value = row[field.name]
            if value is None:
                if not field.nullable:
                    raise ValueError(f"{field.name} is null; the document contract requires a value")
            elif not _fits(value, field.type):
                raise ValueError(f"{field.name} is {type(value).__name__} {value!r:.60}, not {field.type}")
        self.rows.append(row)
        if len(self.rows) >= self.row_group_size:
            self._write_row_group()

    def finish_exporting(self):
        self._write_row_group()
        self.writer.close()  # writes the footer; the feed storage closes the file

    def _write_row_group(self):
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema),
                                    row_group_size=len(self.rows))
            self.rows = []
            self.file.flush()
            faults.reached("parquet_batch")
