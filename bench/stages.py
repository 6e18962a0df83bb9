"""Per-stage cost of the cleaning path on the bundled site's article pages.

    python bench/stages.py [--rounds 5] [--pages DIR]

Prints ms/page for each stage and, for scale, trafilatura.extract() alone on the same
pages, with the ratio. Figures, not assertions: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402

from pipelines.boilerplate import clean  # noqa: E402
from pipelines.decoding import decode_html  # noqa: E402
from pipelines.dedupe import MinHashConfig, check  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.language import detect_language  # noqa: E402
from pipelines.normalize import normalize_paragraphs  # noqa: E402
from pipelines.quality import QualityConfig, keep_article  # noqa: E402
from pipelines.sketch import sketch  # noqa: E402
from pipelines.state import SQLiteStore  # noqa: E402


def pages(root: Path = ROOT / "fixtures" / "site") -> list[tuple[str, str]]:
    out = []
    for path in sorted(root.rglob("*.htm*")):
        if "index" in path.name or "private" in path.parts:
            continue
        url = path.resolve().as_uri()
        response = HtmlResponse(url=url, body=path.read_bytes())
        # as the crawler decodes it: by evidence, whatever charset the page names
        out.append((url, decode_html(response.body, response.text, response.encoding).text))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pages", type=Path, default=ROOT / "fixtures" / "site",
                    help="a folder of pages (default: the fixture site; fixtures/evalset/pages has larger ones)")
    args = ap.parse_args()
    docs = pages(args.pages)
    totals = dict.fromkeys(("extract", "boilerplate", "normalize", "language", "quality", "dedupe"), 0.0)
    baseline = 0.0
    cfg, qcfg = MinHashConfig(), QualityConfig()
    # load lazily built models (langdetect's profiles) untimed
    detect_language("The language profiles load on the first call that needs them.")
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            store = SQLiteStore(Path(tmp) / f"state{r}.sqlite")
            for i, (url, html) in enumerate(docs):
                t0 = time.perf_counter()
                trafilatura.extract(html, url=url)
                t1 = time.perf_counter()
                ex = extract(html, url)
                t2 = time.perf_counter()
                c = clean(ex.paragraphs, ex.title, ex.tag_links, ex.link_keys, None, ex.standfirst, ex.source_line)
                t3 = time.perf_counter()
                paragraphs = normalize_paragraphs(c.paragraphs)
                t4 = time.perf_counter()
                text = "\n\n".join(paragraphs)
                detect_language(text)
                t5 = time.perf_counter()
                keep_article(paragraphs, ex.link_keys, qcfg, ex.title)
                t6 = time.perf_counter()
                check(store, str(i), url, text, cfg, known=sketch(text, cfg, paragraphs))  # as SketchStep does
                t7 = time.perf_counter()
                baseline += t1 - t0
                for stage, dt in zip(totals, (t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6)):
                    totals[stage] += dt
            store.close()
    n = len(docs) * args.rounds
    ours = sum(totals.values())
    print(f"{len(docs)} pages x {args.rounds} rounds")
    for stage, t in totals.items():
        print(f"  {stage:<12} {1000 * t / n:7.2f} ms/page")
    print(f"  {'all stages':<12} {1000 * ours / n:7.2f} ms/page")
    print(f"trafilatura.extract alone: {1000 * baseline / n:7.2f} ms/page")
    cleaning = ours - totals["dedupe"]
    print(f"ratio cleaning path (extract..quality) / trafilatura: {cleaning / baseline:.2f}x")
    print(f"ratio all stages / trafilatura: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
