"""Backfills on many machines: WARC files in a Redis work queue, cleaned by any number of
`scrapy clean --queue redis://...` workers (docs/backfill.md).

The queue is python-rq's: one job per file, on the queue BACKFILL_QUEUE, with rq's
`Retry`. A worker is rq's own forking Worker: each file is cleaned in a work horse (a fork
of the worker) by ONE Scrapy crawl of CleanSpider, with the worker's settings and feed. What
this module adds to rq is small: the job function (fetch the file, crawl it, return a
summary), the visibility timeout as the TTL rq gives a running job's heartbeat, a loop of
burst runs that ends only when no file is queued or in progress anywhere, and the progress
lines. Exactly-once across workers is the state store's (crawler/state.py: `store.recover`),
not the queue's: a file may be cleaned twice, a document is exported once.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import unquote, urljoin, urlsplit

from pipelines.state import LOCK_TTL

logger = logging.getLogger(__name__)

QUEUE_NAME = "arabic-news-backfill"
# Defaults of the BACKFILL_* settings (read with these as fallbacks, so a project settings
# module without them still works).
RETRIES = 3                     # BACKFILL_RETRIES: runs of a file after its first, killed or failed
# BACKFILL_VISIBILITY_TIMEOUT: seconds a file stays with a worker that stopped renewing it.
# rq renews it every quarter of that, so a dead worker's file passes on between 3/4 of it and
# all of it after the death: 3/4 of it must exceed pipelines.state.LOCK_TTL (120 s), as the
# state store takes a worker on another machine for dead only once its heartbeat is that old,
# and only then releases its unfinished documents to the worker taking the file over.
VISIBILITY_TIMEOUT = 180
JOB_TIMEOUT = 6 * 3600          # BACKFILL_JOB_TIMEOUT: rq stops a file's crawl after this long (-1: never)
POLL_INTERVAL = 5               # BACKFILL_POLL_INTERVAL: seconds between looks at a queue that is empty
REMOTE_SCHEMES = ("s3", "http", "https")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class BackfillError(Exception):
    """A file cannot be cleaned; the message says why. The job fails (rq retries it, then
    keeps it in its FailedJobRegistry); the worker goes on with the next file."""


# --- the queue -------------------------------------------------------------------------------

def connect(url: str):
    from redis import Redis
    return Redis.from_url(url)


def backfill_queue(connection, settings=None):
    from rq import Queue
    name = settings.get("BACKFILL_QUEUE", QUEUE_NAME) if settings is not None else QUEUE_NAME
    return Queue(name, connection=connection)


def safe_url(url: str) -> str:
    """A Redis URL without its password, for the log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")).geturl()


def job_id(source: str) -> str:
    """The same file always gets the same job: enqueued twice, it is one job."""
    return "backfill-" + hashlib.sha1(source.encode("utf-8")).hexdigest()


def source_of(line: str, base_url: str | None = None) -> str | None:
    """A file to clean as a worker anywhere reads it: URLs as given, a relative line of a
    paths list (Common Crawl's `warc.paths`) under `base_url`, a local path made absolute
    (workers on other machines need it at that path, e.g. on a shared mount)."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    scheme = urlsplit(line).scheme.lower()
    if scheme in REMOTE_SCHEMES:
        return line
    if scheme == "file":
        return unquote(urlsplit(line).path)
    if base_url:
        return urljoin(base_url.rstrip("/") + "/", line.lstrip("/"))
    return str(Path(line).expanduser().resolve())


def read_list(path: Path) -> list[str]:
    """The lines of a paths list, gzipped as Common Crawl publishes it (warc.paths.gz) or not."""
    import gzip
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8").splitlines()


@dataclass
class Enqueued:
    queued: int = 0
    already: int = 0    # queued, in progress or done already: not queued again
    requeued: int = 0   # had failed for good: queued again, with fresh retries


def enqueue(connection, sources: Iterable[str], settings) -> Enqueued:
    from rq import Retry
    from rq.job import Job, JobStatus
    from rq.exceptions import NoSuchJobError
    queue = backfill_queue(connection, settings)
    retries = settings.getint("BACKFILL_RETRIES", RETRIES)
    counts = Enqueued()
    for source in dict.fromkeys(sources):   # a list naming a file twice: once
        jid = job_id(source)
        try:
            status = Job.fetch(jid, connection=connection).get_status()
        except NoSuchJobError:
            status = None
        if status is not None and status != JobStatus.FAILED:
            counts.already += 1
            continue
        if status == JobStatus.FAILED:
            Job.fetch(jid, connection=connection).delete()
            counts.requeued += 1
        else:
            counts.queued += 1
        queue.enqueue_call(
            clean_archive, args=(source,), job_id=jid, description=source,
            timeout=settings.getint("BACKFILL_JOB_TIMEOUT", JOB_TIMEOUT),
            retry=Retry(max=retries) if retries > 0 else None,
            # kept, so that a file is never queued twice and --status can count what was done
            result_ttl=-1)
    return counts


# --- a job: one file, in the work horse ------------------------------------------------------

@dataclass
class HorseContext:
    """What a job needs from the worker that runs it. rq passes a job only the arguments of
    whoever enqueued it; the settings and feed are the worker's. The horse is a fork of the
    worker, so it finds them here."""
    settings: object
    worker: str
    work_dir: Path


_context: HorseContext | None = None


def clean_archive(source: str) -> dict:
    """rq's job: fetch the file if it is remote, clean it with one crawl, and return what
    rq stores as the job's result (read by --status)."""
    context = _context
    if context is None:
        raise BackfillError("clean_archive runs inside a `scrapy clean --queue` worker")
    from rq import get_current_job
    job = get_current_job()
    jid = job.id if job else job_id(source)
    started = time.monotonic()
    try:
        with local_copy(source, context, jid) as path:
            stats = crawl_file(path, context.settings, jid)
        seconds = round(time.monotonic() - started, 3)
        summary = summarize(source, context.worker, stats, seconds)
        if not summary["pages"] and summary["dropped"].get("warc_corrupt"):
            raise BackfillError(f"unreadable archive: no record of {source} could be read")
    except Exception as exc:
        # The reason, where the worker (and --status) can read it whatever rq keeps of a
        # failed attempt that it retries.
        if job is not None:
            job.meta["reason"] = str(exc) if isinstance(exc, BackfillError) else f"{type(exc).__name__}: {exc}"
            job.save_meta()
        raise
    return summary


def summarize(source: str, worker: str, stats: dict, seconds: float) -> dict:
    prefix = "docs/dropped/"
    pages = stats.get("warc/responses", stats.get("articles/fetched", 0))
    return {
        "source": source, "worker": worker, "pages": pages, "kept": stats.get("docs/kept", 0),
        "dropped": {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)},
        "seconds": seconds, "pages_per_second": round(pages / seconds, 1) if seconds else 0.0,
    }


@contextlib.contextmanager
def local_copy(source: str, context: HorseContext, job: str) -> Iterator[Path]:
    """The file as a local path: a local one as it is; a remote one downloaded into the
    worker's folder first (streamed: a Common Crawl file is 1 GB) and removed afterwards."""
    scheme = urlsplit(source).scheme.lower()
    if scheme not in REMOTE_SCHEMES:
        path = Path(source)
        if not path.is_file():
            raise BackfillError(f"no such file: {source}")
        yield path
        return
    context.work_dir.mkdir(parents=True, exist_ok=True)
    # The source's own name last: CleanSpider tells a WARC file by its suffix.
    name = Path(unquote(urlsplit(source).path)).name or "download"
    path = context.work_dir / f"{job}-{os.getpid()}-{name}"
    try:
        if scheme == "s3":
            download_s3(source, path, context.settings)
        else:
            download_http(source, path)
        yield path
    finally:
        path.unlink(missing_ok=True)


def download_http(url: str, dest: Path) -> None:
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, headers={"User-Agent": "arabic-news-crawler backfill"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise BackfillError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise BackfillError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None


def download_s3(uri: str, dest: Path, settings) -> None:
    """Through boto3, with the crawl's AWS_* settings (as Scrapy's S3 feed storage uses)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    parts = urlsplit(uri)
    client = boto3.client(
        "s3", aws_access_key_id=settings.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=settings.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=settings.get("AWS_SESSION_TOKEN"),
        endpoint_url=settings.get("AWS_ENDPOINT_URL"), region_name=settings.get("AWS_REGION_NAME"),
        use_ssl=settings.getbool("AWS_USE_SSL", True), verify=settings.get("AWS_VERIFY"))
    try:
        client.download_file(parts.netloc, parts.path.lstrip("/"), str(dest))
    except ClientError as exc:
        raise BackfillError(f"cannot download {uri}: {exc.response.get('Error', {}).get('Code', exc)}") from None
    except BotoCoreError as exc:
        raise BackfillError(f"cannot download {uri}: {exc}") from None


def crawl_file(path: Path, settings, job: str) -> dict:
    """ONE crawl of CleanSpider over the file, in this process (the horse: a fresh fork of
    a worker that never started a reactor), as `scrapy clean FILE` would run it."""
    from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess
    from crawler.commands.clean import CleanSpider
    settings = settings.copy()
    # The per-file crawl's report would overwrite the last file's: the worker writes its
    # own totals to SUMMARY_FILE when it stops.
    settings.set("SUMMARY_FILE", "", priority="cmdline")
    settings.set("REPORT_BESIDE_FEED", False, priority="cmdline")
    if ((settings.get("TWISTED_REACTOR") == ASYNCIO_REACTOR and not settings.getbool("FORCE_CRAWLER_PROCESS"))
            or not settings.getbool("TWISTED_REACTOR_ENABLED", True)):
        process = AsyncCrawlerProcess(settings)   # as scrapy's cmdline chooses
    else:
        process = CrawlerProcess(settings)
    crawler = process.create_crawler(CleanSpider)
    # backfill_job: a spider attribute, so a remote feed URI can name each file's object
    process.crawl(crawler, files=[path], backfill_job=job)
    process.start()
    if process.bootstrap_failed:
        raise BackfillError(f"the crawl of {path} did not start (see the error above)")
    return crawler.stats.get_stats()


# --- the worker ------------------------------------------------------------------------------

@dataclass
class Progress:
    """This worker's files and pages, for the log and SUMMARY_FILE."""
    worker: str
    files_done: int = 0
    files_failed: int = 0       # given up on (no retries left)
    attempts_failed: int = 0    # failed runs, retried or not
    pages: int = 0
    kept: int = 0
    seconds: float = 0.0
    dropped: dict = field(default_factory=dict)

    def add(self, summary: dict) -> None:
        self.files_done += 1
        self.pages += summary["pages"]
        self.kept += summary["kept"]
        self.seconds += summary["seconds"]
        for reason, n in summary["dropped"].items():
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    def totals(self) -> dict:
        return {"worker": self.worker, "files_done": self.files_done, "files_failed": self.files_failed,
                "attempts_failed": self.attempts_failed,
                "pages": self.pages, "kept": self.kept, "dropped": dict(sorted(self.dropped.items())),
                "seconds": round(self.seconds, 3), "pages_per_second": rate(self.pages, self.seconds)}


def rate(pages: int, seconds: float) -> float:
    return round(pages / seconds, 1) if seconds else 0.0


def last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no reason recorded"


def reason_of(job) -> str:
    """Why a job failed: what its horse recorded, else the last line of rq's traceback (a
    horse killed by a signal or the job timeout records nothing itself)."""
    return job.meta.get("reason") or last_line(job.exc_info)


def worker_class():
    from rq import Worker

    class BackfillWorker(Worker):
        """rq's forking Worker, with the visibility timeout as the TTL of a running job's
        heartbeat. rq renews a job's score in the StartedJobRegistry every
        job_monitoring_interval seconds, to now + get_heartbeat_ttl(); a job whose worker
        stopped renewing it (killed, its machine gone) is past its score that long after,
        and StartedJobRegistry.cleanup() retries it. rq's own TTL is the interval + 60 s."""

        visibility_timeout = VISIBILITY_TIMEOUT
        progress: Progress

        def get_heartbeat_ttl(self, job, *args, **kwargs) -> int:   # rq 2: (job); rq 3: (job, working_time)
            return self.visibility_timeout

        def subscribe(self):
            # rq listens for its commands (`rq` shutdown, stop a job) in a thread whose reads
            # block up to 60 s, and a burst's end waits for it: every burst on an empty queue
            # took a minute. Reads of 1 s keep the commands and end a burst at once.
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(
                sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler)

        def execute_job(self, job, queue):
            super().execute_job(job, queue)   # forks the horse and waits for it
            report_job(job, queue, self.progress)

    return BackfillWorker


def report_job(job, queue, progress: Progress) -> None:
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry
    source = job.args[0] if job.args else job.description
    job.refresh()
    status = job.get_status(refresh=False)
    if status == JobStatus.FINISHED:
        summary = job.return_value(refresh=True) or {}
        if summary:
            progress.add(summary)
        logger.info("backfill: %s done: %d pages in %.1f s (%.1f pages/s); files done by this worker: %d; "
                    "queued: %d, in progress: %d", source, summary.get("pages", 0), summary.get("seconds", 0.0),
                    summary.get("pages_per_second", 0.0), progress.files_done, queue.count,
                    len(StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)))
        return
    progress.attempts_failed += 1
    reason = reason_of(job)
    if status in (JobStatus.QUEUED, JobStatus.SCHEDULED):
        then = f"queued again ({job.retries_left or 0} retries left)"
    else:
        progress.files_failed += 1
        then = "given up: kept in the queue's failed jobs (--status)"
    logger.error("backfill: %s failed: %s; %s", source, reason, then)


def run_worker(settings, redis_url: str) -> dict:
    """Burst runs of an rq worker until no file is queued and none is in progress on any
    worker: between runs it sleeps and retries the files of workers that stopped renewing
    them (StartedJobRegistry.cleanup), so a worker that outlives a killed one cleans the
    dead one's file. Returns this worker's totals."""
    global _context
    from rq.registry import StartedJobRegistry
    connection = connect(redis_url)
    queue = backfill_queue(connection, settings)
    started = StartedJobRegistry(queue=queue)
    name = f"{socket.gethostname()}.{os.getpid()}"
    visibility = max(1, settings.getint("BACKFILL_VISIBILITY_TIMEOUT", VISIBILITY_TIMEOUT))
    poll = max(0.2, min(settings.getfloat("BACKFILL_POLL_INTERVAL", POLL_INTERVAL), visibility / 4))
    work_dir = Path(settings.get("BACKFILL_WORK_DIR") or Path(tempfile.gettempdir()) / "arabic-news-backfill")
    _context = HorseContext(settings=settings, worker=name, work_dir=work_dir)
    progress = Progress(worker=name)
    logger.info("backfill: worker %s takes files from queue %s on %s (visibility timeout %d s)",
                name, queue.name, safe_url(redis_url), visibility)
    if visibility - max(1, visibility // 4) <= LOCK_TTL:
        logger.warning("backfill: BACKFILL_VISIBILITY_TIMEOUT=%d is too short for workers on several machines: "
                       "a file may pass to another worker before the state store takes the dead one for gone "
                       "(%d s without a heartbeat), and that one's unfinished documents would be lost; fine when "
                       "every worker runs on this machine (docs/backfill.md)", visibility, LOCK_TTL)
    Worker = worker_class()
    while True:
        # Renewed well within the timeout: a live worker's file is never taken for abandoned.
        worker = Worker([queue], connection=connection, name=name,
                        job_monitoring_interval=max(1, visibility // 4))
        worker.visibility_timeout = visibility
        worker.progress = progress
        worker.work(burst=True, logging_level=settings.get("LOG_LEVEL", "INFO"))
        if getattr(worker, "_stop_requested", False):   # SIGINT/SIGTERM: rq's warm shutdown
            logger.info("backfill: worker %s stopping on request", name)
            break
        started.cleanup()   # abandoned files back in the queue, as retries
        if not queue.count and not started.get_job_ids(cleanup=False):
            break
        time.sleep(poll)
    totals = progress.totals()
    logger.info("backfill: worker %s finished: %d files (%d failed), %d pages in %.1f s (%.1f pages/s)",
                name, totals["files_done"], totals["files_failed"], totals["pages"], totals["seconds"],
                totals["pages_per_second"])
    summary_file = settings.get("SUMMARY_FILE")
    if summary_file:
        path = Path(summary_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"backfill": totals}, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)
    return totals


# --- status ----------------------------------------------------------------------------------

def status(connection, settings) -> dict:
    """Files queued, in progress (and where), done and failed, and each worker's files and
    pages/s from the results of its jobs."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
    queue = backfill_queue(connection, settings)

    def jobs(ids):
        return [j for j in Job.fetch_many(list(ids), connection=connection) if j is not None]

    in_progress = [{"source": j.description, "worker": j.worker_name}
                   for j in jobs(StartedJobRegistry(queue=queue).get_job_ids(cleanup=False))]
    failed = [{"source": j.description, "reason": reason_of(j)}
              for j in jobs(FailedJobRegistry(queue=queue).get_job_ids(cleanup=False))]
    workers: dict[str, Progress] = {}
    done = 0
    for j in jobs(FinishedJobRegistry(queue=queue).get_job_ids(cleanup=False)):
        summary = j.return_value() or {}
        done += 1
        if summary:
            name = summary.get("worker") or j.worker_name or "?"
            workers.setdefault(name, Progress(worker=name)).add(summary)
    return {"queue": queue.name, "queued": queue.count, "in_progress": in_progress, "done": done,
            "failed": failed, "workers": [w.totals() for w in sorted(workers.values(), key=lambda w: w.worker)]}


def format_status(report: dict) -> str:
    lines = [f"queue {report['queue']}: {report['queued']} files queued, {len(report['in_progress'])} in progress, "
             f"{report['done']} done, {len(report['failed'])} failed"]
    lines += [f"  in progress: {j['source']} (worker {j['worker']})" for j in report["in_progress"]]
    lines += [f"  failed: {j['source']}: {j['reason']}" for j in report["failed"]]
    lines += [f"  worker {w['worker']}: {w['files_done']} files, {w['pages']} pages in {w['seconds']:.1f} s "
              f"({w['pages_per_second']:.1f} pages/s)" for w in report["workers"]]
    return "\n".join(lines)
