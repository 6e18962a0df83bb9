"""The hostile web (tests/hostile_site.py) through the real crawler on loopback: every case
ends as a correct document or a counted drop with its reason, and the crawl finishes."""
import json
import re

import pytest

from conftest import ROOT, read_jsonl, run_scrapy
from tests.hostile_site import PARAGRAPHS, start

pytestmark = pytest.mark.hostile

FAST = ["-s", "DEDUPE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False",
        "-s", "LOG_LEVEL=DEBUG", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
DROP_LINE = re.compile(r"(?:docs/dropped/(\w+) <([^>]+)>|Dropped: (\w+): .*<([^>]+)>)")


@pytest.fixture(scope="module")
def server():
    httpd = start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def seed_file(tmp, base, **extra):
    lines = ['name = "hostile"', 'allowed_domains = ["127.0.0.1"]', 'article_pattern = "/"',
             "allow_private_networks = true"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    if "start_urls" not in extra and "sitemaps" not in extra:
        lines.append(f'start_urls = ["{base}/ok"]')
    path = tmp / "seed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outcomes(log_text):
    out = {}
    for m in DROP_LINE.finditer(log_text):
        reason, url = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out[url.split("/", 3)[3].split("?")[0]] = reason
    return out


@pytest.fixture(scope="module")
def crawl(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    paths = ["charset-meta-wrong", "charset-header-wrong", "charset-none", "bom-vs-meta", "mixed-encodings",
             "mojibake-source", "truncated", "deep-nesting", "huge-page", "no-body", "only-javascript",
             "nul-bytes", "content-length-too-big", "gzip-bomb", "pdf", "image", "json-body", "empty",
             "soft-404", "redirect-loop", "redirect-offsite", "flaky", "stall", "reset-mid-body", "trickle",
             "ok", "canonical-offsite", "canonical-relative", "tracked?utm_source=x&fbclid=y",
             "tracked#comments", "TRACKED-scheme"]
    # the last: the same story with the scheme in capitals (host case: tests/test_urls.py)
    urls = [f"{server}/{p}" if p != "TRACKED-scheme" else server.replace("http:", "HTTP:") + "/tracked" for p in paths]
    urls.append(f"http://مثال.إختبار:{server.rsplit(':', 1)[1]}/idn-host")   # an IDN host that does not resolve
    listing = tmp / "urls.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    out, log = tmp / "out.jsonl", tmp / "crawl.log"
    run_scrapy("crawl", "news", "-a", f"seeds={seed_file(tmp, server)}", "-a", f"urls={listing}",
               "-O", str(out), "-s", f"STATE_URI=sqlite:///{tmp}/s.sqlite", "-s", f"LOG_FILE={log}", *FAST,
               cwd=ROOT, timeout=240)
    docs = {d["fetched_url"].split("/", 3)[3].split("?")[0].split("#")[0]: d for d in read_jsonl(out)}
    return docs, outcomes(log.read_text(encoding="utf-8")), log.read_text(encoding="utf-8")


DOCUMENTS = ["charset-meta-wrong", "charset-header-wrong", "charset-none", "bom-vs-meta", "mixed-encodings",
             "mojibake-source", "no-body", "nul-bytes", "flaky", "trickle", "ok", "canonical-offsite",
             "canonical-relative", "tracked"]
DROPS = {
    "huge-page": "too_large", "content-length-too-big": "too_large", "gzip-bomb": "too_large",
    "pdf": "not_html", "image": "not_html", "json-body": "not_html", "empty": "no_text",
    "only-javascript": "no_text", "deep-nesting": "no_text", "soft-404": "no_text",
    "redirect-loop": "redirect_loop", "redirect-offsite": "private_network",
    "stall": "fetch_DownloadTimeoutError", "reset-mid-body": "fetch_ResponseDataLossError",
    "idn-host": "dns_error",
}


def test_the_catalogue_is_large():
    assert len(DOCUMENTS) + len(DROPS) + len(DISCOVERY) + 2 >= 25   # + the truncated page, the three tracked URLs


@pytest.mark.parametrize("path", DOCUMENTS)
def test_case_gives_a_correct_document(crawl, path):
    docs, drops, _ = crawl
    assert path in docs, f"{path} was dropped: {drops.get(path)}"
    text = docs[path]["text"]
    assert PARAGRAPHS[0] in text and PARAGRAPHS[-2] in text   # decoded right, whatever the label
    assert not re.search("[\u00c0-\u00ff]{3}|\ufffd", text)


@pytest.mark.parametrize("path, reason", sorted(DROPS.items()))
def test_case_is_a_counted_drop_with_its_reason(crawl, path, reason):
    docs, drops, _ = crawl
    assert path not in docs and drops.get(path) == reason


def test_truncated_page_keeps_what_arrived(crawl):
    docs, drops, _ = crawl
    assert PARAGRAPHS[0] in docs["truncated"]["text"]


def test_tracking_parameters_fragments_and_host_case_make_one_document(crawl):
    docs, _, _ = crawl
    tracked = [d for p, d in docs.items() if p == "tracked"]
    assert len(tracked) == 1 and "utm_" not in tracked[0]["url"] and "fbclid" not in tracked[0]["url"]


def test_canonical_links_to_other_sites_are_ignored_and_relative_ones_resolved(crawl, server):
    docs, _, _ = crawl
    assert docs["canonical-offsite"]["url"] == f"{server}/canonical-offsite"
    assert docs["canonical-relative"]["url"] == f"{server}/canonical/story"


def test_nothing_crashed(crawl):
    _, _, log = crawl
    assert "Traceback" not in log and "Error processing" not in log


DISCOVERY = ["sitemap-malformed", "sitemap-entity-bomb", "fake.xml.gz", "sitemap-huge", "feed-entity-bomb",
             "feed-odd-links"]


@pytest.fixture(scope="module")
def discovery(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("discovery")
    seed = seed_file(tmp, server, sitemaps=[f"{server}/{p}" for p in DISCOVERY if "feed" not in p],
                     feeds=[f"{server}/{p}" for p in DISCOVERY if "feed" in p])
    out, log, summary = tmp / "out.jsonl", tmp / "crawl.log", tmp / "summary.json"
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-O", str(out), "-s", f"STATE_URI=sqlite:///{tmp}/s.sqlite",
               "-s", f"LOG_FILE={log}", "-s", f"SUMMARY_FILE={summary}", "-s", "DISCOVERY_MAX_LINKS=40", *FAST,
               cwd=ROOT, timeout=240)
    return read_jsonl(out), log.read_text(encoding="utf-8"), json.loads(summary.read_text(encoding="utf-8"))


def test_hostile_discovery_files_are_read_safely(discovery):
    docs, log, summary = discovery
    fetched = {d["fetched_url"].split("/", 3)[3] for d in docs}
    # the good link of a malformed sitemap and of a "gzip" sitemap that is plain XML, and a
    # feed's relative link, resolved; a javascript: link is never requested
    assert {"ok", "feed-relative"} <= fetched
    assert "javascript:" not in log.split("Spider opened", 1)[-1].replace("javascript:alert(1)</link>", "")
    # entity bombs are not expanded: no "lollol..." URL was ever requested
    assert "lollollol" not in log and "aaaaaaaaaaaaaaaaaaaa" not in log
    # 100,000 URLs in one sitemap: only DISCOVERY_MAX_LINKS of them are taken
    assert 0 < len(re.findall(r"http_404 <[^>]*/many/", log)) <= 40
    assert "Traceback" not in log
