"""The explain report (`scrapy clean --explain DIR`): every cut the cleaner made, shown.

For each page, a static HTML file: its blocks in reading order, kept text plain, every
removed block struck through in the colour of the rule that removed it, with the rule's name
and its evidence. An index has one row per page: kept or dropped, why, words kept and removed.

The core is pure (a page's record in, HTML strings out). `ExplainPipeline`, beside it, runs
the cleaning steps itself, in the crawler's process: the pool slims a page on its way back
(pipelines/pool.py) and would drop the decisions this report is made of.
"""
from __future__ import annotations

import html
import logging
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from urllib.parse import unquote

from scrapy.exceptions import NotConfigured

from pipelines.drops import Drop, PipelineError, as_drop_item
from pipelines.steps import DeltaStats, StepContext, build_steps, replay

logger = logging.getLogger(__name__)

# Judged alone: a page of the report is never "a duplicate of the one before".
NOT_EXPLAINED_STEPS = frozenset({"pipelines.sketch.SketchStep"})
# Rule colours: Tableau's hues, the light ones darkened so that struck-through text in them
# stays readable on their own tint. A rule's colour comes from its name (crc32, not Python's
# salted hash), so it is the same from run to run; two rules of one report whose names land
# on one colour are told apart by taking the next free one (colour_map).
PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#c2459e", "#6f6f6f", "#858600",
           "#0e8a96", "#d9650a", "#393b79", "#637939", "#843c39", "#7b4173", "#b07c00", "#17653a")
INLINE_RUN_MIN, INLINE_MAX_WORDS = 4, 5
STAGE_TITLES = {
    "extract": "Pruned from the HTML before extraction",
    "clean": "The extracted text",
}


@dataclass(frozen=True)
class Block:
    """One decision as the report shows it (pipelines.boilerplate.Decision, or a kept paragraph)."""

    text: str
    rule: str | None = None      # None: kept
    evidence: str = ""
    stage: str = "clean"

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class PageRecord:
    fetched_url: str             # the file or URL read: what the operator named
    title: str | None
    blocks: list[Block] = field(default_factory=list)
    reason: str | None = None    # the drop reason; None: kept
    detail: str = ""
    decided: bool = True         # False: the page left before any block was decided
    url: str | None = None       # the canonical URL the page gives, when it gives one

    @property
    def kept(self) -> bool:
        return self.reason is None

    @property
    def words_kept(self) -> int:
        # what the text holds; a kept block of the extract stage is counted again in the text
        return sum(b.words for b in self.blocks if b.rule is None and b.stage != "extract")

    @property
    def words_removed(self) -> int:
        return sum(b.words for b in self.blocks if b.rule is not None)

    def rules(self) -> Counter:
        """Blocks removed, by rule."""
        return Counter(b.rule for b in self.blocks if b.rule is not None)

    def words_by_rule(self) -> Counter:
        words = Counter()
        for b in self.blocks:
            if b.rule is not None:
                words[b.rule] += b.words
        return words


def record_page(page, drop: Drop | None = None) -> PageRecord:
    """What the report needs of a page after the steps ran (or one of them dropped it)."""
    decisions = getattr(page, "decisions", None)
    if decisions:
        blocks = [Block(d.text, d.rule, d.evidence or "", d.stage or "clean") for d in decisions]
    else:
        # a step list without the boilerplate step's decisions: the text as kept is all there is
        blocks = [Block(p) for p in page.paragraphs]
    extracted = getattr(page, "extracted", None)
    title = page.title or (extracted.title if extracted is not None else None)
    return PageRecord(fetched_url=page.fetched_url, title=title, blocks=blocks,
                      reason=drop.reason if drop else None, detail=drop.detail if drop else "",
                      decided=bool(blocks) or extracted is not None, url=page.url)


# --- rendering ------------------------------------------------------------------------

def rule_colour(rule: str) -> str:
    return PALETTE[_slot(rule)]


def _slot(rule: str) -> int:
    return zlib.crc32(rule.encode("utf-8")) % len(PALETTE)


def colour_map(rules) -> dict[str, str]:
    """A colour for each rule of a report, distinct while the palette lasts."""
    taken: set[int] = set()
    colours = {}
    for rule in sorted(set(rules)):
        slot = _slot(rule)
        while slot in taken and len(taken) < len(PALETTE):
            slot = (slot + 1) % len(PALETTE)
        taken.add(slot)
        colours[rule] = PALETTE[slot]
    return colours


