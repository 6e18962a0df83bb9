"""Re-cleaning an archive, beside the trafilatura command line on the same pages as files.

    python bench/archive.py [--pages 2000] [--seed 7] [--runs 2] [--keep DIR]

The generated bench site (bench/site.py, cached under ~/.cache/arabic-news-bench) and, once,
its WARC beside it (`site-2000-seed7-v3.warc.gz`): one file of the 2,000 article pages as a
crawl archives them, written by the crawl's own writer (crawler/warc.py's RotatingWarcWriter:
a warcinfo record, then per page a response record and its request record, each its own gzip
member), with nginx's response headers (`Content-Type: text/html; charset=utf-8`) and the
crawler's request headers. Three runs, each repeated `--runs` times, interleaved (archive,
files, CLI, archive, ...) so that a slow spell of the machine falls on all three alike:

  archive          `scrapy clean SITE.warc.gz -O out.jsonl -s LOG_LEVEL=WARNING`: every step on,
                   a fresh in-memory state store (the clean defaults)
  files            `scrapy clean FOLDER -O out.jsonl -s LOG_LEVEL=WARNING`, the same pages as HTML files
  trafilatura CLI  `trafilatura --input-dir FOLDER --parallel <cores> -o DIR`

FOLDER holds the 2,000 article files only (symlinks named by page number, so a folder's
sorted order is the archive's order), not the site's manifest and indexes. For each run:
pages, wall seconds, pages/s, CPU ms per page of the whole process tree (cleaning processes
included), peak RSS of the tree (sampled every 0.1 s), and the share of the cores that
anything else used meanwhile ("others"). A run is complete when its documents kept plus
dropped make all the pages (the report beside the feed) and the feed holds the kept ones, or,
for the CLI, when it wrote a file per page (it writes nothing for a page it finds no text in).
Then the medians and the ratios archive / CLI and files / CLI (pages/s).
Figures, not assertions: the machine should be otherwise quiet.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Measured, Rates, bench_parser, median, run_measured, site_generator  # noqa: E402
from crawl import failed_log, machine_busy  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = {"archive": "archive (WARC)", "files": "HTML files", "cli": "trafilatura CLI"}
# Where the archived pages say they came from: any host will do, nothing is fetched.
BASE_URL = "https://news.bench.example"


def warc_path(site: Path) -> Path:
    return site.parent / f"{site.name}.warc.gz"


def ensure_warc(site: Path) -> Path:
    """The site's article pages as one WARC file, built once beside the site."""
    dest = warc_path(site)
    if dest.exists():
        return dest
    sys.path.insert(0, str(ROOT))
    from scrapy.http import HtmlResponse, Request
    from scrapy.settings import default_settings

    from crawler import settings
    from crawler.warc import RotatingWarcWriter, warcinfo

    print(f"writing {dest} ...", file=sys.stderr, flush=True)
    paths = (site / "paths.txt").read_text(encoding="utf-8").split()
    request_headers = {**default_settings.DEFAULT_REQUEST_HEADERS, "User-Agent": settings.USER_AGENT,
                       "Accept-Encoding": "gzip, deflate"}
    with tempfile.TemporaryDirectory(prefix="bench-warc-", dir=dest.parent) as tmp:
        # no size bound: one file, as the brief's bench asks; the writer would rotate at max_size
        writer = RotatingWarcWriter(Path(tmp), "bench", max_size=1 << 62,
                                    info=warcinfo("bench/archive.py", isPartOf="bench"))
        for path in paths:
            file = site / path.lstrip("/")
            url = BASE_URL + path
            headers = {"Server": "nginx", "Date": formatdate(usegmt=True),
                       "Content-Type": "text/html; charset=utf-8",
                       "Last-Modified": formatdate(file.stat().st_mtime, usegmt=True)}
            request = Request(url, headers=request_headers)
            response = HtmlResponse(url, status=200, headers=headers, body=file.read_bytes(), request=request,
                                    protocol="HTTP/1.1")
            writer.write_exchange(request, response)
        writer.close()
        if len(writer.files) != 1:
            raise RuntimeError(f"the WARC writer wrote {len(writer.files)} files, not one")
        os.replace(writer.files[0], dest)   # whole or absent: a killed build is rebuilt next time
    return dest


def article_folder(site: Path, dest: Path) -> Path:
    """The article pages alone, as symlinks named by page number (000123.html): sorted by
    name they come in the archive's order, which is the order dedupe sees them in."""
    dest.mkdir(parents=True)
    for path in (site / "paths.txt").read_text(encoding="utf-8").split():
        source = site / path.lstrip("/")
        (dest / source.name).symlink_to(source)
    return dest


def command(kind: str, source: Path, work: Path) -> list[str]:
    if kind == "cli":
        return [str(BIN / "trafilatura"), "--input-dir", str(source), "--parallel", str(os.cpu_count() or 1),
                "-o", str(work / "out")]
    return [str(BIN / "scrapy"), "clean", str(source), "-O", str(work / "out.jsonl"), "-s", "LOG_LEVEL=WARNING"]


