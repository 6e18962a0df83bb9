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
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

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

class WarcRecordError(Exception):
    """A record that cannot be cleaned; `reason` names the drop."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class IndexEntry:
    """One response record of an archive: to clean (`skip` is None), or why not."""

    url: str
    offset: int
    date: str | None = None
    skip: str | None = None    # non_html, status, truncated, corrupt
    detail: str = ""


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


def index_responses(path: Path) -> Iterator[IndexEntry]:
    """Every response record of an archive, in order, without holding more than one.
    request, warcinfo, metadata and revisit records are passed over. A file that cannot
    be read further ends with one `corrupt` entry."""
    records = None
    try:
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.format != "warc":
                    # warcio also reads ARC, and reads almost any text as ARC lines
                    raise WarcRecordError("warc_corrupt", "not a WARC record")
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = _target_uri(record)
                if not url.startswith(("http://", "https://")):
                    continue   # dns:, whois: and other non-HTTP captures
                status = record.http_headers.get_statuscode()
                # Only what the crawl's callbacks see: no redirects (cleaning never follows
                # them) and no error pages.
                if not status.isdigit() or not 200 <= int(status) < 300:
                    yield IndexEntry(url, records.offset, skip="status", detail=status)
                    continue
                headers = _headers(record.http_headers, drop_encoding=True)
                sniff = record.content_stream().read(SNIFF_BYTES)
                html = issubclass(responsetypes.from_args(headers=headers, url=url, body=sniff), HtmlResponse)
                offset = records.get_record_offset()   # reads the rest of the record
                if _truncated(record):
                    yield IndexEntry(url, offset, skip="truncated", detail=f"{path} at {offset}")
                elif not html:
                    yield IndexEntry(url, offset, skip="non_html",
                                     detail=record.http_headers.get_header("Content-Type") or "?")
                else:
                    yield IndexEntry(url, offset, date=warc_date(record))
    except Exception as exc:  # noqa: BLE001 (warcio and zlib raise many kinds on a bad file)
        offset = records.offset if records is not None else 0   # where the bad record starts
        yield IndexEntry(str(path), offset, skip="corrupt", detail=f"{type(exc).__name__}: {exc}")


def load_response(path: str | Path, offset: int, request: Request, maxsize: int = 0) -> Response:
    """The response record at `offset`, as a download handler would return it: the body
    de-chunked but still content-encoded (HttpCompressionMiddleware decodes it, with
    DOWNLOAD_MAXSIZE, as in a crawl), the record's headers (the charset included)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            if record.rec_type != "response" or record.http_headers is None:
                raise WarcRecordError("warc_corrupt", f"no response record at {path}:{offset}")
            http = record.http_headers
            stream = record.raw_stream
            if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
                stream = ChunkedDataReader(stream)
            body = stream.read(maxsize + 1) if maxsize else stream.read()
            if maxsize and len(body) > maxsize:
                raise WarcRecordError("too_large", f"body over DOWNLOAD_MAXSIZE ({maxsize} B)")
            if _truncated(record):
                raise WarcRecordError("warc_truncated", f"record cut off at {path}:{offset}")
            status = int(http.get_statuscode())
    except WarcRecordError:
        raise
    except Exception as exc:  # noqa: BLE001 (warcio and zlib raise many kinds on a bad file)
        raise WarcRecordError("warc_corrupt", f"{path}:{offset}: {type(exc).__name__}: {exc}") from exc
    url = _target_uri(record)
    headers = _headers(http, drop_encoding=False)
    headers["Content-Length"] = str(len(body))
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=status, headers=headers, body=body, request=request,
               protocol=http.protocol or None)
