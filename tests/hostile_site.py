"""A loopback web server that misbehaves in every way the web does (tests/test_hostile.py).

Each route is one case: a page in a wrong charset, a body too big, a gzip bomb, a server
that stalls or resets the connection, a sitemap with an entity bomb... Routes are plain
functions of the request handler, so the list below is the catalogue.
"""
from __future__ import annotations

import gzip
import inspect
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPHS = [
    "أعلنت وزارة الصحة اليوم عن إطلاق حملة وطنية للتطعيم ضد الحصبة تستهدف الأطفال في جميع المحافظات خلال الشهرين المقبلين.",
    "وقال المتحدث باسم الوزارة إن الحملة ستشمل أكثر من مليوني طفل وإن الفرق الطبية ستزور المدارس والقرى النائية.",
    "وأضاف أن الوزارة وفرت كميات كافية من اللقاحات بالتعاون مع منظمات دولية وأن التطعيم مجاني لجميع الأسر.",
    "ودعت الوزارة أولياء الأمور إلى التعاون مع الفرق الصحية والتأكد من استكمال جرعات أطفالهم في مواعيدها.",
    "وتأتي الحملة بعد تسجيل عدد من الإصابات في بعض المحافظات خلال الأشهر الماضية وفق بيانات رسمية.",
    "ويرى خبراء أن حملات التطعيم الدورية ضرورية للحفاظ على المناعة المجتمعية ومنع عودة الأمراض المعدية.",
]


def article(title: str = "حملة وطنية للتطعيم ضد الحصبة تستهدف مليوني طفل", head: str = "",
            body_extra: str = "", paragraphs: list[str] | None = None) -> str:
    paras = "".join(f"<p>{p}</p>" for p in (paragraphs or PARAGRAPHS))
    return (f"<!DOCTYPE html><html lang='ar' dir='rtl'><head>{head}<title>{title}</title>"
            f"<meta property='og:type' content='article'></head><body><article><h1>{title}</h1>"
            f"{paras}{body_extra}</article></body></html>")


