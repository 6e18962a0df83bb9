"""`scrapy state`: what the state store (STATE_URI) remembers, and `scrapy state forget` to
release remembered drops, so that pages dropped by an old heuristic are fetched again.

    scrapy state                                    # counts by kind and drop reason
    scrapy state forget --reason language           # every page dropped as `language`
    scrapy state forget --reason not_article --site example.com --since 2026-01-01 --until 2026-02-01
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pipelines.state import StateError, open_store


def epoch(day: str | None) -> float | None:
    """An ISO date or date-time (UTC unless it says otherwise) as epoch seconds."""
    if day is None:
        return None
    try:
        when = datetime.fromisoformat(day)
    except ValueError:
        raise UsageError(f"not an ISO date: {day!r} (e.g. 2026-01-31 or 2026-01-31T12:00)", print_help=False) from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[forget --reason R [--site S] [--since DATE] [--until DATE]] [--json]"

    def short_desc(self):
        return "Show what the state store remembers, or forget remembered drops"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--reason", help="forget: drops of this reason (language, not_article, duplicate, ...)")
        parser.add_argument("--site", help="forget: only this site (registered domain, e.g. example.com)")
        parser.add_argument("--since", help="forget: dropped on or after this date (ISO, UTC)")
        parser.add_argument("--until", help="forget: dropped before this date (ISO, UTC)")
        parser.add_argument("--all", action="store_true", help="forget: every remembered drop")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def run(self, args, opts):
        if args not in ([], ["forget"]):
            raise UsageError("scrapy state [forget ...]")
        uri = self.settings.get("STATE_URI")
        try:
            store = open_store(uri)
        except StateError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            if args == ["forget"]:
                if not (opts.reason or opts.site or opts.since or opts.until or opts.all):
                    raise UsageError("say what to forget: --reason, --site, --since, --until, or --all",
                                     print_help=False)
                released = store.forget_drops(opts.reason, opts.site, epoch(opts.since), epoch(opts.until))
                print(json.dumps({"released": released}) if opts.json else
                      f"released {released} remembered drop(s): the next run fetches them again")
                return
            counts = store.counts()
            if opts.json:
                print(json.dumps(counts, ensure_ascii=False, sort_keys=True))
                return
            print(f"state store {uri.split('@')[-1]}")
            print(f"  exported articles  {counts['articles']:>9}")
            print(f"  provisional        {counts['pending']:>9}")
            print(f"  remembered drops   {sum(counts['dropped'].values()):>9}")
            for reason, n in counts["dropped"].items():
                print(f"    {reason:<16} {n:>9}")
        finally:
            store.close()
