"""`make demo`: crawl the bundled offline news site and say where the documents went.

Serves fixtures/site on loopback, runs `scrapy crawl news -a seeds=seeds/demo.toml` as any
user would, stops the server and prints the run's summary.
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
DEMO_PORT = int(os.environ.get("DEMO_PORT", "8731"))  # the port seeds/demo.toml names


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, serve(port=DEMO_PORT) as base:
        summary_file = Path(tmp) / "summary.json"
        print(f"Serving the bundled news site at {base}; crawling it with seeds/demo.toml ...", flush=True)
        cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "seeds=seeds/demo.toml",
               "-s", "LOG_LEVEL=WARNING", "-s", f"SUMMARY_FILE={summary_file}", *sys.argv[1:]]
        code = subprocess.call(cmd, cwd=ROOT)
        if code != 0 or not summary_file.exists():
            print(f"the crawl failed (exit code {code})", file=sys.stderr)
            return code or 1
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    from crawler.extensions.summary import format_summary
    print(format_summary(summary))
    if summary["kept"] == 0 and summary["articles_skipped_seen"]:
        print("Nothing new: every article is already in the state store (.state/). "
              "Delete .state/ to crawl the site afresh.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