ARABIC = article()


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    retry_counts: dict[str, int] = {}

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    # --- helpers --------------------------------------------------------------------

    def send(self, body: bytes, ctype: str = "text/html; charset=utf-8", status: int = 200, headers=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def base(self) -> str:
        return f"http://{self.headers['Host']}"

    def do_GET(self):
        route = ROUTES.get(self.path.split("?")[0].split("#")[0])
        if route is None:
            self.send(b"<html><body>not found</body></html>", status=404)
        else:
            route(self)


def charset_meta_wrong(h):       # windows-1256 bytes, meta says windows-1252
    h.send(article(head="<meta charset='windows-1252'>").encode("cp1256"), "text/html")


def charset_header_wrong(h):     # the HTTP header names the wrong charset
    h.send(ARABIC.encode("cp1256"), "text/html; charset=iso-8859-1")


def charset_none(h):             # windows-1256 bytes and no declaration anywhere
    h.send(ARABIC.encode("cp1256"), "text/html")


def bom_vs_meta(h):              # a UTF-8 BOM, and a meta tag that says windows-1256
    h.send(b"\xef\xbb\xbf" + article(head="<meta charset='windows-1256'>").encode("utf-8"), "text/html")


def mixed_encodings(h):          # UTF-8 page with one windows-1256 paragraph pasted in
    page = ARABIC.encode("utf-8").replace(b"</article>", "<p>فقرة ملصقة من نظام قديم</p>".encode("cp1256") + b"</article>")
    h.send(page, "text/html; charset=utf-8")


def mojibake_source(h):          # UTF-8 read as Latin-1 and saved again as UTF-8
    h.send(ARABIC.encode("utf-8").decode("latin-1").encode("utf-8"))


def truncated(h):                # cut mid-tag
    page = ARABIC.encode("utf-8")
    h.send(page[: page.index(b"</article>") - 3])


def deep_nesting(h):             # 100,000 nested divs around the text
    h.send(b"<html><body>" + b"<div>" * 100_000 + ARABIC.encode("utf-8") + b"</div>" * 100_000 + b"</body></html>")


def huge_page(h):                # 50 MB of <p>: over DOWNLOAD_MAXSIZE
    h.send(b"<html><body>" + b"<p>x</p>" * (50 * 1024 * 1024 // 8) + b"</body></html>")


def no_body(h):                  # paragraphs straight under <html>
    h.send(ARABIC.replace("<body>", "").replace("</body>", "").encode("utf-8"))


def only_javascript(h):
    h.send(b"<html><head><script>document.write('<p>' + 'x'.repeat(1000) + '</p>')</script></head><body>"
           b"<script>var app = {};</script></body></html>")


def nul_bytes(h):
    h.send(ARABIC.encode("utf-8").replace(b"<p>", b"<p>\x00", 3))


def content_length_too_big(h):   # declares more than DOWNLOAD_MAXSIZE
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(64 * 1024 * 1024))
    h.end_headers()
    h.wfile.write(b"<html>")


def gzip_bomb(h):                # 60 kB on the wire, 60 MB unpacked
    h.send(gzip.compress(b"<p>" + b" " * (60 * 1024 * 1024) + b"</p>", 9), "text/html",
           headers=[("Content-Encoding", "gzip")])


def pdf(h):
    h.send(b"%PDF-1.4\n" + b"0" * 2000, "application/pdf")


def image(h):
    h.send(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")


def json_body(h):
    h.send(b'{"article": "not html"}', "application/json")


def empty(h):
    h.send(b"", "text/html")


def soft_404(h):
    h.send(article(title="الصفحة غير موجودة", paragraphs=["عذرا، الصفحة التي تبحث عنها غير موجودة."]).encode("utf-8"))


def redirect_loop(h):
    h.send(b"", headers=[("Location", "/loop")], status=302)


def redirect_offsite(h):         # to another host name of this machine, which no seed allows
    h.send(b"", headers=[("Location", f"http://localhost:{h.server.server_port}/ok")], status=302)


def flaky(h):                    # 503 twice, then the page
    count = Hostile.retry_counts.get(h.path, 0)
    Hostile.retry_counts[h.path] = count + 1
    if count < 2:
        h.send(b"busy", status=503)
    else:
        h.send(article(title="صفحة تعود بعد عطلين في الخادم").encode("utf-8"))


def stall(h):                    # headers, then nothing: the download times out
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.flush()
    time.sleep(8)


def reset_mid_body(h):
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(ARABIC.encode("utf-8")[:500])
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    h.connection.close()
    h.close_connection = True


def trickle(h):                  # the page in small pieces, slowly but within the timeout
    body = article(title="صفحة تصل ببطء قطعة بعد قطعة").encode("utf-8")
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for i in range(0, len(body), 400):
        h.wfile.write(body[i:i + 400])
        h.wfile.flush()
        time.sleep(0.05)


def ok(h):
    h.send(article(title="خبر سليم يصل كما ينبغي من الخادم").encode("utf-8"))


def canonical_offsite(h):        # a canonical link to another site: ignored
    h.send(article(title="خبر برابط أساسي لموقع آخر", head="<link rel='canonical' href='https://other.example/story'>").encode())


def canonical_relative(h):       # a relative canonical link: resolved against the page
    h.send(article(title="خبر برابط أساسي نسبي", head="<link rel='canonical' href='/canonical/story'>").encode())


def tracked(h):                  # the same story behind utm_*/fbclid and a fragment
    h.send(article(title="خبر تتبعه معلمات التتبع").encode("utf-8"))


# --- discovery files ------------------------------------------------------------------

def sitemap_malformed(h):
    h.send(b"<urlset><url><loc>" + h.base().encode() + b"/ok</loc></url><url><loc>broken", "application/xml")


def sitemap_entity_bomb(h):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
            + b']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>')
    h.send(bomb, "application/xml")


def feed_entity_bomb(h):
    h.send(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
           b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
           b"<rss><channel><item><title>&d;</title><link>&d;</link></item></channel></rss>", "application/rss+xml")


def sitemap_fake_gzip(h):        # a .xml.gz that is plain XML
    h.send(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>' + h.base().encode()
           + b"/ok</loc></url></urlset>", "application/gzip")


def sitemap_huge(h):             # 100,000 URLs
    urls = b"".join(b"<url><loc>%s/many/%d</loc></url>" % (h.base().encode(), i) for i in range(100_000))
    h.send(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + b"</urlset>", "application/xml")


def feed_odd_links(h):           # relative and javascript: links
    h.send(b"<rss><channel><item><title>a</title><link>/feed-relative</link></item>"
           b"<item><title>b</title><link>javascript:alert(1)</link></item></channel></rss>", "application/rss+xml")


ROUTES = {f"/{name.replace('_', '-')}": fn for name, fn in list(globals().items())
          if inspect.isfunction(fn) and fn.__module__ == __name__ and fn.__code__.co_varnames[:1] == ("h",)}
ROUTES["/loop"] = redirect_loop
ROUTES["/feed-relative"] = ok
ROUTES["/canonical/story"] = ok
ROUTES["/fake.xml.gz"] = sitemap_fake_gzip


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # the cases end connections rudely on purpose


def start(port: int = 0) -> HostileServer:
    server = HostileServer(("127.0.0.1", port), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
