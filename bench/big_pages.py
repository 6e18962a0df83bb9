"""Cleaning time per MB on generated pages of 1 to 10 MB (fixtures/big_page.py: short
paragraphs with a link each, the shape that held the pipeline for minutes in issue 17).

    python bench/big_pages.py [--sizes 1,2,5,10] [--limit 60]

Each page goes through the configured CLEANING_STEPS in a child process, one step after
the other, timed; a step still running after --limit seconds is stopped and shown as
`>limit`. Flat s/MB from 1 to 10 MB means no step is super-linear. trafilatura.extract()
alone on the same page is shown for scale. Figures, not assertions.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _time_steps(conn, html: str) -> None:
    """In a child: each step's seconds on the page, sent as it ends."""
    os.chdir(ROOT)
    from scrapy.utils.project import get_project_settings

    from crawler.items import Page
    from pipelines.drops import Drop
    from pipelines.pool import DeltaStats, StepContext, build_steps
    settings = get_project_settings()
    steps = build_steps(settings.getlist("CLEANING_STEPS"), StepContext(settings, DeltaStats()))
    page = Page(fetched_url="https://bench.invalid/big.html", html=html, crawled_at="2026-01-01T00:00:00Z")
    for step in steps:
        name = type(step).__name__.removesuffix("Pipeline").removesuffix("Step").lower()
        conn.send(("start", name, 0.0))
        t0 = time.perf_counter()
        try:
            page = step.process_item(page)
        except Drop as drop:
            conn.send(("drop", name, time.perf_counter() - t0, drop.reason))
            break
        conn.send(("done", name, time.perf_counter() - t0))
    conn.send(("end", "", 0.0))


def _time_trafilatura(conn, html: str) -> None:
    import trafilatura
    t0 = time.perf_counter()
    trafilatura.extract(html, url="https://bench.invalid/big.html")
    conn.send(("done", "trafilatura", time.perf_counter() - t0))
    conn.send(("end", "", 0.0))


def run_timed(target, html: str, limit: float) -> tuple[dict[str, str], float | None]:
    """({step: seconds or '>limit'}, total seconds or None when stopped at the limit)."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=target, args=(theirs, html), daemon=True)
    child.start()
    theirs.close()
    figures: dict[str, str] = {}
    total, current, deadline = 0.0, None, time.monotonic() + limit
    try:
        while True:
            if not ours.poll(max(0.0, deadline - time.monotonic())):
                figures[current or "start-up"] = f">{limit:g}"
                return figures, None
            kind, name, seconds, *rest = ours.recv()
            if kind == "start":
                current, deadline = name, time.monotonic() + limit
            elif kind in ("done", "drop"):
                figures[name] = f"{seconds:.2f}" + (f" ({rest[0]})" if rest else "")
                total += seconds
            else:
                return figures, total
    finally:
        child.kill()
        child.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,2,5,10", help="page sizes in MB")
    ap.add_argument("--limit", type=float, default=60.0, help="seconds a step may run before it is stopped")
    args = ap.parse_args()
    from fixtures.big_page import big_page
    print("cleaning time on big pages (s; s/MB over all steps that ended)")
    for size in (float(s) for s in args.sizes.split(",")):
        html = big_page(size)
        steps, total = run_timed(_time_steps, html, args.limit)
        alone, _ = run_timed(_time_trafilatura, html, args.limit)
        per_mb = f"{total / size:.2f} s/MB" if total is not None else "stopped"
        shown = "  ".join(f"{k} {v}" for k, v in steps.items())
        print(f"{size:5g} MB  {html.count('<p>'):6d} paragraphs  {per_mb:>12}  | {shown}  "
              f"| trafilatura.extract alone {alone.get('trafilatura', '?')}", flush=True)


if __name__ == "__main__":
    main()
