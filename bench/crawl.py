"""Crawl throughput on a generated news site served by nginx on loopback.

    python bench/crawl.py [--pages 2000] [--runs 2] [--sample 100]

Three runs over the same article pages, each repeated `--runs` times, interleaved
(bare, full, trafilatura, bare, full, trafilatura, ...) so that a slow spell of the
machine falls on all three alike:

  bare crawl       `scrapy crawl news` with ITEM_PIPELINES={} and no feed: fetch, decode, nothing else
  full pipeline    `scrapy crawl news -O out.jsonl`: extract, clean, normalise, language,
                   quality, dedupe (fresh SQLite state store), export
  trafilatura CLI  `trafilatura -i urls.txt --parallel 4 -o DIR`, SLEEP_TIME = 0 and
                   SSRF_PROTECTION = off (its loopback guard) from a --config-file

For each: pages, wall seconds, pages/s, CPU seconds per page (the whole process tree,
workers included), peak RSS of the tree (sampled every 0.1 s). Then the ratios, the
processing CPU per page (full minus bare) against trafilatura.extract alone on a sample
of the same pages (measured after each round of runs, the median taken), and
bench/stages.py's per-stage ms/page on that sample. Last, a bare and a full crawl of the
same seed with an article pattern that matches nothing measure what a run costs before its
first page (the full one starts its cleaning processes), so the processing CPU per page is
also given with that start-up set apart.
Figures, not assertions: the machine should be otherwise quiet. The "others" column is the
share of all cores that processes outside the run and nginx used meanwhile.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Measured, Rates, bench_parser, median, run_measured, site_generator, tree_pids  # noqa: E402
from nginx import serve  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = {"bare": "bare crawl", "full": "full pipeline", "traf": "trafilatura CLI"}
ARTICLE_PATTERN = r"/(" + "|".join(("politics", "economy", "sports", "culture", "health", "tech", "local",
                                       "world")) + r")/\d{4}/\d{2}/\d{2}/\d{6}\.html$"


def seed_file(base: str, dest: Path) -> Path:
    # max_depth = 0: every article is in the sitemaps, and the trafilatura CLI follows no
    # links either; following "related" links would only find URLs already asked for.
    dest.write_text(f'''name = "bench"
allowed_domains = ["127.0.0.1"]
sitemaps = ["{base}/sitemap.xml"]
article_pattern = '{ARTICLE_PATTERN}'
max_depth = 0
allow_private_networks = true
# the generated articles are dated 2025: a first run reads them all
first_run_since = 2000-01-01
''', encoding="utf-8")
    return dest


def scrapy_command(kind: str, seeds: Path, work: Path) -> list[str]:
    """`scrapy crawl news` set for a local benchmark: no politeness delays, 32 requests in
    flight, a fresh state store, the end-of-run summary as JSON."""
    cmd = [str(BIN / "scrapy"), "crawl", "news", "-a", f"seeds={seeds}",
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
           "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
           "-s", "LOG_LEVEL=WARNING", "-s", f"STATE_URI=sqlite:///{work}/state.sqlite",
           # the whole generated site, every time: undated children and no per-site bound
           "-s", "DISCOVERY_UNDATED_SITEMAPS=0", "-s", "MAX_ARTICLES_PER_SITE=0",
           "-s", f"SUMMARY_FILE={work}/summary.json"]
    if kind == "bare":
        # No pipelines and no feed (an empty DEFAULT_FEED_URI: no default feed either); the
        # per-document stats and the close-time checks on documents have no documents to judge.
        return cmd + ["-s", "ITEM_PIPELINES={}", "-s", "DEFAULT_FEED_URI=", "-s", "CHECKS_ENABLED=False",
                      "-s", f"EXTENSIONS={json.dumps(bare_extensions())}"]
    return cmd + ["-O", str(work / "out.jsonl")]


def bare_extensions() -> dict:
    """The project's extensions less DocStats, which counts documents: without pipelines
    the spider's pages would reach it as they are, not as documents."""
    sys.path.insert(0, str(ROOT))
    from crawler import settings
    return {**settings.EXTENSIONS, "crawler.extensions.docstats.DocStats": None}


