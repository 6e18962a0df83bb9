"""Every feed format written by one crawl of the fixture site, read back with its own reader:
the same documents, fields in contract order. Batch splitting, and Parquet files of several
runs loading as one dataset."""
import csv
import json
import math
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import demo_seed_for, load_goldens, read_jsonl, run_scrapy
from crawler.exporters import DOCUMENT_SCHEMA, plain_text
from crawler.items import DOCUMENT_FIELDS

pytestmark = pytest.mark.feeds

FIELDS = list(DOCUMENT_FIELDS)
SEED_PATH = "/aggregator/world/000-seed-lavrov-kim.html"
RUN_FILE = re.compile(r"news-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00")   # %(name)s-%(time)s
ROW_GROUP = 10
BATCH = 20


def crawl(site_url, tmp: Path, *feed_args: str) -> Path:
    seed = demo_seed_for(site_url, tmp / "demo.toml")
    state = tmp / "state.sqlite"
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", *feed_args, "-s", f"STATE_URI=sqlite:///{state}")
    return state


@pytest.fixture(scope="module")
def one_run(site_url, tmp_path_factory):
    """One crawl, every format at once, each picked by `-O`'s file extension."""
    tmp = tmp_path_factory.mktemp("formats")
    out = tmp / "out"
    crawl(site_url, tmp, *(arg for ext in ("jsonl", "json", "csv", "xml", "txt")
                           for arg in ("-O", str(out / f"docs.{ext}"))),
          "-O", str(out / "%(name)s-%(time)s.parquet"), "-s", f"PARQUET_ROW_GROUP_SIZE={ROW_GROUP}")
    return out


@pytest.fixture(scope="module")
def batched_run(site_url, tmp_path_factory):
    """Another crawl (its own state store) with FEED_EXPORT_BATCH_ITEM_COUNT, and one feed
    that opts out of it to compare with."""
    tmp = tmp_path_factory.mktemp("batches")
    out = tmp / "out"
    feeds = {
        str(out / "jsonl" / "%(batch_id)d.jsonl"): {"format": "jsonlines"},
        str(out / "parquet" / "%(name)s-%(batch_time)s.parquet"): {"format": "parquet"},
        str(out / "all.jsonl"): {"format": "jsonlines", "batch_item_count": 0},
    }
    state = crawl(site_url, tmp, "-s", f"FEEDS={json.dumps(feeds)}", "-s", f"FEED_EXPORT_BATCH_ITEM_COUNT={BATCH}")
    return out, state


# --- readers: each format back to documents, with the format's documented conversion ------

def from_text(name: str, value: str):
    """A CSV cell or XML element's text as the document value: lists are JSON arrays (CSV),
    numbers are their decimal text, an empty value of a nullable field is null."""
    field = DOCUMENT_SCHEMA.field(name)
    if pa.types.is_list(field.type):
        return json.loads(value)
    if pa.types.is_float64(field.type):
        return float(value)
    if pa.types.is_int64(field.type):
        return int(value)
    return None if value == "" and field.nullable else value


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, [{name: from_text(name, cell) for name, cell in zip(header, row, strict=True)} for row in rows]


def read_xml(path: Path) -> tuple[list[list[str]], list[dict]]:
    orders, docs = [], []
    for item in ET.parse(path).getroot().iter("item"):
        orders.append([child.tag for child in item])
        docs.append({child.tag: [v.text or "" for v in child.iter("value")]
                     if pa.types.is_list(DOCUMENT_SCHEMA.field(child.tag).type)
                     else from_text(child.tag, child.text or "") for child in item})
    return orders, docs


def noted_feeds(state: Path) -> set[str]:
    """The feed files the crawl noted in its state store for crash recovery."""
    with sqlite3.connect(state) as db:
        return {row[0] for row in db.execute("SELECT path FROM feeds")}


# --- the tests -------------------------------------------------------------------------------

