"""The crawler refuses private, loopback, link-local and reserved addresses, as resolved,
redirects included; a seed may allow its own hosts (the bundled demo does, for loopback)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT, read_jsonl, run_scrapy
from crawler.middlewares.network import forbidden_address

pytestmark = pytest.mark.hostile


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "not-an-address",
    # IPv6 forms that embed a forbidden IPv4 address: 6to4, NAT64, Teredo (client, server)
    "2002:7f00:1::", "2002:a9fe:a9fe::", "2002:a00:1::1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:7f00:1:8000:63bf:f7f7:f7f7",
])
def test_forbidden_addresses(address):
    assert forbidden_address(address)


@pytest.mark.parametrize("address", [
    "8.8.8.8", "93.184.216.34", "2001:4860:4860::8888",
    # the same forms around a public address lead to the public address
    "2002:808:808::", "64:ff9b::808:808", "::ffff:8.8.8.8", "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
])
def test_public_addresses(address):
    assert not forbidden_address(address)


SENTENCES = [
    "افتتحت البلدية صباح اليوم مكتبة عامة جديدة في وسط المدينة القديمة تضم آلاف الكتب وقاعات للقراءة.",
    "وقال رئيس البلدية إن المكتبة ستفتح أبوابها طوال أيام الأسبوع وتقدم برامج للأطفال والشباب مجانا.",
    "وتضم المكتبة قسما للمخطوطات القديمة جرى ترميمه بالتعاون مع جامعة المدينة ومتحفها الوطني.",
    "ويأمل القائمون على المشروع أن تتحول المكتبة إلى مركز ثقافي يجمع سكان الأحياء المجاورة كلها.",
    "وأشار مدير المكتبة إلى أن قاعة الحاسوب ستوفر دورات مجانية في المهارات الرقمية لكبار السن.",
    "وشهد حفل الافتتاح حضور عدد من الكتاب والفنانين الذين قدموا قراءات من أعمالهم الجديدة للجمهور.",
]
ARTICLE = ("<html lang='ar'><head><title>خبر</title><meta property='og:type' content='article'></head><body>"
           "<article><h1>افتتاح مكتبة عامة جديدة في وسط المدينة القديمة</h1>"
           + "".join(f"<p>{s}</p>" for s in SENTENCES) + "</article></body></html>").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Handler.hits.append(f"{self.headers['Host']}{self.path}")
        if self.path == "/robots.txt":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"User-agent: *\nDisallow: /private\n")
            return
        if self.path == "/go":
            # a redirect to another loopback name, which no seed allows
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/secret")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(ARTICLE)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Handler.hits.clear()
    yield httpd.server_port
    httpd.shutdown()


def crawl(tmp_path, port, urls, allow_seed, robots=False):
    seed = tmp_path / "seed.toml"
    seed.write_text(f'name = "local"\nallowed_domains = ["127.0.0.1"]\narticle_pattern = "/"\n'
                    f'start_urls = ["http://127.0.0.1:{port}/"]\nallow_private_networks = {str(allow_seed).lower()}\n',
                    encoding="utf-8")
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    run_scrapy("crawl", "news", "-a", f"seeds={seed}", "-a", f"urls={listing}", "-O", str(out),
               "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite", "-s", f"SUMMARY_FILE={summary}",
               "-s", f"ROBOTSTXT_OBEY={robots}", cwd=ROOT)
    return read_jsonl(out), json.loads(summary.read_text(encoding="utf-8"))


def test_loopback_is_refused_by_default(server, tmp_path):
    docs, summary = crawl(tmp_path, server, [f"http://127.0.0.1:{server}/a"], allow_seed=False)
    assert docs == [] and Handler.hits == []
    assert summary["dropped"]["private_network"] == 1


def test_a_seed_allows_its_own_hosts_only_and_redirects_are_checked_again(server, tmp_path):
    docs, summary = crawl(tmp_path, server, [f"http://127.0.0.1:{server}/a", f"http://127.0.0.1:{server}/go",
                                             f"http://localhost:{server}/b"], allow_seed=True)
    assert [d["fetched_url"] for d in docs] == [f"http://127.0.0.1:{server}/a"]
    assert summary["dropped"]["private_network"] == 2      # the redirect target and the other host
    assert not any(hit.startswith("localhost") for hit in Handler.hits)


def test_with_the_default_seeds_a_loopback_url_is_never_fetched(server, tmp_path):
    """seeds/ holds real sites only: none allows a private address, so a URL list naming
    loopback fetches nothing from it (robots.txt included: ROBOTSTXT_OBEY stays on)."""
    listing = tmp_path / "urls.txt"
    listing.write_text(f"http://127.0.0.1:{server}/a\nhttp://localhost:{server}/b\n", encoding="utf-8")
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    run_scrapy("crawl", "news", "-a", f"urls={listing}", "-O", str(out),
               "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite", "-s", f"SUMMARY_FILE={summary}", cwd=ROOT)
    assert Handler.hits == [] and read_jsonl(out) == []
    assert json.loads(summary.read_text(encoding="utf-8"))["dropped"]["private_network"] == 2


def test_a_seeds_allowance_is_its_own_port_not_the_whole_host(server, tmp_path):
    other = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        docs, summary = crawl(tmp_path, server, [f"http://127.0.0.1:{server}/a",
                                                 f"http://127.0.0.1:{other.server_port}/b"], allow_seed=True)
    finally:
        other.shutdown()
    assert [d["fetched_url"] for d in docs] == [f"http://127.0.0.1:{server}/a"]
    assert Handler.hits == [f"127.0.0.1:{server}/a"]
    assert summary["dropped"]["private_network"] == 1


def test_ipv6_literals_that_embed_loopback_or_the_metadata_address_are_refused(server, tmp_path):
    # 2002:7f00:1:: is 6to4 for 127.0.0.1, 2002:a9fe:a9fe:: for 169.254.169.254
    docs, summary = crawl(tmp_path, server, [f"http://[2002:7f00:1::]:{server}/a", "http://[2002:a9fe:a9fe::]/latest"],
                          allow_seed=False)
    assert docs == [] and Handler.hits == []
    assert summary["dropped"]["private_network"] == 2


def test_robots_txt_fetches_are_guarded_too(server, tmp_path):
    docs, summary = crawl(tmp_path, server, [f"http://127.0.0.1:{server}/a"], allow_seed=False, robots=True)
    assert docs == [] and Handler.hits == []   # not even robots.txt was asked for
    assert summary["dropped"]["private_network"] == 1


def test_an_allowed_seed_fetches_and_obeys_its_robots_txt(server, tmp_path):
    docs, summary = crawl(tmp_path, server, [f"http://127.0.0.1:{server}/a", f"http://127.0.0.1:{server}/private/b"],
                          allow_seed=True, robots=True)
    assert [d["fetched_url"] for d in docs] == [f"http://127.0.0.1:{server}/a"]
    assert f"127.0.0.1:{server}/robots.txt" in Handler.hits
    assert not any(hit.endswith("/private/b") for hit in Handler.hits)