def trafilatura_config(dest: Path) -> Path:
    """The installed settings.cfg with no sleep between requests and the guard against
    private addresses off, which otherwise refuses 127.0.0.1."""
    import trafilatura
    text = (Path(trafilatura.__file__).parent / "settings.cfg").read_text()
    text = re.sub(r"(?m)^SLEEP_TIME\s*=.*$", "SLEEP_TIME = 0", text)
    text = re.sub(r"(?m)^SSRF_PROTECTION\s*=.*$", "SSRF_PROTECTION = off", text)
    assert "SLEEP_TIME = 0" in text and "SSRF_PROTECTION = off" in text, "trafilatura's settings.cfg changed"
    dest.write_text(text)
    return dest


def trafilatura_command(urls: Path, config: Path, work: Path) -> list[str]:
    return [str(BIN / "trafilatura"), "-i", str(urls), "--parallel", "4", "--config-file", str(config),
            "-o", str(work / "out")]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            total += int(fields[11]) + int(fields[12])   # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return total


def machine_busy() -> int:
    """Busy clock ticks of all cores so far (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]


class Result(Rates):
    def __init__(self, kind: str, run: int, m: Measured, pages: int, note: str, nginx_cpu: float, complete: bool,
                 load: float):
        self.kind, self.run, self.m, self.pages, self.note = kind, run, m, pages, note
        self.nginx_cpu, self.complete, self.load = nginx_cpu, complete, load


def scrapy_outcome(work: Path, expected: int) -> tuple[int, str, bool]:
    try:
        summary = json.loads((work / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0, "no summary written: see the log", False
    fetched = int(summary.get("articles_fetched", 0))
    note = f"kept {summary.get('kept', 0)}" if summary.get("kept") else ""
    dropped = summary.get("dropped") or {}
    if dropped:
        note += ", dropped " + ", ".join(f"{k} {v}" for k, v in dropped.items())
    if summary.get("finish_reason") not in (None, "finished"):
        note += f", finish reason {summary.get('finish_reason')}"
    return fetched, note.strip(", "), fetched == expected


def trafilatura_outcome(work: Path, log: Path, expected: int) -> tuple[int, str, bool]:
    # it splits its output into numbered folders of 1,000 files
    written = sum(1 for p in (work / "out").rglob("*") if p.is_file())
    failed = len(re.findall(r"No result for URL", log.read_text(errors="replace"))) if log.exists() else 0
    # a URL with no result was fetched unless the download itself failed; count what it wrote
    return written + failed, f"{written} texts written, {failed} URLs without result", written + failed == expected


def run_one(kind: str, run: int, work: Path, seeds: Path, urls: Path, tconfig: Path, expected: int,
            nginx_pid: int) -> Result:
    work.mkdir(parents=True)
    log = work / "log.txt"
    cmd = (trafilatura_command(urls, tconfig, work) if kind == "traf" else scrapy_command(kind, seeds, work))
    nginx_pids = tree_pids(nginx_pid)
    busy0, ticks0 = machine_busy(), cpu_ticks(nginx_pids)
    m = run_measured(cmd, env=env(), log=log)
    hz = os.sysconf("SC_CLK_TCK")
    nginx_cpu = (cpu_ticks(nginx_pids) - ticks0) / hz
    # what the rest of the machine did meanwhile (other people's work, this script's sampling)
    others = max(0.0, (machine_busy() - busy0) / hz - m.cpu - nginx_cpu) / (m.wall * (os.cpu_count() or 1))
    pages, note, complete = (trafilatura_outcome(work, log, expected) if kind == "traf"
                             else scrapy_outcome(work, expected))
    if m.returncode != 0 or not complete:
        kept = failed_log(log, f"{kind}-{run + 1}")
        note = f"exit {m.returncode}, log: {kept}; " + note
        complete = False
    if m.lingered:
        note += f"; {len(m.lingered)} of its processes outlived it by 20 s and were killed"
    r = Result(kind, run, m, pages, note, nginx_cpu, complete, others)
    print(f"  {KINDS[kind]:<16} #{run + 1}: {pages} pages in {m.wall:.1f} s = {r.rate:.1f} pages/s, "
          f"CPU {1000 * r.cpu_page:.1f} ms/page, peak RSS {m.peak_rss / 1e6:.0f} MB", file=sys.stderr, flush=True)
    return r


def failed_log(log: Path, name: str) -> Path:
    """A failed run's log, kept past the temporary folder."""
    gen = site_generator()
    dest = gen.CACHE / "failed-logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}.log"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if log.exists():
        dest.write_bytes(log.read_bytes())
    return dest


