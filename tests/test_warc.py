"""WARC out (a crawl archives every raw response) and WARC in (`scrapy clean` reads archives)."""
from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import demo_seed_for, read_jsonl, run_scrapy
from crawler.warc import RotatingWarcWriter

pytestmark = pytest.mark.warc

MAX_SIZE = 100_000   # the fixture crawl archives about half a megabyte: several files
FILE_NAME = re.compile(r"^test-\d{14}-\d{5}\.warc\.gz$")


def stats_of(proc) -> dict[str, int]:
    """The integer stats of Scrapy's end-of-run dump in a child's log."""
    dump = proc.stderr.rsplit("Dumping Scrapy stats", 1)[1]
    return {k: int(v) for k, v in re.findall(r"'([\w/.-]+)': (\d+)[,}]", dump)}


def records_of(path: Path) -> list:
    """Every record, read to its end with its digests checked (a bad one raises)."""
    out = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            payload = record.content_stream().read()
            out.append((record.rec_type, record.rec_headers, record.http_headers, payload))
    return out


# --- a crawl archived, and its archive cleaned again -------------------------------------

@pytest.fixture(scope="module")
def archived(site_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warc")
    seed = demo_seed_for(site_url, tmp / "demo.toml")
    warc_dir = tmp / "warc"
    crawl = run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(tmp / "crawl.jsonl"),
                       "-s", f"STATE_URI=sqlite:///{tmp / 'state.sqlite'}",
                       "-s", f"WARC_DIR={warc_dir}", "-s", f"WARC_MAX_SIZE={MAX_SIZE}", "-s", "WARC_PREFIX=test")
    # WARC_DIR here too: replayed responses are never archived a second time
    clean = run_scrapy("clean", str(warc_dir), "-O", str(tmp / "clean.jsonl"),
                       "-s", f"WARC_DIR={tmp / 'rearchived'}")
    return {"tmp": tmp, "dir": warc_dir, "crawl": stats_of(crawl), "clean": stats_of(clean),
            "crawl_docs": read_jsonl(tmp / "crawl.jsonl"), "clean_docs": read_jsonl(tmp / "clean.jsonl")}


def test_crawl_archive_rotates_into_valid_files(archived):
    files = sorted(archived["dir"].iterdir())
    assert len(files) >= 3 and all(FILE_NAME.match(f.name) for f in files), [f.name for f in files]
    # a new file only once the one before has passed WARC_MAX_SIZE
    assert all(f.stat().st_size >= MAX_SIZE for f in files[:-1])
    records = []
    for f in files:
        in_file = records_of(f)
        assert in_file[0][0] == "warcinfo" and [r[0] for r in in_file].count("warcinfo") == 1
        assert in_file[0][1].get_header("WARC-Filename") == f.name
        records += in_file
    stats = archived["crawl"]
    assert len(records) == stats["warc/records"]
    assert sum(f.stat().st_size for f in files) == stats["warc/bytes"]
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == stats["downloader/response_count"]
    assert [r[0] for r in records].count("request") == len(responses)
    for _, _, http, payload in responses:
        assert int(http.get_header("Content-Length")) == len(payload)
        assert http.get_header("Transfer-Encoding") is None


def test_archive_holds_every_kind_of_response(archived):
    seen = {}
    for f in archived["dir"].iterdir():
        for kind, rec, http, payload in records_of(f):
            if kind == "response":
                seen[rec.get_header("WARC-Target-URI")] = (http.get_statuscode(), payload)
    paths = {url.split("/", 3)[3]: status for url, (status, _) in seen.items()}
    assert paths["robots.txt"] == "200"
    assert paths["sitemap_index.xml"] == "200"
    assert any(p.endswith(".xml.gz") for p in paths)          # gzip sitemaps, as sent
    assert "301" in paths.values() and "404" in paths.values()  # redirects and errors too
    assert any(p.endswith("rss.xml") for p in paths) and any(p.endswith("atom.xml") for p in paths)


