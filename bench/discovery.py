"""Discovery on a site at real size: requests a run makes, counted at the server.

    python bench/discovery.py [--days 3650] [--per-day 80]

Serves fixtures/big_site.py (ten years of daily child sitemaps, 80 articles a day, a feed
of the newest 50, validators and 304s) on loopback and runs `scrapy crawl news` on it as a
user would: a first run with default settings, a run after 20 new articles, a run with
nothing new, and a `since=` backfill of five days. Prints the requests of each run by kind
and its wall time. Figures, not assertions (tests/test_discovery.py asserts the bounds).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.big_site import BigSite, seed_text, serve_big_site  # noqa: E402

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "LOG_LEVEL=WARNING"]


def run(site: BigSite, tmp: Path, name: str, *extra: str) -> None:
    seed = tmp / "bigsite.toml"
    seed.write_text(seed_text(site), encoding="utf-8")
    site.counts.clear()
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed}",
                           "-O", str(tmp / f"{name}.jsonl"), "-s", f"STATE_URI=sqlite:///{tmp}/state.sqlite",
                           *FAST, *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    took = time.monotonic() - start
    exported = sum(1 for _ in open(tmp / f"{name}.jsonl", encoding="utf-8")) if (tmp / f"{name}.jsonl").exists() else 0
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(site.counts.items()))
    print(f"{name:<22} exit {proc.returncode}  {took:6.1f} s  exported {exported:>4}  requests: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--per-day", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_big_site(BigSite(args.days, args.per_day)) as site:
        tmp = Path(tmp)
        print(f"site: {len(site.days_listed())} child sitemaps, {site.total()} articles, at {site.base}")
        run(site, tmp, "first run (defaults)")
        site.publish(20)
        run(site, tmp, "after 20 new articles")
        run(site, tmp, "nothing new")
        since = (datetime.now(timezone.utc) - timedelta(days=5)).date().isoformat()
        run(site, tmp, f"since={since}", "-a", f"since={since}")


if __name__ == "__main__":
    main()