def scrapy_outcome(work: Path, expected: int) -> tuple[int, str, bool]:
    """Pages accounted for (documents kept + dropped, from the report beside the feed)."""
    try:
        report = json.loads((work / "out.report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0, "no report written: see the log", False
    kept, dropped = int(report.get("kept", 0)), report.get("dropped") or {}
    try:
        with open(work / "out.jsonl", "rb") as f:
            lines = sum(1 for line in f if line.strip())
    except OSError:
        lines = 0
    pages = kept + sum(dropped.values())
    note = f"kept {kept}" + "".join(f", {reason} {n}" for reason, n in sorted(dropped.items()))
    if lines != kept:
        note += f"; the feed holds {lines} documents"
    return pages, note, pages == expected and lines == kept


def cli_outcome(work: Path, expected: int) -> tuple[int, str, bool]:
    # it splits its output into numbered folders of 1,000 files
    written = sum(1 for p in (work / "out").rglob("*") if p.is_file())
    return written, f"{written} texts written", written == expected


@dataclass
class Result(Rates):
    kind: str
    run: int
    m: Measured
    pages: int
    note: str
    complete: bool
    others: float   # share of all cores used by other processes meanwhile


def run_one(kind: str, run: int, source: Path, work: Path, expected: int) -> Result:
    work.mkdir(parents=True)
    log = work / "log.txt"
    busy0 = machine_busy()
    m = run_measured(command(kind, source, work), env={**os.environ, "PYTHONPATH": str(ROOT)}, log=log)
    hz = os.sysconf("SC_CLK_TCK")
    others = max(0.0, (machine_busy() - busy0) / hz - m.cpu) / (m.wall * (os.cpu_count() or 1))
    pages, note, complete = (cli_outcome if kind == "cli" else scrapy_outcome)(work, expected)
    if m.returncode != 0 or not complete:
        note = f"exit {m.returncode}, log: {failed_log(log, f'archive-{kind}-{run + 1}')}; " + note
        complete = False
    if m.lingered:
        note += f"; {len(m.lingered)} of its processes outlived it by 20 s and were killed"
    r = Result(kind, run, m, pages, note, complete, others)
    print(f"  {KINDS[kind]:<16} #{run + 1}: {pages} pages in {m.wall:.1f} s = {r.rate:.1f} pages/s, "
          f"CPU {1000 * r.cpu_page:.1f} ms/page, peak RSS {m.peak_rss / 1e6:.0f} MB", file=sys.stderr, flush=True)
    return r


def row(label: str, pages, wall, rate, cpu_page, rss, others=None, note="") -> str:
    others = f"{100 * others:>5.0f}%" if others is not None else " " * 6
    return (f"{label:<20} {pages:>6} {wall:>7.1f} {rate:>8.1f} {1000 * cpu_page:>12.2f} {rss / 1e6:>8.0f}"
            f" {others}  {note}")


def report(results: list[Result], manifest: dict, warc: Path, runs: int) -> None:
    cores = os.cpu_count()
    print(f"\n== Re-cleaning: {manifest['pages']} article pages of {manifest['mean_kb']} KB on average "
          f"({manifest['syndicated_copies']} syndicated copies); the WARC {warc.stat().st_size / 1e6:.0f} MB; "
          f"{cores} cores, trafilatura --parallel {cores} ==")
    print(f"{'run':<20} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'CPU ms/page':>12} {'peak MB':>8} {'others':>6}"
          f"  outcome")
    for r in results:
        print(row(f"{KINDS[r.kind]} #{r.run + 1}", r.pages, r.m.wall, r.rate, r.cpu_page, r.m.peak_rss, r.others,
                  ("complete" if r.complete else "INCOMPLETE") + f": {r.note}"))
    by = {k: [r for r in results if r.kind == k] for k in KINDS}
    med = {k: {"pages": median([r.pages for r in rs]), "wall": median([r.m.wall for r in rs]),
               "rate": median([r.rate for r in rs]), "cpu": median([r.cpu_page for r in rs]),
               "rss": median([r.m.peak_rss for r in rs])}
           for k, rs in by.items() if rs}
    print(f"median of {runs} runs:")
    for k, v in med.items():
        print(row(KINDS[k], int(v["pages"]), v["wall"], v["rate"], v["cpu"], v["rss"]))
    if "cli" not in med:
        return
    print("ratios (of the medians; per run in brackets):")
    for k, goal in (("archive", "   goal >= 1.0x"), ("files", "")):
        if k in med:
            per_run = ", ".join(f"{a.rate / b.rate:.2f}" for a, b in zip(by[k], by["cli"]))
            print(f"  {KINDS[k] + ' / trafilatura CLI, pages/s':<45} {med[k]['rate'] / med['cli']['rate']:5.2f}x  "
                  f"[{per_run}]{goal}")
            print(f"  {KINDS[k] + ' / trafilatura CLI, CPU/page':<45} {med[k]['cpu'] / med['cli']['cpu']:5.2f}x")
    busy = median([r.others for r in results])
    if busy > 0.10:
        print(f"  the machine was busy: other processes used {100 * busy:.0f}% of the cores during the median run; "
              "compare the ratios, not the pages/s")
    if not all(r.complete for r in results):
        print("  some runs were INCOMPLETE: their figures are not comparable (see their logs)")


def main() -> None:
    args = bench_parser(__doc__, "archive,files,cli").parse_args()
    kinds = [k for k in args.kinds.split(",") if k in KINDS]

    gen = site_generator()
    site = gen.ensure_site(args.pages, args.seed)
    manifest = gen.manifest_of(site)
    warc = ensure_warc(site)
    for path in [warc, *site.rglob("*.html")]:   # the first run must not be the one that reads the disk
        path.read_bytes()

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        tmp = args.keep or Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        folder = article_folder(site, tmp / f"pages-{time.strftime('%H%M%S')}")
        print(f"site {site}, archive {warc}; runs:", file=sys.stderr, flush=True)
        for run in range(args.runs):
            for kind in kinds:
                source = warc if kind == "archive" else folder
                results.append(run_one(kind, run, source, tmp / f"{kind}-{run}-{time.strftime('%H%M%S')}",
                                       manifest["pages"]))
        report(results, manifest, warc, args.runs)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
