"""What the bench scripts share: running a command while watching its process tree's
memory, its CPU time, free loopback ports, a throwaway redis-server."""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def site_generator():
    """bench/site.py as a module: under its own name, since `import site` is the standard
    library's module, which Python loads at startup."""
    import importlib.util
    import sys
    if "bench_site" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_site", Path(__file__).with_name("site.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_site"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_site"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before listening on {port}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
            time.sleep(0.05)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields start after the last ")"
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_pids(root: int) -> list[int]:
    kids, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def tree_rss(pids: list[int]) -> int:
    """Resident bytes of these processes (a process tree: a pool's workers too)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue   # exited between the listing and the read
    return total


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Descendants orphaned by their parent's exit (a forkserver outliving the crawler, and
    the pool workers it reaped) are re-parented to this process instead of init, so that
    reaping them adds their CPU time to RUSAGE_CHILDREN; otherwise it would be lost."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans(pids: set[int], timeout: float = 20.0) -> list[int]:
    """Wait for the descendants seen during a run to exit and reap those re-parented to us;
    returns those still running after `timeout` (then killed)."""
    deadline = time.monotonic() + timeout
    left = set(pids)
    while left:
        for pid in list(left):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    left.discard(pid)
            except ChildProcessError:   # not ours: still has its own parent, or gone
                if not os.path.exists(f"/proc/{pid}"):
                    left.discard(pid)
        if left and time.monotonic() > deadline:
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            return sorted(left)
        if left:
            time.sleep(0.05)
    return []


@dataclass
class Measured:
    returncode: int
    wall: float            # seconds
    cpu: float             # user + system seconds of the process and every descendant it waited for
    peak_rss: int          # bytes: the largest sum of the tree's resident memory seen while sampling
    lingered: list[int] = field(default_factory=list)   # descendants killed after the run
    samples: list[tuple[float, int, object]] = field(default_factory=list)   # (t, rss, probe())


class Rates:
    """Pages/s and CPU seconds per page of a measured run (one with `pages` and `m`)."""

    pages: int
    m: Measured

    @property
    def rate(self) -> float:
        return self.pages / self.m.wall if self.m.wall else 0.0

    @property
    def cpu_page(self) -> float:
        return self.m.cpu / self.pages if self.pages else float("nan")


def run_measured(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, log: Path | None = None,
                 interval: float = 0.1, probe: Callable[[], object] | None = None,
                 timeout: float = 3600) -> Measured:
    """Run `cmd`, sampling its process tree's RSS every `interval` s (with `probe()`, e.g. how
    many documents are written so far). CPU comes from getrusage(RUSAGE_CHILDREN), which
    counts a process once it is reaped, with what it reaped: this process is a subreaper and
    reaps the tree's orphans itself. Nothing else of ours may end in between."""
    become_subreaper()
    out = open(log, "wb") if log else subprocess.DEVNULL
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    samples: list[tuple[float, int, object]] = []
    peak = 0
    seen: set[int] = set()
    stop = threading.Event()

    def watch():
        nonlocal peak
        while not stop.is_set():
            pids = tree_pids(proc.pid)
            seen.update(pids)
            rss = tree_rss(pids)
            peak = max(peak, rss)
            samples.append((time.monotonic() - t0, rss, probe() if probe else None))
            stop.wait(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    wall = time.monotonic() - t0
    stop.set()
    watcher.join()
    lingered = reap_orphans(seen - {proc.pid})
    if log:
        out.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(proc.returncode, wall, cpu, peak, samples=samples, lingered=lingered)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class RedisServer:
    """A real redis-server on a free loopback port, persistence off (the store bench times
    the store's round trips, not the disk), as tests/conftest.py starts one."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed (make services)")
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                      str(directory), "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def bench_parser(doc: str, kinds: str) -> argparse.ArgumentParser:
    """The options of the runs on the generated site: its size and seed, how many rounds,
    which kinds of run, where to keep what they wrote."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--kinds", default=kinds, help="which runs (default: all)")
    ap.add_argument("--keep", type=Path, help="keep the runs' logs and outputs here (default: a temporary folder)")
    return ap
