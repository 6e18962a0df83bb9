"""Feed exporters beyond Scrapy's own: registered in FEED_EXPORTERS."""
from __future__ import annotations

import os
from pathlib import Path

from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter
from scrapy.utils.python import to_bytes


class FlushingJsonLinesItemExporter(JsonLinesItemExporter):
    """JSON Lines that reach the file as each item is exported: Scrapy's buffered file
    loses the last items when the process is killed (FIELD-NOTES)."""

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
