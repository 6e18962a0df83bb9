"""WARC files (warcio): a crawl's raw responses written out, rotating by size, and read back.

Writing: each record is its own gzip member, flushed as soon as it is written, so a crawl
killed mid-run leaves every earlier record readable. Reading streams: an archive of any
size (a Common Crawl file is 1 GB) is indexed record by record, and a record is loaded
again from its offset only when it is cleaned.
"""
from __future__ import annotations

import io
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse, Request, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import faults

WARC_SUFFIXES = (".warc", ".warc.gz")
SNIFF_BYTES = 5000   # as much of a body as Scrapy's responsetypes looks at to sniff HTML
# Framing headers describe the bytes on the wire, not the body Scrapy hands over: its
# download handler has already de-chunked it and keeps no Content-Length of its own.
FRAMING_HEADERS = {"content-length", "transfer-encoding"}


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


# --- writing -------------------------------------------------------------------------------

class RotatingWarcWriter:
    """`<prefix>-<timestamp>-<serial>.warc.gz` files in `directory`; a new file once the
    current one reaches `max_size` bytes, each starting with a warcinfo record."""

    def __init__(self, directory: Path, prefix: str, max_size: int, info: dict[str, str]):
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.info = info
        self.serial = 0
        self.files: list[Path] = []
        self.records = 0   # warcinfo records included
        self.bytes = 0     # as stored: compressed, across all files
        self._fh = None
        self._writer: WARCWriter | None = None

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
            path = self.directory / f"{self.prefix}-{stamp}-{self.serial:05d}.warc.gz"
            self.serial += 1
            try:
                self._fh = open(path, "xb")   # never append to, or overwrite, another run's file
                break
            except FileExistsError:
                continue
        self.files.append(path)
        if faults.armed("warc_record"):
            self._fh = faults.KillHalfway(self._fh, "warc_record")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, self.info))
        self._fh.flush()
        self.records += 1
        self.bytes += self._fh.tell()

    def write_exchange(self, request: Request, response: Response) -> None:
        """The response record, then its request record."""
        if self._fh is None:
            self._open()
        start = self._fh.tell()
        resp = response_record(self._writer, response)
        req = request_record(self._writer, request, response.url)
        self._writer.write_request_response_pair(req, resp)
        self._fh.flush()
        size = self._fh.tell()
        self.records += 2
        self.bytes += size - start
        if size >= self.max_size:
            self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = self._writer = None


def response_record(writer: WARCWriter, response: Response):
    """The response as the download handler returned it: status, headers and body as
    received (still compressed when the server compressed it, so Content-Encoding stays
    true). Scrapy keeps the protocol but not the reason phrase, so the standard one for
    the status is written."""
    body = response.body
    headers = [(k.decode("latin-1"), v.decode("latin-1"))
               for k, values in response.headers.items() for v in values
               if k.decode("latin-1").lower() not in FRAMING_HEADERS]
    headers.append(("Content-Length", str(len(body))))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    http_headers = StatusAndHeaders(f"{response.status} {reason}".strip(), headers,
                                    protocol=response.protocol or "HTTP/1.1")
    warc_headers = {}
    if response.ip_address is not None:
        warc_headers["WARC-IP-Address"] = str(response.ip_address)
    return writer.create_warc_record(response.url, "response", payload=io.BytesIO(body), length=len(body),
                                     http_headers=http_headers, warc_headers_dict=warc_headers)


def request_record(writer: WARCWriter, request: Request, url: str):
    """The request as Scrapy sent it; the Host line is added by Twisted on the wire, so
    it is rebuilt from the URL."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    headers += [(k.decode("latin-1"), v.decode("latin-1"))
                for k, values in request.headers.items() for v in values]
    if request.body:
        headers.append(("Content-Length", str(len(request.body))))
    http_headers = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)
    return writer.create_warc_record(url, "request", payload=io.BytesIO(request.body),
                                     length=len(request.body), http_headers=http_headers)


def warcinfo(software: str, **fields: str) -> dict[str, str]:
    return {"software": software, "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
            "hostname": socket.gethostname(), **fields}


# --- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchivedResponse:
    """One response record of an archive: a response to clean (`skip` is None), or why not."""

    url: str
    offset: int
    date: str | None = None
    skip: str | None = None    # status, non_html, truncated, too_large, undecodable, corrupt
    detail: str = ""
    response: Response | None = field(default=None, repr=False)


def _target_uri(record) -> str:
    return (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")


def _headers(http_headers, *, drop_encoding: bool) -> Headers:
    """The record's HTTP headers for a Scrapy response of the body as read back."""
    dropped = FRAMING_HEADERS | ({"content-encoding"} if drop_encoding else set())
    return Headers([(k, v) for k, v in http_headers.headers if k.lower() not in dropped])


