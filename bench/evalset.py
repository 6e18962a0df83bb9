"""Evaluation sets in the layout of shared/eval/score.py, made from our fixtures.

    pages/<site>/<key>.html     the page bytes as served (the __BASE__ placeholder filled in)
    truth/<site>/<key>.json     {"url", "title", "body", "must_not", "keep", + our metadata fields}

`strip_attributes` makes the "renamed classes overnight" copy of any set: every class, id,
role, data-*, aria-* and itemprop attribute is removed from the raw bytes, so whatever
still works there works from content, not from names.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BASE_URL = "http://fixtures.example"
METADATA_FIELDS = ("title", "published", "author", "keywords", "source")

# An attribute inside a start tag: preceded by white space, its value quoted or bare.
STRIPPED_ATTRIBUTE = re.compile(
    rb"""\s(?:class|id|role|itemprop|data-[\w:.-]+|aria-[\w-]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?(?=[\s/>])""",
    re.I)
START_TAG = re.compile(rb"<[A-Za-z][^<>]*>")


def strip_tag_attributes(page: bytes) -> bytes:
    return START_TAG.sub(lambda m: STRIPPED_ATTRIBUTE.sub(b"", m.group(0)), page)


def strip_attributes(source: Path, dest: Path) -> Path:
    """Copy an evaluation set with the naming attributes removed from every page."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source / "truth", dest / "truth")
    for page in sorted((source / "pages").glob("*/*.htm*")):
        target = dest / "pages" / page.parent.name / page.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(strip_tag_attributes(page.read_bytes()))
    return dest


def fixture_key(path: str) -> tuple[str, str]:
    """/portal/economy/005-x.html -> ("portal", "economy-005-x")"""
    parts = path.strip("/").rsplit(".", 1)[0].split("/")
    return parts[0], "-".join(parts[1:]) or "index"


def build_fixture_set(dest: Path, goldens_dir: Path = FIXTURES / "golden",
                      site_dir: Path = FIXTURES / "site") -> Path:
    """Every page of the fixture site that has a golden: articles and listing pages."""
    if dest.exists():
        shutil.rmtree(dest)
    for golden_file in sorted(goldens_dir.rglob("*.json")):
        if golden_file.name == "index.json":
            continue
        golden = json.loads(golden_file.read_text(encoding="utf-8"))
        site, key = fixture_key(golden["path"])
        raw = (site_dir / golden["path"].lstrip("/")).read_bytes().replace(b"__BASE__", BASE_URL.encode())
        page = dest / "pages" / site / f"{key}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(raw)
        truth = {
            "url": golden["url"].replace("__BASE__", BASE_URL),
            "keep": golden["keep"],
            "body": golden.get("text", ""),
            "must_not": golden.get("must_not", []),
        }
        truth.update({k: golden[k] for k in METADATA_FIELDS if k in golden})
        target = dest / "truth" / site / f"{key}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest
