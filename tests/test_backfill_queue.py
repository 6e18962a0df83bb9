"""Backfills on many machines: WARC files in a Redis work queue (rq) on a real redis-server,
cleaned by real `scrapy clean --queue` worker processes (crawler/backfill.py).

The WARC files hold the fixture site's pages, written with warcio; what a worker must
export is what a single `scrapy clean` of the same files exports.
"""
from __future__ import annotations

import collections
import functools
import gzip
import http.server
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conftest import FIXTURES, ROOT, RedisServer, load_goldens, run_scrapy
from crawler.backfill import job_id
from test_remote_feeds import s3_server  # noqa: F401 (a fixture: moto's S3 API server)

pytestmark = pytest.mark.distributed

SITE = FIXTURES / "site"
BASE = "http://news.example"
VISIBILITY = 6   # seconds: one host, so a dead worker is known by its PID at once
ID = re.compile(r'"id":\s*"([0-9a-f]{40})"')


def family_groups() -> list[list[Path]]:
    """The site's pages, a syndicated or near-duplicate copy with its original: which copy
    dedupe keeps depends on the order it sees them in, and across workers only the order
    inside one file is kept."""
    root_of = {g["path"]: g.get("duplicate_of") or g["path"] for g in load_goldens()}
    groups: dict[str, list[Path]] = collections.defaultdict(list)
    for page in sorted(SITE.rglob("*.htm*")):
        path = "/" + page.relative_to(SITE).as_posix()
        groups[root_of.get(path, path)].append(page)
    return [sorted(group, key=lambda p: "/" + p.relative_to(SITE).as_posix() != root) for root, group in
            sorted(groups.items())]


def url_of(page: Path) -> str:
    return f"{BASE}/{page.relative_to(SITE).as_posix()}"


def write_warcs(folder: Path, count: int) -> dict[Path, list[str]]:
    """`count` WARC files sharing out the site's pages; the URLs in each."""
    folder.mkdir(parents=True, exist_ok=True)
    shares: list[list[Path]] = [[] for _ in range(count)]
    for n, group in enumerate(family_groups()):
        shares[n % count].extend(group)
    files = {}
    for n, pages in enumerate(shares):
        path = folder / f"part-{n}.warc.gz"
        with open(path, "wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            for page in pages:
                body = page.read_bytes().replace(b"__BASE__", BASE.encode())
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                      ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(url_of(page), "response", payload=io.BytesIO(body),
                                                              http_headers=headers))
        files[path] = [url_of(page) for page in pages]
    return files


def feed_ids(path: Path) -> list[str]:
    """The document ids a JSON Lines feed holds, a line a kill may have cut included (its id
    comes first: the document reached the feed)."""
    if not path.exists():
        return []
    return ID.findall(path.read_bytes().decode("utf-8", errors="replace"))


def reference(tmp_path: Path, files) -> list[dict]:
    out = tmp_path / "single.jsonl"
    run_scrapy("clean", *map(str, files), "-O", str(out))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def child_env() -> dict:
    # PYTHONPATH kept after the worktree: a run can try another rq (PYTHONPATH=/path/to/rq2).
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def scrapy_args(redis_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "clean", "--queue", redis_url, *args]