def _truncated(record) -> bool:
    """The record's bytes end before its Content-Length: a cut-off file (a kill, a partial
    download). warcio hands over what there is without an error."""
    return getattr(record.raw_stream, "limit", 0) > 0


def warc_date(record) -> str | None:
    """WARC-Date in the documents' `crawled_at` form (seconds, UTC, Z)."""
    value = record.rec_headers.get_header("WARC-Date")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def read_responses(path: Path, maxsize: int = 0, decode=lambda response: response) -> Iterator[ArchivedResponse]:
    """Every response record of an archive, in order, read once and never more than one
    held: request, warcinfo, metadata and revisit records are passed over. Each response
    comes as a download handler returns it (the body de-chunked, the record's headers with
    their charset), then through `decode` (the crawl's HttpCompressionMiddleware, which
    undoes Content-Encoding within DOWNLOAD_MAXSIZE). A file that cannot be read further
    ends with one `corrupt` entry."""
    records = None
    try:
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.format != "warc":
                    # warcio also reads ARC, and reads almost any text as ARC lines
                    raise ValueError("not a WARC record")
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = _target_uri(record)
                if not url.startswith(("http://", "https://")):
                    continue   # dns:, whois: and other non-HTTP captures
                yield _response_of(record, url, records.offset, maxsize, decode)
    except Exception as exc:  # noqa: BLE001 (warcio and zlib raise many kinds on a bad file)
        offset = records.offset if records is not None else 0   # where the bad record starts
        yield ArchivedResponse(str(path), offset, skip="corrupt", detail=f"{type(exc).__name__}: {exc}")


def _response_of(record, url: str, offset: int, maxsize: int, decode) -> ArchivedResponse:
    http = record.http_headers
    status = http.get_statuscode()
    # Only what the crawl's callbacks see: no redirects (cleaning never follows them) and
    # no error pages.
    if not status.isdigit() or not 200 <= int(status) < 300:
        return ArchivedResponse(url, offset, skip="status", detail=status)
    stream = record.raw_stream
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)
    body = stream.read(maxsize + 1) if maxsize else stream.read()
    too_large = bool(maxsize) and len(body) > maxsize
    if too_large:
        body = b""
        while stream.read(1 << 20):   # to the record's end, so that the next is read from its start
            pass
    if _truncated(record):
        return ArchivedResponse(url, offset, skip="truncated", detail=f"record cut off at offset {offset}")
    plain = _headers(http, drop_encoding=True)
    if too_large:   # what its headers say it is
        if not issubclass(responsetypes.from_args(headers=plain, url=url), HtmlResponse):
            return ArchivedResponse(url, offset, skip="non_html", detail=http.get_header("Content-Type") or "?")
        return ArchivedResponse(url, offset, skip="too_large", detail=f"body over DOWNLOAD_MAXSIZE ({maxsize} B)")
    headers = _headers(http, drop_encoding=False)
    headers["Content-Length"] = str(len(body))
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    try:
        response = decode(cls(url=url, status=int(status), headers=headers, body=body,
                              protocol=http.protocol or None))
    except IgnoreRequest as exc:   # HttpCompressionMiddleware: past DOWNLOAD_MAXSIZE once decoded
        return ArchivedResponse(url, offset, skip="too_large", detail=str(exc))
    except Exception as exc:  # noqa: BLE001 (a body its Content-Encoding does not decode)
        return ArchivedResponse(url, offset, skip="undecodable", detail=f"{type(exc).__name__}: {exc}")
    if not issubclass(responsetypes.from_args(headers=plain, url=url, body=response.body[:SNIFF_BYTES]),
                      HtmlResponse):
        return ArchivedResponse(url, offset, skip="non_html", detail=http.get_header("Content-Type") or "?")
    return ArchivedResponse(url, offset, date=warc_date(record), response=response)