def test_cleaning_the_archive_gives_the_crawls_documents(archived):
    crawl, clean = archived["crawl_docs"], archived["clean_docs"]
    assert len(crawl) >= 50
    drop = lambda d: {k: v for k, v in d.items() if k != "crawled_at"}  # noqa: E731
    assert {d["id"]: drop(d) for d in clean} == {d["id"]: drop(d) for d in crawl}
    assert archived["clean"]["warc/responses"] + archived["clean"]["warc/skipped_non_html"] \
        + archived["clean"]["warc/skipped_status"] == archived["crawl"]["downloader/response_count"]
    assert not (archived["tmp"] / "rearchived").exists()


# --- hand-made archives --------------------------------------------------------------------

ARTICLES = {
    "water": ("خطة لتحسين شبكة المياه في الأحياء الشرقية", [
        "أعلنت بلدية مدينة الواحة الخضراء اليوم عن خطة جديدة لتحسين شبكة المياه في الأحياء الشرقية، بعد سنوات "
        "من الشكاوى المتكررة من انقطاع الإمداد خلال أشهر الصيف. وقال رئيس البلدية في مؤتمر صحفي إن المشروع يشمل "
        "استبدال الأنابيب القديمة وبناء خزانين كبيرين قرب المدخل الشمالي للمدينة، على أن تبدأ الأعمال مطلع الشهر "
        "المقبل وتستمر نحو عام كامل.",
        "وأوضح أن كلفة المشروع تبلغ قرابة أربعين مليون دينار، تتحمل الحكومة المركزية نصفها، فيما تغطي البلدية "
        "الباقي من ميزانيتها السنوية ومن قرض ميسر. وأضاف أن فرقا هندسية أجرت مسحا شاملا للشبكة الحالية، وتبين أن "
        "ثلث الأنابيب تجاوز عمرها الافتراضي منذ مدة طويلة.",
        "ورحب سكان الأحياء المعنية بالخطة، لكنهم طالبوا بجدول زمني واضح وبحلول مؤقتة خلال فترة الأشغال، مثل توزيع "
        "المياه بالصهاريج على المنازل والمدارس. وقالت إحدى الساكنات إن العائلات تشتري المياه منذ ثلاثة أعوام "
        "بأسعار مرتفعة، وإنها تأمل أن ينتهي هذا العناء قريبا.",
    ]),
    "reading": ("ألفا تلميذ في مسابقة القراءة السنوية", [
        "نظمت مديرية التعليم في المحافظة الجنوبية مسابقة للقراءة شارك فيها أكثر من ألفي تلميذ من المدارس "
        "الابتدائية والإعدادية، في دورتها الخامسة التي امتدت على مدى ستة أسابيع. وتنافس المشاركون في تلخيص الكتب "
        "ومناقشتها أمام لجان من المعلمين والأدباء المحليين.",
        "وفازت تلميذة في الصف السادس بالمرتبة الأولى بعد أن قرأت خمسين كتابا خلال مدة المسابقة، وقدمت عرضا عن "
        "رواية للفتيان تتناول رحلة صياد شاب في البحر. وقالت والدتها إن ابنتها اعتادت زيارة مكتبة الحي كل أسبوع "
        "منذ صغرها.",
        "وأكد مدير التعليم أن المديرية ستفتتح عشر مكتبات مدرسية جديدة قبل نهاية العام الدراسي، وأنها تعمل مع دور "
        "نشر عربية لتوفير كتب مناسبة لأعمار التلاميذ بأسعار مخفضة. ودعا أولياء الأمور إلى تشجيع أبنائهم على "
        "القراءة في العطل.",
    ]),
    "dates": ("موسم جني التمور يبدأ بتوقعات إنتاج وفير", [
        "بدأ مزارعو النخيل في الواحات الجنوبية موسم جني التمور وسط توقعات بإنتاج يفوق العام الماضي بنحو خمس عشرة "
        "في المئة، بفضل الأمطار الغزيرة التي هطلت في الربيع. وتشغل عمليات الجني آلاف العمال الموسميين الذين يأتون "
        "من القرى المجاورة كل خريف.",
        "وقال رئيس تعاونية المزارعين إن التعاونية اشترت هذا العام آلات حديثة لفرز التمور وتعبئتها، ما سيسمح بتصدير "
        "كميات أكبر إلى الأسواق الخارجية. وأشار إلى أن ارتفاع كلفة النقل يبقى أكبر عقبة أمام صغار المنتجين الذين "
        "لا يملكون مخازن مبردة.",
        "ويطالب المزارعون السلطات بتعبيد الطرق الريفية التي تربط الواحات بالمدن الكبرى، وبتقديم قروض لبناء وحدات "
        "تبريد مشتركة. ويرى خبراء أن تطوير هذا القطاع قد يوفر مئات فرص العمل الدائمة للشباب في المنطقة.",
    ]),
    "museum": ("معرض أثري جديد في المتحف الوطني", [
        "افتتح المتحف الوطني معرضا جديدا يضم أكثر من مئتي قطعة أثرية عثر عليها خلال حفريات السنوات العشر الأخيرة "
        "في الساحل الغربي، من بينها أوان فخارية وقطع نقدية وحلي نحاسية. ويستمر المعرض ثلاثة أشهر، ويفتح أبوابه "
        "للزوار يوميا ما عدا يوم الجمعة.",
        "وقالت مديرة المتحف إن القطع المعروضة تكشف جوانب من الحياة اليومية في موانئ قديمة كانت تربط المنطقة بطرق "
        "التجارة البحرية. وأضافت أن فريقا من المرممين عمل أشهرا طويلة على تنظيف القطع وتوثيقها قبل عرضها على "
        "الجمهور.",
        "وخصص المتحف قاعة للأطفال تتضمن ورشات للرسم وصناعة الفخار، كما أعد دليلا صوتيا باللغتين العربية "
        "والإنجليزية. ويأمل القائمون على المعرض أن يجذب عددا كبيرا من طلاب المدارس والجامعات خلال العطلة الشتوية.",
    ]),
}
WARC_DATE = "2024-03-05T10:15:00Z"


