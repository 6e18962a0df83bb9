"""A JSON Lines exporter that fails on about half of the documents (tests/test_faults.py)."""
from crawler.exporters import FlushingJsonLinesItemExporter


class FlakyJsonLinesExporter(FlushingJsonLinesItemExporter):
    def export_item(self, item):
        if item["id"][0] in "01234567":
            raise OSError("disk full (simulated)")
        super().export_item(item)