def extraction_alone(sample: list[Path]) -> float:
    """CPU seconds per page of trafilatura.extract() in this process, on pages already in
    memory: the extraction alone, with no fetching, scheduling or writing."""
    import trafilatura
    docs = [(p.read_text(encoding="utf-8"), f"http://127.0.0.1/{p.name}") for p in sample]
    for html, url in docs[:3]:   # imports and lazily built tables, untimed
        trafilatura.extract(html, url=url)
    t0 = time.process_time()
    rounds = 2
    for _ in range(rounds):
        for html, url in docs:
            trafilatura.extract(html, url=url)
    return (time.process_time() - t0) / (rounds * len(docs))


def startup_cpu(kind: str, seeds: Path, work: Path) -> float:
    """CPU seconds of a crawl that starts, reads the sitemaps and finds no article (the same
    seed with an article pattern that matches nothing): what a run costs before its first
    page, whatever its length. The full pipeline's includes starting its cleaning processes."""
    none = work.parent / f"{work.name}.toml"
    none.write_text(seeds.read_text(encoding="utf-8").replace("article_pattern = '", "article_pattern = '^(?!)"),
                    encoding="utf-8")
    work.mkdir(parents=True)
    # the close-time checks would rightly fail a crawl that keeps nothing
    cmd = scrapy_command(kind, none, work) + ["-s", "CHECKS_ENABLED=False"]
    m = run_measured(cmd, env=env(), log=work / "log.txt")
    fetched, _, _ = scrapy_outcome(work, 0)
    if m.returncode != 0 or fetched:
        raise RuntimeError(f"the start-up crawl ({kind}) exited {m.returncode} with {fetched} articles: "
                           f"see {failed_log(work / 'log.txt', f'{kind}-startup')}")
    return m.cpu


def warm_page_cache(site: Path) -> None:
    # the first run must not be the one that reads the site from disk
    for path in site.rglob("*.html"):
        path.read_bytes()


def row(label: str, pages, wall, rate, cpu_page, rss, nginx, load=None, note="") -> str:
    load = f"{100 * load:>5.0f}%" if load is not None else " " * 6
    return (f"{label:<22} {pages:>6} {wall:>7.1f} {rate:>8.1f} {1000 * cpu_page:>12.2f} {rss / 1e6:>8.0f}"
            f" {nginx:>8.1f} {load}  {note}")


