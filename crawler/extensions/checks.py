"""Close-time checks on a crawl's per-site numbers: the signal that a site changed its layout,
went down or started refusing us, for runs nobody watches (cron, Scrapyd).

Per site the seeds crawl (the spider's allowed_domains):
- documents: it kept at least CHECK_MIN_DOCUMENTS_PER_SITE documents, or some of its
  articles were already stored (skipped as seen, or dropped as a duplicate or unchanged):
  an hourly run with nothing new keeps nothing and must pass. Pages that never become
  documents (another language, a 404) are not stored, so they come back on every run and
  cannot tell "nothing new" from "nothing works". Listings that answered 304 Not Modified
  say "nothing new" too. A site none of whose pages was fetched
  (all refused by robots.txt) is not judged.
- failed_pages: at most CHECK_MAX_FAILED_SHARE of its pages failed (fetch errors, HTTP
  error statuses, pipeline errors).
- coverage/<field>: at least CHECK_MIN_COVERAGE[field] of its kept documents have the field;
  judged only from CHECK_COVERAGE_MIN_DOCUMENTS documents on, a share of two says nothing.

Checks are skipped when the crawl was stopped by a signal (finish reason `shutdown`). A
failed check is logged at ERROR, counted in the `checks/failed` stat, listed in the report
and makes `scrapy crawl` exit with code 1.

Spidermon would do this, but its failed monitors leave the exit code at 0 and its ready-made
close suite refuses to start until every one of its settings is configured.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crawler.extensions.docstats import COVERAGE_FIELDS, url_site

logger = logging.getLogger(__name__)

# Pages dropped because the crawler already had them: not a sign that a site went wrong.
KNOWN_DROPS = ("duplicate_url", "duplicate", "near_duplicate", "unchanged")


@dataclass(frozen=True)
class CheckSettings:
    enabled: bool = True
    min_documents: int = 1
    max_failed_share: float = 0.5
    min_coverage: dict[str, float] = field(default_factory=dict)
    coverage_min_documents: int = 10

    @classmethod
    def from_settings(cls, settings) -> "CheckSettings":
        coverage = {name: float(share) for name, share in settings.getdict("CHECK_MIN_COVERAGE").items()}
        unknown = sorted(set(coverage) - set(COVERAGE_FIELDS))
        if unknown:
            raise ValueError(f"CHECK_MIN_COVERAGE names {', '.join(unknown)}; "
                             f"coverage is counted for {', '.join(COVERAGE_FIELDS)}")
        return cls(enabled=settings.getbool("CHECKS_ENABLED", True),
                   min_documents=settings.getint("CHECK_MIN_DOCUMENTS_PER_SITE", 1),
                   max_failed_share=settings.getfloat("CHECK_MAX_FAILED_SHARE", 0.5),
                   min_coverage=coverage,
                   coverage_min_documents=settings.getint("CHECK_COVERAGE_MIN_DOCUMENTS", 10))


def judged_sites(spider) -> set[str]:
    """The sites of the spider's `allowed_domains`: those its seeds crawl. Other hosts a crawl
    touches (a feed on a CDN, a redirect off the site) are reported but not judged; a URL list
    (`-a urls=`, no domain limits) and `scrapy clean` have no site to judge."""
    return {url_site(f"http://{domain}/") for domain in getattr(spider, "allowed_domains", None) or []}


def result(name: str, site: str, ok: bool, detail: str) -> dict:
    return {"name": name, "site": site, "ok": ok, "detail": detail}


def check_documents(row: dict, min_documents: int, unattributed_seen: int = 0) -> dict | None:
    if not row["pages"]:
        return None
    known = row["seen"] + sum(row["dropped"].get(reason, 0) for reason in KNOWN_DROPS) + unattributed_seen
    unchanged = row.get("not_modified", 0)
    detail = f"kept {row['kept']} documents from {row['pages']} pages (at least {min_documents} wanted)"
    if row["kept"] < min_documents and known:
        detail += f"; passes: {known} of its articles were already stored, nothing new"
    elif row["kept"] < min_documents and unchanged:
        detail += f"; passes: {unchanged} of its listings answered 304 Not Modified, nothing new"
        known = unchanged
    return result("documents", row["site"], row["kept"] >= min_documents or known > 0, detail)


def check_failed_pages(row: dict, max_share: float) -> dict | None:
    if not row["pages"]:
        return None
    share = row["errors"] / row["pages"]
    detail = f"{row['errors']} of {row['pages']} pages failed ({share:.0%}; at most {max_share:.0%} allowed)"
    return result("failed_pages", row["site"], share <= max_share, detail)


def check_coverage(row: dict, name: str, min_share: float, min_documents: int) -> dict | None:
    kept = row["kept"]
    if kept < max(min_documents, 1):
        return None
    filled = row["filled"].get(name, 0)
    share = filled / kept
    detail = f"{name} on {filled} of {kept} documents ({share:.0%}; at least {min_share:.0%} wanted)"
    return result(f"coverage/{name}", row["site"], share >= min_share, detail)


def run_checks(rows: list[dict], sites: set[str], settings: CheckSettings, unattributed_seen: int = 0) -> list[dict]:
    """Every check on every judged site's report row. `unattributed_seen`: articles skipped
    as stored that no site claimed (a spider that counts them only in total); they may be
    any site's, so they excuse any site from the documents check."""
    out = []
    for row in rows:
        if row["site"] not in sites:
            continue
        found = [check_documents(row, settings.min_documents, unattributed_seen),
                 check_failed_pages(row, settings.max_failed_share)]
        found += [check_coverage(row, name, share, settings.coverage_min_documents)
                  for name, share in settings.min_coverage.items()]
        out += [r for r in found if r is not None]
    return out


def log_failures(checks: list[dict]) -> int:
    failed = [c for c in checks if not c["ok"]]
    for check in failed:
        logger.error("Check failed: %s on %s: %s", check["name"], check["site"], check["detail"])
    return len(failed)