def _tint(colour: str, share: float = 0.88) -> str:
    """The colour mixed with white: a background the struck text stays readable on."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02x}" for c in rgb)


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


ARABIC_RUN = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"
                        r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d ]*")


def _evidence(text: str) -> str:
    """Evidence is English with Arabic quoted in it: each Arabic run isolated, or the
    number after a quoted marker ("«اقرأ أيضا»; 2 link lines") is drawn inside the quote."""
    return ARABIC_RUN.sub(lambda m: f"<bdi>{m.group(0)}</bdi>", _e(text))


STYLE = """
body { font: 17px/1.7 "Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", sans-serif;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; background: #fff; }
h1 { font-size: 1.4rem; margin: .3rem 0; } h2 { font-size: 1.1rem; margin-top: 1.6rem; color: #444; }
.ltr { direction: ltr; unicode-bidi: isolate; font-family: "DejaVu Sans Mono", monospace; font-size: .85em; }
.summary { border-bottom: 2px solid #ddd; padding-bottom: .6rem; }
.summary dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0; }
.summary dt { color: #666; } .summary dd { margin: 0; }
.verdict { font-weight: bold; padding: 0 .4rem; border-radius: .2rem; }
.verdict.kept { background: #e3f4e3; color: #1d6b1d; } .verdict.dropped { background: #fbe3e3; color: #9b1c1c; }
.legend ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem .9rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: .15rem; vertical-align: middle; }
.block { margin: .5rem 0; white-space: pre-line; }
.cut { border-inline-start: 5px solid var(--c); background: var(--t); padding: .2rem .6rem; }
.cut del { display: block; color: var(--c); text-decoration-thickness: 1px; }
.count { font-weight: bold; color: var(--c); }
.cut.inline del { display: inline-block; margin-inline-end: 1.2rem; }
.why { white-space: normal; font-size: .8rem; margin-bottom: .15rem; }
.rule { color: #fff; background: var(--c); padding: 0 .35rem; border-radius: .2rem; font-weight: bold; }
.evidence { color: #555; }
.empty { color: #777; font-style: italic; } .detail { color: #666; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: .3rem .4rem; text-align: start; vertical-align: top; }
tr.dropped td { background: #fdf3f3; } td.n { text-align: end; font-variant-numeric: tabular-nums; }
.chip { display: inline-block; color: #fff; background: var(--c); border-radius: .2rem; padding: 0 .3rem;
        margin: .05rem; font-size: .75rem; }
"""


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html dir="rtl" lang="ar">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _colour_vars(rule: str, colours: dict[str, str]) -> str:
    colour = colours.get(rule) or rule_colour(rule)
    return f"--c: {colour}; --t: {_tint(colour)}"


def _verdict(record: PageRecord) -> str:
    if record.kept:
        return '<span class="verdict kept">kept</span>'
    return f'<span class="verdict dropped" dir="ltr">dropped: {_e(record.reason)}</span>'


def _legend(rules: Counter, words: Counter, colours: dict[str, str]) -> str:
    if not rules:
        return '<section class="legend"><h2>Rules</h2><p class="empty">No block was removed.</p></section>'
    items = []
    for rule, count in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])):
        extra = f", {_plural(words[rule], 'word')}"
        items.append(f'<li data-rule="{_e(rule)}" style="{_colour_vars(rule, colours)}"><span class="swatch" '
                     f'style="background: var(--c)"></span> <bdi>{_e(rule)}</bdi> '
                     f'<bdi class="evidence" dir="ltr">({_plural(count, "block")}{extra})</bdi></li>')
    return f'<section class="legend"><h2>Rules</h2><ul>{"".join(items)}</ul></section>'


def _blocks(blocks: list[Block], colours: dict[str, str]) -> str:
    """Kept blocks as paragraphs; a run of blocks one rule removed with the same evidence
    (a menu's 40 one-word lines) as one box: the page reads as its layout, not as a list."""
    out = []
    for (rule, evidence), run in groupby(blocks, key=lambda b: (b.rule, b.evidence if b.rule else "")):
        run = list(run)
        if rule is None:
            out.extend(f'<p class="block kept">{_e(b.text)}</p>' for b in run)
            continue
        name = _e(rule)
        count = f' <span class="count" dir="ltr">×{len(run)}</span>' if len(run) > 1 else ""
        why = f' <span class="evidence" dir="ltr">{_evidence(evidence)}</span>' if evidence else ""
        struck = "".join(f'<del data-rule="{name}" title="{name}: {_e(evidence)}">{_e(b.text)}</del>' for b in run)
        # a run of short lines (a menu, share buttons) side by side, as the page showed them
        short = sum(b.words <= INLINE_MAX_WORDS for b in run)
        inline = " inline" if len(run) >= INLINE_RUN_MIN and short >= 0.75 * len(run) else ""
        out.append(f'<div class="block cut{inline}" style="{_colour_vars(rule, colours)}">'
                   f'<p class="why"><span class="rule"><bdi>{name}</bdi></span>{count}{why}</p>{struck}</div>')
    return "\n".join(out)


def render_page(record: PageRecord, index_href: str = "../index.html", colours: dict[str, str] | None = None) -> str:
    colours = colours if colours is not None else colour_map(record.rules())
    reason = ""
    if not record.kept:
        reason = (f'<dt>reason</dt><dd><bdi dir="ltr">{_e(record.reason)}'
                  + (f": <bdi>{_e(record.detail)}</bdi>" if record.detail else "") + "</bdi></dd>")
    canonical = ""
    if record.url and record.url != record.fetched_url:
        canonical = f'<dt>canonical URL</dt><dd><span class="ltr">{_e(unquote(record.url))}</span></dd>'
    header = (f'<header class="summary"><p><a href="{_e(index_href)}">all pages</a></p>'
              f"<h1>{_e(record.title) or '(no title)'}</h1><dl>"
              f'<dt>page</dt><dd class="fetched"><a class="ltr" href="{_e(record.fetched_url)}">'
              f"{_e(record.fetched_url)}</a></dd>{canonical}"
              f"<dt>verdict</dt><dd>{_verdict(record)}</dd>{reason}"
              f'<dt>words kept</dt><dd class="words-kept">{record.words_kept}</dd>'
              f'<dt>words removed</dt><dd class="words-removed">{record.words_removed}</dd>'
              "</dl></header>")
    sections = []
    stages = list(dict.fromkeys(b.stage for b in record.blocks))
    for stage in stages:
        blocks = _blocks([b for b in record.blocks if b.stage == stage], colours)
        sections.append(f'<section class="stage" data-stage="{_e(stage)}">'
                        f"<h2>{_e(STAGE_TITLES.get(stage, stage))}</h2>\n{blocks}\n</section>")
    if not sections:
        why = "The page has no text." if record.kept or record.decided else \
            "The page was dropped before any block was decided."
        sections.append(f'<p class="empty">{why}</p>')
    legend = _legend(record.rules(), record.words_by_rule(), colours)
    return _document(record.title or record.fetched_url, "\n".join([header, legend, *sections]))


def render_index(records: list[PageRecord], hrefs: list[str], lost: dict[str, int] | None = None,
                 colours: dict[str, str] | None = None) -> str:
    """One row per page; `lost`: pages the spider dropped before cleaning (not HTML,
    unreadable archive records), by reason, which have no report of their own."""
    rules, words = Counter(), Counter()
    for record in records:
        rules.update(record.rules())
        words.update(record.words_by_rule())
    colours = colours if colours is not None else colour_map(rules)
    kept = sum(r.kept for r in records)
    reasons = Counter(r.reason for r in records if not r.kept)
    dropped = ", ".join(f"<bdi>{_e(k)} {v}</bdi>" for k, v in sorted(reasons.items()))
    header = (f'<header class="summary"><h1>Explain report: {len(records)} pages</h1><dl>'
              f'<dt>kept</dt><dd class="kept-count">{kept}</dd>'
              f'<dt>dropped</dt><dd class="dropped-count"><bdi dir="ltr">{len(records) - kept}'
              f'{f" ({dropped})" if dropped else ""}</bdi></dd>')
    if lost:
        lost_text = ", ".join(f"<bdi>{_e(k)} {v}</bdi>" for k, v in sorted(lost.items()))
        header += f'<dt>lost before cleaning</dt><dd><bdi dir="ltr">{lost_text} (see the log)</bdi></dd>'
    header += "</dl></header>"
    rows = []
    for number, (record, href) in enumerate(zip(records, hrefs), 1):
        chips = "".join(f'<span class="chip" style="{_colour_vars(rule, colours)}"><bdi>{_e(rule)}</bdi> {n}</span>'
                        for rule, n in sorted(record.rules().items()))
        status = "kept" if record.kept else "dropped"
        rows.append(f'<tr class="{status}"><td class="n">{number}</td>'
                    f'<td><a href="{_e(href)}">{_e(record.title) or "(no title)"}</a><br>'
                    f'<span class="ltr">{_e(record.fetched_url)}</span></td>'
                    f"<td>{status}</td><td>{_reason_cell(record)}</td>"
                    f'<td class="n">{record.words_kept}</td><td class="n">{record.words_removed}</td>'
                    f"<td>{chips}</td></tr>")
    table = ("<table><thead><tr><th>#</th><th>page</th><th>verdict</th><th>reason</th>"
             "<th>words kept</th><th>words removed</th><th>rules</th></tr></thead>"
             f"<tbody>\n{chr(10).join(rows)}\n</tbody></table>")
    return _document("Explain report", "\n".join([header, _legend(rules, words, colours), table]))


def _reason_cell(record: PageRecord) -> str:
    if record.kept:
        return ""
    detail = f'<br><small class="detail"><bdi>{_e(record.detail)}</bdi></small>' if record.detail else ""
    return f'<bdi class="reason">{_e(record.reason)}</bdi>{detail}'


def write_report(outdir: Path, records: list[PageRecord], lost: dict[str, int] | None = None) -> Path:
    """OUTDIR/index.html and OUTDIR/pages/<n>.html, pages in the order of their fetched URLs
    (a folder's files in path order); returns the index's path."""
    records = sorted(records, key=lambda r: r.fetched_url)
    colours = colour_map(rule for record in records for rule in record.rules())
    pages = outdir / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(records))))
    hrefs = []
    for number, record in enumerate(records, 1):
        name = f"{number:0{width}d}.html"
        (pages / name).write_text(render_page(record, colours=colours), encoding="utf-8")
        hrefs.append(f"pages/{name}")
    index = outdir / "index.html"
    index.write_text(render_index(records, hrefs, lost, colours), encoding="utf-8")
    return index


# --- Scrapy item pipeline -------------------------------------------------------------

class ExplainPipeline:
    """The cleaning steps (CLEANING_STEPS, without dedupe) on each page, recording what they
    decided; at the close, the report in EXPLAIN_DIR. A dropped page is raised on, so the
    run's stats count it as `scrapy clean` would."""

    def __init__(self, crawler, outdir: Path, paths: list[str]):
        self.crawler = crawler
        self.outdir = outdir
        self.step_stats = DeltaStats()
        self.steps = build_steps(paths, StepContext(crawler.settings, self.step_stats))
        self.records: list[PageRecord] = []
        self.index: Path | None = None

    @classmethod
    def from_crawler(cls, crawler):
        outdir = crawler.settings.get("EXPLAIN_DIR")
        if not outdir:
            raise NotConfigured("EXPLAIN_DIR is not set")
        paths = [p for p in crawler.settings.getlist("CLEANING_STEPS") if p not in NOT_EXPLAINED_STEPS]
        return cls(crawler, Path(outdir), paths)

    def process_item(self, page):
        drop = None
        try:
            for step in self.steps:
                page = step.process_item(page)
        except Drop as exc:
            drop = exc
        except Exception as exc:  # a bug on one page: shown in the report, counted like the pool counts it
            logger.exception("cleaning failed on %s", page.fetched_url)
            drop = PipelineError(repr(exc), page.fetched_url, exception=type(exc).__name__)
        replay(self.step_stats.take(), self.crawler.stats)
        self.records.append(record_page(page, drop))
        if drop is not None:
            raise as_drop_item(drop)
        return page

    def close_spider(self, spider=None):
        stats = self.crawler.stats.get_stats()
        ours = Counter(r.reason for r in self.records if not r.kept)
        lost = {}
        for key, count in stats.items():
            if key.startswith("docs/dropped/"):
                reason = key.removeprefix("docs/dropped/")
                if count > ours[reason]:
                    lost[reason] = count - ours[reason]
        self.index = write_report(self.outdir, self.records, lost)
        self.crawler.stats.set_value("explain/pages", len(self.records))
        logger.info("explain report of %d pages: %s", len(self.records), self.index)
