"""Remote feeds (S3, FTP) exactly once: a document sent to a feed that is uploaded at its
close stays provisional until the upload succeeded; killed before, the next run fetches it
again. Against a real S3 API (moto's server) and a real FTP server (pyftpdlib) on loopback.
A feed that Scrapy disables stops the run at its start."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT, demo_seed_for
from test_faults import ORIGINALS, documents, start_crawl, story_of

pytestmark = pytest.mark.feeds

BATCH = 4   # documents per uploaded object: several uploads in one run of the demo site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def s3_server(tmp_path):
    """moto's S3 API server on loopback, with one empty bucket."""
    import boto3
    port = free_port()
    # as a module of this Python: the venv's bin/ need not be on PATH (make test)
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket="docs")
            break
        except Exception:
            assert server.poll() is None and time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.2)
    yield endpoint, client
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture()
def ftp_server(tmp_path):
    """pyftpdlib on loopback, one user who may write to its folder."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer
    root = tmp_path / "ftp"
    root.mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_user("crawler", "secret", str(root), perm="elradfmwMT")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
    server = ThreadedFTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"handle_exit": False}, daemon=True)
    thread.start()
    yield f"ftp://crawler:secret@127.0.0.1:{server.address[1]}", root
    server.close_all()


def crawl(seed, state, feed_uri, *settings):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    feeds = json.dumps({feed_uri: {"format": "jsonlines", "batch_item_count": BATCH}})
    args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}", "-s", f"FEEDS={feeds}",
            "-s", f"STATE_URI=sqlite:///{state}", "-s", "LOG_LEVEL=INFO"]
    for setting in settings:
        args += ["-s", setting]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill_after_uploads(proc, count_objects, n, timeout=120):
    """SIGKILL once `n` objects are stored: mid-run, with a batch open and unstored."""
    deadline = time.monotonic() + timeout
    while count_objects() < n and proc.poll() is None:
        assert time.monotonic() < deadline, "the crawl stored nothing"
        time.sleep(0.05)
    assert proc.poll() is None, "the crawl ended before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def stories_in(texts):
    docs = []
    for text in texts:
        for line in text.splitlines():
            if line.strip():
                docs.append(json.loads(line))
    return sorted(story_of(d) for d in docs)


def test_s3_feed_killed_mid_run_then_run_again_holds_every_article_once(site_url, tmp_path, s3_server):
    endpoint, client = s3_server
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    aws = [f"AWS_ENDPOINT_URL={endpoint}", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
           "AWS_REGION_NAME=us-east-1"]
    uri = "s3://docs/news/%(batch_time)s-%(batch_id)d.jsonl"

    def objects():
        return [o["Key"] for o in client.list_objects_v2(Bucket="docs").get("Contents", [])]

    proc = crawl(seed, state, uri, *aws)
    kill_after_uploads(proc, lambda: len(objects()), 2)
    proc = crawl(seed, state, uri, *aws)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert "state store:" in err and "fetched again" in err   # the kill left documents to recover
    texts = [client.get_object(Bucket="docs", Key=key)["Body"].read().decode("utf-8") for key in objects()]
    assert stories_in(texts) == ORIGINALS


def test_ftp_feed_killed_mid_run_then_run_again_holds_every_article_once(site_url, tmp_path, ftp_server):
    base, root = ftp_server
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    uri = f"{base}/news/%(batch_time)s-%(batch_id)d.jsonl"

    def files():
        return sorted((root / "news").glob("*.jsonl")) if (root / "news").exists() else []

    proc = crawl(seed, state, uri)
    kill_after_uploads(proc, lambda: len(files()), 2)
    proc = crawl(seed, state, uri)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert stories_in(path.read_text(encoding="utf-8") for path in files()) == ORIGINALS


def test_a_feed_that_fails_to_upload_leaves_its_documents_to_the_next_run(site_url, tmp_path, s3_server):
    # the bucket does not exist: every upload fails at the feed's close
    endpoint, client = s3_server
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    aws = [f"AWS_ENDPOINT_URL={endpoint}", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
           "AWS_REGION_NAME=us-east-1"]
    proc = crawl(seed, state, "s3://no-such-bucket/%(batch_time)s-%(batch_id)d.jsonl", *aws)
    _, err = proc.communicate(timeout=300)
    assert "was not stored: its documents stay provisional" in err
    out = tmp_path / "second.jsonl"
    proc = start_crawl(seed, state, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents([out])) == ORIGINALS


@pytest.mark.parametrize("uri", ["nosuch://host/docs.jsonl", "gs://bucket/docs.jsonl"],
                         ids=["unknown scheme", "missing library"])
def test_a_run_whose_feed_is_disabled_stops_at_start_and_marks_nothing_done(site_url, tmp_path, uri):
    seed, state = demo_seed_for(site_url, tmp_path / "demo.toml"), tmp_path / "state.sqlite"
    proc = crawl(seed, state, uri)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "stopping before the crawl starts" in err
    assert "Spider opened" not in err
    out = tmp_path / "after.jsonl"   # nothing was marked done: a run with a working feed gets every article
    proc = start_crawl(seed, state, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert sorted(story_of(d) for d in documents([out])) == ORIGINALS