def url_of(key: str) -> str:
    return f"https://news.example.org/local/{key}.html"


def article_html(key: str) -> str:
    """A page with no charset of its own: only an HTTP header can say how it is encoded."""
    title, paragraphs = ARTICLES[key]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><title>{title}</title>'
            '<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2024-03-05T09:30:00Z">'
            f'<link rel="canonical" href="{url_of(key)}"></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


def text_of(key: str) -> str:
    return "\n\n".join(ARTICLES[key][1])


def response_record(writer, url: str, body: bytes, headers: list[tuple[str, str]], status: str = "200 OK"):
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                     http_headers=http, warc_headers_dict={"WARC-Date": WARC_DATE})


def html_record(writer, key: str):
    body = article_html(key).encode("utf-8")
    return response_record(writer, url_of(key), body, [("Content-Type", "text/html; charset=utf-8"),
                                                       ("Content-Length", str(len(body)))])


def clean(tmp_path: Path, *paths: Path):
    out = tmp_path / "out.jsonl"
    proc = run_scrapy("clean", *map(str, paths), "-O", str(out))
    return read_jsonl(out), stats_of(proc)


def test_charset_from_the_records_content_type_header(tmp_path):
    path = tmp_path / "cp1256.warc.gz"
    body = article_html("water").encode("cp1256")
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(response_record(writer, url_of("water"), body, [
            ("Content-Type", "text/html; charset=windows-1256"), ("Content-Length", str(len(body)))]))
    docs, stats = clean(tmp_path, path)
    assert [d["text"] for d in docs] == [text_of("water")]
    assert docs[0]["url"] == docs[0]["fetched_url"] == url_of("water")
    assert docs[0]["crawled_at"] == WARC_DATE          # when the archive says it was fetched
    # decoded as the header says at once, not rescued from mojibake by decoding by evidence
    assert "decoding/redecoded" not in stats


def test_only_html_responses_are_cleaned(tmp_path):
    path = tmp_path / "mixed.warc"   # uncompressed, as some tools write them
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        writer.write_record(html_record(writer, "reading"))
        data = b'{"title": "not a page"}'
        writer.write_record(response_record(writer, "https://news.example.org/api/latest.json", data,
                                            [("Content-Type", "application/json")]))
        request = StatusAndHeaders("GET /local/reading.html HTTP/1.1", [("Host", "news.example.org")],
                                   is_http_request=True)
        writer.write_record(writer.create_warc_record(url_of("reading"), "request", http_headers=request))
        writer.write_record(writer.create_warc_record(url_of("reading"), "metadata",
                                                      payload=io.BytesIO(b"via: test\r\n"), length=11))
        gone = article_html("museum").encode("utf-8")
        writer.write_record(response_record(writer, url_of("museum"), gone, [("Content-Type", "text/html")],
                                            status="404 Not Found"))
    docs, stats = clean(tmp_path, path)
    assert [d["fetched_url"] for d in docs] == [url_of("reading")]
    assert stats["warc/skipped_non_html"] == 1
    assert stats["warc/skipped_status"] == 1
    assert stats["warc/responses"] == 1