def report(results: list[Result], manifest: dict, extract_cpu: float, runs: int, startup: dict) -> None:
    print(f"\n== Crawl throughput: {manifest['pages']} article pages of {manifest['mean_kb']} KB on average "
          f"({manifest['syndicated_copies']} syndicated copies), nginx on loopback, {os.cpu_count()} cores ==")
    print(f"{'run':<22} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'CPU ms/page':>12} {'peak MB':>8}"
          f" {'nginx s':>8} {'others':>6}  outcome")
    for r in results:
        print(row(f"{KINDS[r.kind]} #{r.run + 1}", r.pages, r.m.wall, r.rate, r.cpu_page, r.m.peak_rss,
                  r.nginx_cpu, r.load, ("all pages fetched" if r.complete else "NOT ALL PAGES FETCHED")
                  + (f"; {r.note}" if r.note else "")))
    by = {k: [r for r in results if r.kind == k] for k in KINDS}
    med = {k: {"rate": median([r.rate for r in rs]), "cpu": median([r.cpu_page for r in rs]),
               "rss": median([r.m.peak_rss for r in rs]), "wall": median([r.m.wall for r in rs]),
               "pages": median([r.pages for r in rs]), "nginx": median([r.nginx_cpu for r in rs])}
           for k, rs in by.items() if rs}
    print(f"median of {runs} runs:")
    for k, v in med.items():
        print(row(KINDS[k], int(v["pages"]), v["wall"], v["rate"], v["cpu"], v["rss"], v["nginx"]))
    if not {"bare", "full"} <= set(med):
        return

    def per_run(a, b, attr):
        return ", ".join(f"{getattr(x, attr) / getattr(y, attr):.2f}" for x, y in zip(by[a], by[b]))

    full, bare, traf = med["full"], med["bare"], med.get("traf")
    processing = full["cpu"] - bare["cpu"]
    print("ratios (of the medians; per run in brackets):")
    if traf:
        print(f"  full pipeline / trafilatura CLI, pages/s      {full['rate'] / traf['rate']:5.2f}x  "
              f"[{per_run('full', 'traf', 'rate')}]   goal >= 1.6x")
    print(f"  full pipeline / bare crawl, pages/s           {full['rate'] / bare['rate']:5.2f}x  "
          f"[{per_run('full', 'bare', 'rate')}]")
    if traf:
        print(f"  full pipeline / trafilatura CLI, CPU/page     {full['cpu'] / traf['cpu']:5.2f}x  "
              f"[{per_run('full', 'traf', 'cpu_page')}]")
        print(f"  full pipeline / trafilatura CLI, peak RSS     {full['rss'] / traf['rss']:5.2f}x")
    print(f"  processing CPU/page (full - bare)             {1000 * processing:6.2f} ms")
    print(f"  trafilatura.extract alone, CPU/page           {1000 * extract_cpu:6.2f} ms  (in one process, "
          f"pages in memory, sample of the same pages; median of one measure a round)")
    print(f"  processing / trafilatura.extract alone        {processing / extract_cpu:5.2f}x   goal <= 1.6x")
    if startup:
        # per page once each run's start-up is set apart: what a longer crawl tends to
        extra = startup["full"] - startup["bare"]
        marginal = processing - extra / full["pages"]
        print(f"  start-up CPU (a crawl that finds no article)  bare {startup['bare']:.2f} s, full "
              f"{startup['full']:.2f} s: {1000 * extra / full['pages']:.2f} ms/page of this run")
        print(f"  processing CPU/page, start-up set apart       {1000 * marginal:6.2f} ms  "
              f"({marginal / extract_cpu:.2f}x trafilatura.extract alone)")
    if traf:
        print(f"  trafilatura CLI CPU/page / extract alone      {traf['cpu'] / extract_cpu:5.2f}x")


def main() -> None:
    ap = bench_parser(__doc__, "bare,full,traf")
    ap.add_argument("--sample", type=int, default=100, help="pages for extraction alone and the per-stage figures")
    ap.add_argument("--no-stages", action="store_true", help="skip bench/stages.py")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up runs (crawls that find no article)")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k in KINDS]

    gen = site_generator()
    site = gen.ensure_site(args.pages, args.seed)
    manifest = gen.manifest_of(site)
    warm_page_cache(site)
    paths = (site / "paths.txt").read_text().split()
    sample = [site / p.lstrip("/") for p in paths[:: max(1, len(paths) // args.sample)][:args.sample]]

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp, serve(site) as (base, nginx):
        tmp = args.keep or Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        urls = gen.write_indexes(site, base)
        seeds = seed_file(base, tmp / "bench.toml")
        tconfig = trafilatura_config(tmp / "trafilatura.cfg")
        print(f"site {site} served at {base}; runs:", file=sys.stderr, flush=True)
        extract_cpus = []
        for run in range(args.runs):
            for kind in kinds:
                results.append(run_one(kind, run, tmp / f"{kind}-{run}", seeds, urls, tconfig,
                                       manifest["pages"], nginx.pid))
            # the baseline in each round too, so that the machine's drift falls on both sides
            extract_cpus.append(extraction_alone(sample))
        startup = {}
        if not args.no_startup and {"bare", "full"} <= set(kinds):
            startup = {kind: median([startup_cpu(kind, seeds, tmp / f"{kind}-startup-{run}")
                                     for run in range(args.runs)]) for kind in ("bare", "full")}
        report(results, manifest, median(extract_cpus), args.runs, startup)

        if not args.no_stages:
            # bench/stages.py takes a folder of pages: the sample, linked into one
            pages_dir = tmp / "sample"
            pages_dir.mkdir()
            for p in sample:
                (pages_dir / p.name).symlink_to(p)
            print(f"\n== Per-stage cost on {len(sample)} of these pages (bench/stages.py) ==", flush=True)
            subprocess.run([sys.executable, str(ROOT / "bench" / "stages.py"), "--pages", str(pages_dir),
                            "--rounds", "2"], cwd=ROOT, env=env(), check=False)


if __name__ == "__main__":
    main()
