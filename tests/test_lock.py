"""The run lock and worker liveness: the heartbeat decides on every host, the PID is only a
hint. In a container the crawl is often PID 1, which always exists: a killed crawl's lock
must still be taken over once its heartbeat is older than LOCK_TTL."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from pipelines.state import LOCK_TTL, SQLiteStore, lock_alive, process_namespace


def here(**changes):
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": "t0", "ns": process_namespace(), **changes}


def gone_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout)


STALE = time.time() - LOCK_TTL - 1


def test_a_stale_heartbeat_is_dead_even_when_its_pid_exists():
    assert os.path.exists("/proc/1")   # PID 1 always exists: the container case
    assert not lock_alive(here(pid=1), STALE)
    assert not lock_alive({"host": "another-host", "pid": 1, "since": "t0"}, STALE)


def test_a_fresh_heartbeat_is_alive_unless_its_process_is_known_gone():
    now = time.time()
    assert lock_alive(here(pid=1), now)
    assert lock_alive({"host": "another-host", "pid": gone_pid(), "since": "t0"}, now)   # not our PIDs
    assert not lock_alive(here(pid=gone_pid()), now)                                      # our PIDs: gone
    # the same host name in another PID namespace (another container): its PID says nothing
    assert lock_alive(here(pid=gone_pid(), ns="another-boot:4026531836"), now)


def put_lock(store: SQLiteStore, holder: dict, heartbeat: float) -> None:
    store.db.execute("INSERT OR REPLACE INTO run_lock (one, holder, heartbeat) VALUES (1, ?, ?)",
                     (json.dumps(holder), heartbeat))


@pytest.mark.parametrize("heartbeat, taken", [(STALE, True), (None, False)], ids=["stale", "fresh"])
def test_sqlite_lock_of_a_pid_1_crawl_is_taken_over_by_its_heartbeat(tmp_path, heartbeat, taken):
    store = SQLiteStore(tmp_path / "state.sqlite")
    other = here(pid=1, since="killed")
    put_lock(store, other, heartbeat or time.time())
    result = store.acquire_lock(here())
    assert (result is None) == taken
    if not taken:
        assert result == other


@pytest.mark.parametrize("stale", [True, False], ids=["stale", "fresh"])
def test_redis_lock_of_a_pid_1_crawl_is_taken_over_by_its_heartbeat(redis_server, stale):
    import redis

    from pipelines.state_redis import RedisStore
    store = RedisStore(redis_server.url)
    other = here(pid=1, since="killed")
    beat = STALE if stale else time.time()
    r = redis.Redis.from_url(redis_server.url)
    r.set(store.p + "run_lock", json.dumps({**other, "heartbeat": beat}))
    result = store.acquire_lock(here())
    assert (result is None) == stale
    if not stale:
        assert result == {**other, "heartbeat": beat}