def test_every_format_reads_back_the_same_documents(one_run):
    docs = read_jsonl(one_run / "docs.jsonl")
    assert len(docs) >= 50, "the fixture crawl keeps about 57 documents"
    assert all(list(d) == FIELDS for d in docs)
    ids = [d["id"] for d in docs]
    assert len(set(ids)) == len(ids)

    as_json = json.loads((one_run / "docs.json").read_text(encoding="utf-8"))
    assert all(list(d) == FIELDS for d in as_json)
    assert as_json == docs

    header, as_csv = read_csv(one_run / "docs.csv")
    assert header == FIELDS
    assert as_csv == docs

    orders, as_xml = read_xml(one_run / "docs.xml")
    assert all(order == FIELDS for order in orders)
    assert as_xml == docs

    [parquet] = one_run.glob("*.parquet")
    assert RUN_FILE.fullmatch(parquet.stem), parquet.name
    table = pq.read_table(parquet)
    assert table.schema.equals(DOCUMENT_SCHEMA) and table.schema.names == FIELDS
    assert table.to_pylist() == docs

    manifest = (one_run / "docs.txt").read_text(encoding="utf-8").split()
    assert manifest == [f"{i}.txt" for i in ids]
    for doc in docs:
        assert (one_run / "docs" / f"{doc['id']}.txt").read_text(encoding="utf-8") == \
               plain_text(doc["text"], doc["source"])


def test_csv_keywords_survive_the_round_trip(one_run):
    """The JSON-array convention, seen in the file itself: nothing split, nothing merged."""
    docs = read_jsonl(one_run / "docs.jsonl")
    with (one_run / "docs.csv").open(encoding="utf-8", newline="") as f:
        cells = [row["keywords"] for row in csv.DictReader(f)]
    assert any(len(d["keywords"]) > 1 for d in docs) and any(d["keywords"] == [] for d in docs)
    assert cells == [json.dumps(d["keywords"], ensure_ascii=False) for d in docs]


def test_seed_page_txt_is_its_first_12_paragraphs(one_run):
    """docs/document.md: the seed page's plain-text file is the seed file's first 12
    paragraphs: the 11 of the article (its golden `text`) and `المصدر: <source>`. That the
    golden text is the seed file's first 11 paragraphs is tests/test_seed_page.py's
    test_against_the_shared_seed_file; here the file comes from a crawl's txt feed."""
    [golden] = [g for g in load_goldens() if g["path"] == SEED_PATH]
    expected = golden["text"].split("\n\n") + [f"المصدر: {golden['source']}"]
    assert len(expected) == 12
    [doc] = [d for d in read_jsonl(one_run / "docs.jsonl") if d["fetched_url"].endswith(SEED_PATH)]
    written = (one_run / "docs" / f"{doc['id']}.txt").read_text(encoding="utf-8")
    assert re.split(r"\n\s*\n", written.strip()) == expected
    assert written == "\n\n".join(expected) + "\n"


def test_parquet_is_written_in_row_groups(one_run):
    [parquet] = one_run.glob("*.parquet")
    meta = pq.ParquetFile(parquet).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) == len(read_jsonl(one_run / "docs.jsonl"))
    assert meta.num_row_groups == math.ceil(sum(sizes) / ROW_GROUP) > 1
    assert all(size <= ROW_GROUP for size in sizes)


def test_batches_add_up_to_the_single_feed(batched_run):
    out, state = batched_run
    single = read_jsonl(out / "all.jsonl")
    batch_files = sorted((out / "jsonl").glob("*.jsonl"), key=lambda p: int(p.stem))
    batches = [read_jsonl(p) for p in batch_files]
    assert [int(p.stem) for p in batch_files] == list(range(1, len(batches) + 1))
    assert len(batches) == math.ceil(len(single) / BATCH) > 1
    assert all(len(b) == BATCH for b in batches[:-1]) and 0 < len(batches[-1]) <= BATCH
    assert [d for b in batches for d in b] == single

    parquet_batches = [pq.read_table(p) for p in (out / "parquet").glob("*.parquet")]
    assert len(parquet_batches) == len(batches)
    assert all(t.num_rows <= BATCH for t in parquet_batches)
    assert sorted(d for t in parquet_batches for d in t.column("id").to_pylist()) == sorted(d["id"] for d in single)

    # every batch file, not only the first, is where crash recovery would look
    written = {str(p.resolve()) for p in [*batch_files, *(out / "parquet").glob("*.parquet"), out / "all.jsonl"]}
    assert written <= noted_feeds(state)


def test_parquet_files_of_two_runs_load_as_one_dataset(one_run, batched_run):
    out, _ = batched_run
    files = [*one_run.glob("*.parquet"), *(out / "parquet").glob("*.parquet")]
    assert len(files) > 2
    assert all(pq.read_schema(f).equals(DOCUMENT_SCHEMA) for f in files)
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    assert dataset.schema.equals(DOCUMENT_SCHEMA)
    table = dataset.to_table()
    first, second = read_jsonl(one_run / "docs.jsonl"), read_jsonl(out / "all.jsonl")
    assert table.num_rows == len(first) + len(second)
    assert sorted(table.column("id").to_pylist()) == sorted(d["id"] for d in first + second)
