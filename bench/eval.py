"""`make eval`: how clean is our text, next to other extractors, on the same pages?

    python bench/eval.py [--set DIR] [--baselines trafilatura,trafilatura-precision,newspaper4k]

Without --set, two sets are scored: one made from the fixture site (bench/evalset.py) and the
hand-written held-out set in fixtures/evalset. Every set is scored twice: as it is, and with its
naming attributes stripped. Text is scored by the shared
judge, shared/eval/score.py (SCORE_PY or SHARED_DIR to find it elsewhere); metadata
(title, published day, author, keywords, source) is scored here, where the truth has it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.evalset import METADATA_FIELDS, ROOT, build_fixture_set, strip_attributes  # noqa: E402
from pipelines.normalize import normalize_key  # noqa: E402

DEFAULT_BASELINES = "trafilatura,trafilatura-precision,newspaper4k"
HAND_WRITTEN = ROOT / "fixtures" / "evalset"


def score_py() -> Path:
    if os.environ.get("SCORE_PY"):
        return Path(os.environ["SCORE_PY"])
    shared = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
    return shared / "eval" / "score.py"


def clean_set(set_dir: Path, out: Path) -> float:
    """Our pipeline over the set's pages, as a user runs it; returns seconds per page."""
    pages = sorted((set_dir / "pages").glob("*/*.htm*"))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "scrapy", "clean", str(set_dir / "pages"), "-O", str(out),
         # Every page is judged on its own: a syndicated copy in the set is not a duplicate here.
         "-s", "DEDUPE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return (time.perf_counter() - started) / max(len(pages), 1)


def judge(set_dir: Path, *source: str) -> dict:
    proc = subprocess.run([sys.executable, str(score_py()), str(set_dir), *source, "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def metadata_accuracy(set_dir: Path, docs_file: Path) -> dict[str, float]:
    """Share of kept article pages whose field equals the truth (dates by day, text fields
    after key normalisation, keywords as a list)."""
    docs = {}
    for line in docs_file.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        parts = Path(doc["fetched_url"]).parts
        docs[f"{parts[-2]}/{Path(parts[-1]).stem}"] = doc
    hits = {f: 0 for f in METADATA_FIELDS}
    totals = {f: 0 for f in METADATA_FIELDS}
    for truth_file in sorted((set_dir / "truth").glob("*/*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if not truth.get("keep", True):
            continue
        doc = docs.get(f"{truth_file.parent.name}/{truth_file.stem}") or {}
        for field in METADATA_FIELDS:
            if field not in truth:
                continue
            totals[field] += 1
            hits[field] += _same(field, doc.get(field), truth[field])
    return {f: round(hits[f] / totals[f], 3) for f in METADATA_FIELDS if totals[f]}


def _same(field: str, got, want) -> bool:
    if field == "published":
        return (got or "")[:10] == (want or "")[:10]
    if field == "keywords":
        return [normalize_key(k) for k in got or []] == [normalize_key(k) for k in want or []]
    return normalize_key(got or "") == normalize_key(want or "")


def evaluate(set_dir: Path, baselines: list[str], work: Path) -> list[dict]:
    docs = work / f"{set_dir.parent.name}-{set_dir.name}-docs.jsonl"
    per_page = clean_set(set_dir, docs)
    rows = [{"extractor": "arabic-news-crawler", **judge(set_dir, "--docs", str(docs)),
             "s_per_page": round(per_page, 4), "metadata": metadata_accuracy(set_dir, docs)}]
    for name in baselines:
        rows.append({"extractor": name, **judge(set_dir, "--baseline", name)})
    return rows


def table(title: str, rows: list[dict]) -> str:
    head = f"{'extractor':<24} {'F1':>6} {'P':>6} {'R':>6} {'leaking':>8} {'listing kept':>13}"
    lines = [title, head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['extractor']:<24} {r['f1']:>6.4f} {r['precision']:>6.4f} {r['recall']:>6.4f} "
                     f"{r['pages_with_leak']:>4}/{r['pages']:<3} {r['non_articles_kept']:>13}")
    meta = rows[0].get("metadata")
    if meta:
        lines.append("metadata accuracy (ours): " + "  ".join(f"{k}={v:.0%}" for k, v in meta.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, help="an evaluation set (pages/ + truth/); default: the fixtures")
    ap.add_argument("--baselines", default=DEFAULT_BASELINES, help="comma-separated, '' for none")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    a = ap.parse_args(argv)
    if not score_py().exists():
        print(f"eval: the judge {score_py()} is missing; set SCORE_PY or SHARED_DIR", file=sys.stderr)
        return 2
    baselines = [b for b in a.baselines.split(",") if b]
    with tempfile.TemporaryDirectory(prefix="eval-") as tmp:
        work = Path(tmp)
        if a.set:
            sets = {str(a.set): a.set.resolve()}
        else:
            sets = {"fixture site": build_fixture_set(work / "fixtures"), "hand-written set": HAND_WRITTEN}
        results = {}
        for name, plain in sets.items():
            stripped = strip_attributes(plain, work / f"{plain.name}-stripped")
            for label, set_dir in (("as served", plain), ("attributes stripped", stripped)):
                rows = evaluate(set_dir, baselines, work)
                results[f"{name}: {label}"] = rows
                print(table(f"\n== {name}: {label} ==", rows), flush=True)
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