def queue_command(redis_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(scrapy_args(redis_url, *args), cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def start_worker(redis_url: str, out: Path, log: Path, *extra: str) -> subprocess.Popen:
    # Its own session: the test can stop the worker and everything it started, as a
    # machine that dies would.
    return subprocess.Popen(
        scrapy_args(redis_url, "-o", str(out), "-s", f"BACKFILL_VISIBILITY_TIMEOUT={VISIBILITY}",
                    "-s", "CLEANING_PROCESSES=1", "-s", "LOG_LEVEL=INFO", *extra),
        cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"), start_new_session=True)


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it (the rq work horse has a process group of its own,
    and the cleaning processes are the horse's)."""
    children = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def signal_all(pids, sig) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def job_of(redis_url: str, worker_name: str):
    """The file `worker_name` has in progress, if any."""
    from redis import Redis
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    from crawler.backfill import backfill_queue
    connection = Redis.from_url(redis_url)
    for jid in StartedJobRegistry(queue=backfill_queue(connection)).get_job_ids(cleanup=False):
        job = Job.fetch(jid, connection=connection)
        if job.worker_name == worker_name:
            return job
    return None


def kill_mid_file(redis_url, worker: subprocess.Popen, feed: Path, expected: dict[str, set[str]]):
    """Kill the worker with SIGKILL, with everything it started, once its feed holds some
    but not all of the documents of the file it is cleaning. Each look freezes the
    processes first (SIGSTOP), so what is seen is what the kill leaves."""
    name = f"{socket.gethostname()}.{worker.pid}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and worker.poll() is None:
        job = job_of(redis_url, name)
        if job is not None:
            tree = process_tree(worker.pid)
            signal_all(tree, signal.SIGSTOP)
            wanted = expected[job.args[0]]
            held = wanted & set(feed_ids(feed))
            if 0 < len(held) < len(wanted):
                signal_all(process_tree(worker.pid), signal.SIGKILL)
                worker.wait(timeout=30)
                return job.args[0], held
            signal_all(tree, signal.SIGCONT)
        time.sleep(0.03)
    pytest.fail("the worker was never caught with a file half cleaned")


def test_two_workers_one_killed_mid_file_every_document_once(tmp_path):
    files = write_warcs(tmp_path / "warcs", 4)
    single = reference(tmp_path, files)
    by_url = {d["fetched_url"]: d["id"] for d in single}
    expected = {str(path): {by_url[u] for u in urls if u in by_url} for path, urls in files.items()}
    assert all(len(ids) >= 3 for ids in expected.values()), "a file too small to be killed in the middle of"

    redis = RedisServer(tmp_path)
    try:
        queued = queue_command(redis.url, "--enqueue", *map(str, files))
        assert f"queued {len(files)} files" in queued.stdout
        feeds = [tmp_path / "worker-a.jsonl", tmp_path / "worker-b.jsonl"]
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        victim = start_worker(redis.url, feeds[0], logs[0])
        survivor = start_worker(redis.url, feeds[1], logs[1])
        try:
            killed_file, held = kill_mid_file(redis.url, victim, feeds[0], expected)
            assert victim.returncode == -signal.SIGKILL
            survivor.wait(timeout=300)
        finally:
            for proc in (victim, survivor):
                if proc.poll() is None:
                    signal_all(process_tree(proc.pid), signal.SIGKILL)
        survivor_log = logs[1].read_text(encoding="utf-8", errors="replace")
        assert survivor.returncode == 0, survivor_log[-3000:]

        # Every document of the single clean, once across both feeds.
        exported = feed_ids(feeds[0]) + feed_ids(feeds[1])
        doubled = {i: n for i, n in collections.Counter(exported).items() if n > 1}
        assert not doubled, f"documents exported twice: {doubled}"
        assert sorted(exported) == sorted(by_url.values())

        # The kill was mid-file: the victim's feed holds part of the file, the survivor the rest.
        victim_part = set(feed_ids(feeds[0])) & expected[killed_file]
        assert victim_part == held and 0 < len(victim_part) < len(expected[killed_file])
        assert expected[killed_file] - victim_part <= set(feed_ids(feeds[1]))

        # No file skipped: every job finished, the killed one by the survivor, after a retry.
        from redis import Redis
        from rq.job import Job
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        from crawler.backfill import backfill_queue
        connection = Redis.from_url(redis.url)
        queue = backfill_queue(connection)
        assert sorted(FinishedJobRegistry(queue=queue).get_job_ids(cleanup=False)) == \
            sorted(job_id(str(f)) for f in files)
        assert FailedJobRegistry(queue=queue).get_job_ids(cleanup=False) == []
        retried = Job.fetch(job_id(killed_file), connection=connection)
        assert retried.return_value()["worker"] == f"{socket.gethostname()}.{survivor.pid}"
        assert f"backfill: {killed_file} done:" in survivor_log
        assert re.search(r"backfill: worker \S+ finished: \d+ files \(0 failed\)", survivor_log)
    finally:
        redis.stop()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def http_folder(tmp_path):
    """A plain HTTP server on loopback serving tmp_path/served."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_enqueue_status_bad_files_and_an_http_url(tmp_path, http_folder, redis_server):
    served, base = http_folder
    files = list(write_warcs(tmp_path / "warcs", 3))
    (files[2]).rename(served / files[2].name)       # the third one is only on the web
    remote = f"{base}/{files[2].name}"
    missing = str(tmp_path / "warcs" / "gone.warc.gz")
    listing = tmp_path / "warc.paths.gz"
    # a paths list as Common Crawl publishes it: gzipped, relative to a base URL
    listing.write_bytes(gzip.compress(f"{files[2].name}\nnot-there.warc.gz\n\n".encode()))
    url = redis_server.url

    first = queue_command(url, "--enqueue", str(files[0]), str(files[1]), missing, "-s", "BACKFILL_RETRIES=1")
    assert "queued 3 files" in first.stdout
    again = queue_command(url, "--enqueue", str(files[0]), str(files[1]), "-s", "BACKFILL_RETRIES=1")
    assert "queued 0 files" in again.stdout and "2 already queued or done" in again.stdout
    listed = queue_command(url, "--enqueue-list", str(listing), "--base-url", base + "/", "-s", "BACKFILL_RETRIES=1")
    assert "queued 2 files" in listed.stdout
    assert "5 files queued, 0 in progress, 0 done, 0 failed" in queue_command(url, "--status").stdout

    # Refused before anything is cleaned: a state store the workers cannot share, and -O.
    sqlite = queue_command(url, "-o", str(tmp_path / "x.jsonl"), "-s", f"STATE_URI=sqlite:///{tmp_path}/s.sqlite",
                           check=False)
    assert sqlite.returncode != 0 and "is not shared by the queue's workers" in sqlite.stderr
    overwrite = queue_command(url, "-O", str(tmp_path / "x.jsonl"), check=False)
    assert overwrite.returncode != 0 and "use -o, which appends" in overwrite.stderr

    out, summary, work = tmp_path / "worker.jsonl", tmp_path / "summary.json", tmp_path / "work"
    worker = queue_command(url, "-o", str(out), "-s", f"BACKFILL_VISIBILITY_TIMEOUT={VISIBILITY}",
                           "-s", "CLEANING_PROCESSES=1", "-s", f"SUMMARY_FILE={summary}",
                           "-s", f"BACKFILL_WORK_DIR={work}", check=False)
    assert worker.returncode == 1, worker.stderr[-3000:]   # it gave up on two files: the run failed
    assert re.search(r"backfill: worker \S+ finished: 3 files \(2 failed\)", worker.stderr)   # no crash
    assert f"failed: no such file: {missing}; given up" in worker.stderr
    assert "not-there.warc.gz: HTTP 404" in worker.stderr
    assert re.search(r"backfill: \S+part-0\.warc\.gz done: \d+ pages in [\d.]+ s \([\d.]+ pages/s\); "
                     r"files done by this worker: \d; queued: \d, in progress: 0", worker.stderr)

    # The worker cleaned the three files, the one over HTTP too, as a single clean does.
    served_copy = tmp_path / "warcs" / files[2].name
    served_copy.write_bytes((served / files[2].name).read_bytes())
    single = reference(tmp_path, [files[0], files[1], served_copy])
    assert sorted(feed_ids(out)) == sorted(d["id"] for d in single)
    assert work.is_dir() and not list(work.iterdir()), "a downloaded file was left behind"

    status = queue_command(url, "--status").stdout
    assert "0 files queued, 0 in progress, 3 done, 2 failed" in status
    assert f"failed: {missing}: no such file" in status
    assert f"failed: {base}/not-there.warc.gz: cannot download" in status
    totals = json.loads(summary.read_text(encoding="utf-8"))["backfill"]
    assert (totals["files_done"], totals["files_failed"], totals["kept"]) == (3, 2, len(single))
    assert re.search(rf"worker {re.escape(totals['worker'])}: 3 files, {totals['pages']} pages", status)
    # after the run, the same files are not queued again
    assert "queued 0 files" in queue_command(url, "--enqueue", str(files[0])).stdout


def test_s3_files_into_an_s3_feed_one_object_per_file(tmp_path, s3_server, redis_server):
    """Files in S3 (a real S3 API: moto's server), fetched with the crawl's AWS_* settings;
    the feed in S3 too, one object per file named with %(backfill_job)s."""
    endpoint, client = s3_server
    files = list(write_warcs(tmp_path / "warcs", 2))
    for path in files:
        client.upload_file(str(path), "docs", f"archives/{path.name}")
    aws = ["-s", f"AWS_ENDPOINT_URL={endpoint}", "-s", "AWS_ACCESS_KEY_ID=test", "-s", "AWS_SECRET_ACCESS_KEY=test",
           "-s", "AWS_REGION_NAME=us-east-1"]
    url = redis_server.url
    queue_command(url, "--enqueue", *(f"s3://docs/archives/{p.name}" for p in files), "s3://docs/archives/none.warc.gz",
                  "-s", "BACKFILL_RETRIES=1")
    plain = queue_command(url, "-o", "s3://docs/out/docs.jsonl", *aws, check=False)
    assert plain.returncode != 0 and "%(backfill_job)s" in plain.stderr   # one object for every file: refused

    worker = queue_command(url, "-o", "s3://docs/out/%(backfill_job)s.jsonl", *aws,
                           "-s", f"BACKFILL_VISIBILITY_TIMEOUT={VISIBILITY}", "-s", "CLEANING_PROCESSES=1",
                           "-s", f"BACKFILL_WORK_DIR={tmp_path / 'work'}", check=False)
    assert worker.returncode == 1, worker.stderr[-3000:]
    assert "none.warc.gz failed: cannot download s3://docs/archives/none.warc.gz: 404" in worker.stderr
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="docs", Prefix="out/")["Contents"])
    assert keys == sorted(f"out/{job_id(f's3://docs/archives/{p.name}')}.jsonl" for p in files)
    exported = [i for key in keys for i in ID.findall(client.get_object(Bucket="docs", Key=key)["Body"].read().decode())]
    assert sorted(exported) == sorted(d["id"] for d in reference(tmp_path, files))
