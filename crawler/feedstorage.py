"""Scrapy's feed storages, each remembering whether its `store()` succeeded.

A feed file is durable where it is meant to be only once its storage's `store()` has
succeeded: for S3, GCS and FTP (Scrapy's "blocking" storages) that is the upload at the
feed's close; until then the documents sit in a local temporary file that a kill loses.
The feed extension (crawler/extensions/feeds.py) reads `stored` on the `feed_slot_closed`
signal to decide whether the documents of that file are done. Registered through
FEED_STORAGES (crawler/settings.py), so Scrapy builds them as it builds its own.

An upload can succeed and the process die before its documents are marked done. So each
storage can also `read_back()` what it stored: after a kill, recovery reads the feeds the
dead run noted, local files and remote objects alike, and marks done the documents they
hold instead of fetching them again (crawler/state.py).
"""
from __future__ import annotations

import ftplib
from pathlib import Path

from scrapy.extensions import feedexport
from twisted.internet import defer


class RecordsStore:
    """`stored`: None until `store()` ends, then True or False."""

    stored: bool | None = None

    def store(self, file):
        try:
            result = super().store(file)
        except Exception:
            self.stored = False
            raise
        if not isinstance(result, defer.Deferred):
            self.stored = True
            return result

        def succeeded(value):
            self.stored = True
            return value

        def failed(failure):
            self.stored = False
            return failure

        return result.addCallbacks(succeeded, failed)

    def read_back(self) -> bytes:
        """What the storage holds at this URI now; b"" when there is nothing."""
        return b""


class FileFeedStorage(RecordsStore, feedexport.FileFeedStorage):
    def read_back(self) -> bytes:
        try:
            return Path(self.path).read_bytes()
        except OSError:
            return b""


class StdoutFeedStorage(RecordsStore, feedexport.StdoutFeedStorage):
    pass   # what went to stdout cannot be read back


class S3FeedStorage(RecordsStore, feedexport.S3FeedStorage):
    def read_back(self) -> bytes:
        try:
            return self.s3_client.get_object(Bucket=self.bucketname, Key=self.keyname)["Body"].read()
        except self.s3_client.exceptions.NoSuchKey:
            return b""


class GCSFeedStorage(RecordsStore, feedexport.GCSFeedStorage):
    def read_back(self) -> bytes:
        from google.api_core.exceptions import NotFound
        from google.cloud.storage import Client
        try:
            return Client(project=self.project_id).bucket(self.bucket_name).blob(self.blob_name).download_as_bytes()
        except NotFound:
            return b""


class FTPFeedStorage(RecordsStore, feedexport.FTPFeedStorage):
    def read_back(self) -> bytes:
        ftp = ftplib.FTP_TLS() if self.tls else ftplib.FTP()
        chunks: list[bytes] = []
        with ftp:
            ftp.connect(self.host, self.port)
            ftp.login(self.username, self.password)
            if self.tls:
                ftp.prot_p()
            if self.use_active_mode:
                ftp.set_pasv(False)
            try:
                ftp.retrbinary(f"RETR {self.path}", chunks.append)
            except ftplib.error_perm as exc:
                if not str(exc).startswith("550"):   # 550: no such file
                    raise
                return b""
        return b"".join(chunks)


def writes_in_place(storage) -> bool:
    """A local file written where it stays: what its exporter flushes is on disk at once.
    Every other storage (S3, GCS, FTP, stdout, any other URI) holds the file until `store()`."""
    return isinstance(storage, feedexport.FileFeedStorage)
