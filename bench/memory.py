"""Crawler memory over a long crawl: RSS after 2,000 and after 20,000 pages.

    python bench/memory.py [--pages 20000] [--marks 2000,5000,10000,15000]

One full-pipeline crawl (the settings of bench/crawl.py) of a generated site of `--pages`
articles served by nginx. While it runs, the RSS of the crawler's process tree (a process
pool's workers included) is sampled every 0.25 s with the number of documents in its feed
so far; the sample at which the feed first reaches each mark is reported, and the last
one before the last document is written. The figure is the growth from the 2,000 mark to the end.
Scrapy's scheduler holds every discovered request from the start (the sitemaps list all
articles), so the early figure includes the queue that the late one no longer has.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_measured, site_generator  # noqa: E402
from crawl import env, scrapy_command, scrapy_outcome, seed_file  # noqa: E402
from nginx import serve  # noqa: E402


class LineCounter:
    """Lines of a growing file, reading only what was appended since the last call."""

    def __init__(self, path: Path):
        self.path, self.offset, self.lines = path, 0, 0

    def __call__(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return self.lines
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        return self.lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--marks", default="2000,5000,10000,15000")
    ap.add_argument("--base", type=int, default=2000, help="the mark the growth is measured from")
    args = ap.parse_args()
    marks = sorted(int(m) for m in args.marks.split(",") if m)

    gen = site_generator()
    site = gen.ensure_site(args.pages, args.seed)
    manifest = gen.manifest_of(site)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, serve(site) as (base, _):
        tmp = Path(tmp)
        gen.write_indexes(site, base)
        seeds = seed_file(base, tmp / "bench.toml")
        work = tmp / "full"
        work.mkdir()
        print(f"crawling {manifest['pages']} pages at {base} with the full pipeline ...", file=sys.stderr, flush=True)
        counter = LineCounter(work / "out.jsonl")
        m = run_measured(scrapy_command("full", seeds, work), env=env(), log=work / "log.txt",
                         interval=0.25, probe=counter)
        pages, note, complete = scrapy_outcome(work, manifest["pages"])
        log_tail = (work / "log.txt").read_text(errors="replace")[-1500:] if m.returncode else ""

    samples = [(t, rss, docs) for t, rss, docs in m.samples if docs]
    print(f"\n== Crawler memory over a long crawl: {manifest['pages']} pages, full pipeline, "
          f"{os.cpu_count()} cores ==")
    print(f"{pages} pages in {m.wall:.0f} s ({pages / m.wall:.1f} pages/s), "
          f"{'all pages fetched' if complete else 'NOT ALL PAGES FETCHED'}; {note}")
    if m.returncode:
        print(f"crawl exited with {m.returncode}:\n{log_tail}")
    if not samples:
        print("no documents were written: nothing to compare")
        return
    rows = []
    for mark in marks:
        hit = next((s for s in samples if s[2] >= mark), None)
        if hit:
            rows.append((f"{mark:,} documents", mark, hit))
    # The last sample before the last document was written: the crawl still at work. Once
    # it is written the crawl closes and the pool's processes exit, which is no measure.
    last_count = max(d for _, _, d in samples)
    final = [s for s in samples if s[2] < last_count][-1:] or [samples[-1]]
    rows.append((f"end ({final[0][2]:,} documents)", final[0][2], final[0]))
    print(f"{'when':<26} {'t s':>6} {'tree RSS MB':>12}")
    for label, _, (t, rss, _) in rows:
        print(f"{label:<26} {t:>6.0f} {rss / 1e6:>12.0f}")
    print(f"peak RSS of the process tree over the run: {m.peak_rss / 1e6:.0f} MB")
    base = next((r for r in rows if r[1] >= args.base), rows[0])
    growth = (rows[-1][2][1] - base[2][1]) / base[2][1]
    print(f"RSS growth from {base[2][2]:,} to {rows[-1][2][2]:,} documents: {100 * growth:+.1f}%   "
          f"goal: less than 20%")


if __name__ == "__main__":
    main()