def test_chunked_and_gzip_encoded_payload_is_decoded(tmp_path):
    """Archives of other crawlers keep the bytes as sent: chunked, and compressed."""
    path = tmp_path / "encoded.warc.gz"
    zipped = gzip.compress(article_html("dates").encode("utf-8"))
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(zipped[i:i + 500]), zipped[i:i + 500])
                       for i in range(0, len(zipped), 500)) + b"0\r\n\r\n"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(response_record(writer, url_of("dates"), chunked, [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked")]))
    docs, _ = clean(tmp_path, path)
    assert [d["text"] for d in docs] == [text_of("dates")]


def test_truncated_and_corrupt_archives_are_counted_not_fatal(tmp_path):
    folder = tmp_path / "archives"
    folder.mkdir()
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for key in ("water", "reading", "dates"):
        writer.write_record(html_record(writer, key))
    data = buf.getvalue()
    (folder / "cut.warc.gz").write_bytes(data[:-60])   # the last record loses its end
    (folder / "noise.warc.gz").write_bytes(b"this is not an archive at all\n" * 40)
    docs, stats = clean(tmp_path, folder)
    assert sorted(d["fetched_url"] for d in docs) == sorted([url_of("water"), url_of("reading")])
    assert stats["docs/dropped/warc_truncated"] == 1
    assert stats["docs/dropped/warc_corrupt"] == 1


def test_a_killed_writer_leaves_every_written_record_readable(tmp_path):
    info = {"software": "test"}
    writer = RotatingWarcWriter(tmp_path, "test", 10**9, info)
    body = gzip.compress(article_html("museum").encode("utf-8"))
    for key in ("water", "reading", "museum"):
        request = Request(url_of(key), headers={"User-Agent": "test"})
        response = HtmlResponse(url_of(key), status=200, body=body, request=request, headers={
            "Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"})
        writer.write_exchange(request, response)
    # never closed: read while the writer still holds the file open, as after a kill
    (path,) = writer.files
    records = records_of(path)
    assert [r[0] for r in records] == ["warcinfo"] + ["response", "request"] * 3
    assert writer.records == len(records) and writer.bytes == path.stat().st_size
    _, rec, http, payload = records[1]
    assert http.statusline == "200 OK" and http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Transfer-Encoding") is None
    assert int(http.get_header("Content-Length")) == len(body)
    assert payload == article_html("museum").encode("utf-8")   # warcio decodes the gzip it says it holds
    assert records[2][2].protocol == "GET" and records[2][1].get_header("WARC-Concurrent-To") == \
        rec.get_header("WARC-Record-ID")
    writer.close()


def test_of_two_copies_the_first_in_the_archive_is_kept_though_it_cleans_last(tmp_path):
    """The first copy is a heavy page (slow to clean), the second the same article bare:
    with two cleaning processes the second finishes first, and dedupe still keeps the
    first, as a crawl that downloaded them in this order would."""
    path = tmp_path / "copies.warc.gz"
    menu = "".join(f'<li><a href="/section/{n}.html">قسم الأخبار رقم {n}</a></li>' for n in range(40_000))
    heavy = article_html("water").replace("<body>", f"<body><nav><ul>{menu}</ul></nav>").encode("utf-8")
    bare = article_html("water").encode("utf-8")
    first, second = "https://news.example.org/local/water-first.html", "https://copy.example.net/water.html"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body in ((first, heavy), (second, bare)):
            writer.write_record(response_record(writer, url, body, [("Content-Type", "text/html; charset=utf-8")]))
    out = tmp_path / "out.jsonl"
    proc = run_scrapy("clean", str(path), "-O", str(out), "-s", "CLEANING_PROCESSES=2")
    docs, stats = read_jsonl(out), stats_of(proc)
    assert [d["fetched_url"] for d in docs] == [first]
    assert docs[0]["text"] == text_of("water")
    assert stats["docs/dropped/duplicate"] == 1
