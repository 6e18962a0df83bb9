"""`make demo`: crawl the bundled offline news site and show the crawl report.

Serves fixtures/site on loopback, runs `scrapy crawl news -a seeds=fixtures/seeds/demo.toml` as any
user would, stops the server and prints the run's report: the table the crawl logs at INFO
(the demo quiets the log to warnings), and where the documents and the report went.
Extra arguments go to `scrapy crawl`, e.g. `python -m crawler.demo -s STATE_URI=sqlite:///x.sqlite`.
`python -m crawler.demo seeds` (`make demo-seeds`) runs the seed doctor, `scrapy seeds`, on it instead.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fixtures.server import serve

ROOT = Path(__file__).resolve().parent.parent
DEMO_PORT = int(os.environ.get("DEMO_PORT", "8731"))  # the port fixtures/seeds/demo.toml names
DEMO_SEED = ROOT / "fixtures" / "seeds" / "demo.toml"


def seed_for(base: str, tmp: Path) -> Path:
    """fixtures/seeds/demo.toml as is on its own port; on another one (DEMO_PORT), a copy pointed there."""
    if base == "http://127.0.0.1:8731":
        return DEMO_SEED
    seed = tmp / "demo.toml"
    seed.write_text(DEMO_SEED.read_text(encoding="utf-8").replace("http://127.0.0.1:8731", base), encoding="utf-8")
    return seed


def doctor(args: list[str]) -> int:
    """`scrapy seeds` on the bundled site, served for the while."""
    with tempfile.TemporaryDirectory() as tmp, serve(port=DEMO_PORT) as base:
        print(f"Serving the bundled news site at {base}; checking fixtures/seeds/demo.toml ...", flush=True)
        return subprocess.call([sys.executable, "-m", "scrapy", "seeds", "-a", f"seeds={seed_for(base, Path(tmp))}",
                                *args], cwd=ROOT)


def main() -> int:
    from crawler.extensions.report import format_table, report_path_for

    if sys.argv[1:2] == ["seeds"]:
        return doctor(sys.argv[2:])
    with tempfile.TemporaryDirectory() as tmp, serve(port=DEMO_PORT) as base:
        summary_file = Path(tmp) / "summary.json"
        print(f"Serving the bundled news site at {base}; crawling it with fixtures/seeds/demo.toml ...", flush=True)
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"seeds={seed_for(base, Path(tmp))}",
               "-s", "LOG_LEVEL=WARNING", "-s", f"SUMMARY_FILE={summary_file}", *sys.argv[1:]]
        code = subprocess.call(cmd, cwd=ROOT)
        if not summary_file.exists():
            print(f"the crawl failed (exit code {code})", file=sys.stderr)
            return code or 1
        report = json.loads(summary_file.read_text(encoding="utf-8"))
    print(format_table(report))
    for feed in report["feeds"]:
        print(f"feed: {feed}")
        if "://" not in feed:  # a local file: its report is beside it
            print(f"report: {report_path_for(Path(feed))}")
    if not report["feeds"]:
        print("feed: none written (no documents)")
    if report["kept"] == 0 and report["articles_skipped_seen"]:
        print("Nothing new: every article is already in the state store (.state/). "
              "Delete .state/ to crawl the site afresh.")
    if code != 0:
        print(f"the crawl exited with code {code}: see the failed checks above", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
