"""Shared test helpers: the fixture site on loopback, goldens, and running scrapy as a user would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.server import serve

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))


def load_goldens() -> list[dict]:
    out = []
    for path in sorted((FIXTURES / "golden").rglob("*.json")):
        if path.name != "index.json":
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def parquet_documents(folder: Path) -> list[dict]:
    """Every document of the Parquet files in `folder`; a batch a kill cut is unreadable (as
    Parquet is until closed) and counts for nothing."""
    import pyarrow.parquet as pq
    docs = []
    for path in sorted(folder.glob("*.parquet")):
        try:
            docs += pq.read_table(path).to_pylist()
        except Exception:
            continue
    return docs


def run_scrapy(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    """`scrapy ARGS` in a child process, exactly as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"scrapy {' '.join(args)} failed:\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="session")
def site_url():
    with serve(port=0) as base:
        yield base


def demo_seed_for(base: str, dest: Path) -> Path:
    """fixtures/seeds/demo.toml pointed at a server on another port."""
    text = (ROOT / "fixtures" / "seeds" / "demo.toml").read_text(encoding="utf-8")
    dest.write_text(text.replace("http://127.0.0.1:8731", base), encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def cleaned(tmp_path_factory):
    """Every page of the fixture site through `scrapy clean`, by site path."""
    out = tmp_path_factory.mktemp("golden") / "docs.jsonl"
    # Content dedupe off: the syndicated copy and the near-duplicate have goldens of their own.
    run_scrapy("clean", str(FIXTURES / "site"), "-O", str(out), "-s", "DEDUPE_ENABLED=False")
    docs = {}
    for doc in read_jsonl(out):
        docs[doc["fetched_url"].split("/fixtures/site", 1)[1]] = doc
    return docs


class RedisServer:
    """A real redis-server on a free loopback port, with its data in `directory`."""

    def __init__(self, directory: Path, password: str | None = None):
        import shutil
        import socket
        import time
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: `make test` and .ci/run install it"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory, self.password = directory, password
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
                "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        if password:
            args += ["--requirepass", password]
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        self.__init__(self.directory, self.password)


@pytest.fixture()
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()
