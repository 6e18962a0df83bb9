"""Seed files: one TOML file per news site (seeds/<site>.toml). A site's quirks are data here."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.discovery import parse_date


class SeedError(ValueError):
    """A seed file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Seed:
    name: str
    allowed_domains: tuple[str, ...]
    article_pattern: re.Pattern[str]
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    prune_xpaths: tuple[str, ...] = ()
    max_depth: int = 2
    allow_private_networks: bool = False   # the host:ports its URLs name may be loopback/private (a local site)
    # A first run of the site reads back to this date instead of DISCOVERY_DAYS days.
    first_run_since: datetime | None = None
    path: str = field(default="", compare=False)

    def is_article(self, url: str) -> bool:
        return bool(self.article_pattern.search(url))

    @property
    def endpoints(self) -> frozenset[tuple[str, int]]:
        """The (host, port) pairs its own start pages, sitemaps and feeds name."""
        return frozenset(filter(None, (endpoint(url) for url in (*self.start_urls, *self.sitemaps, *self.feeds))))

    def names_endpoint(self, url: str) -> bool:
        return endpoint(url) in self.endpoints


def endpoint(url: str) -> tuple[str, int] | None:
    """A URL's (host, port), the port filled in from its scheme; None if it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    return (host, port) if host and port else None


def _strings(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeedError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def parse_seed(data: dict, where: str) -> Seed:
    unknown = set(data) - {"name", "allowed_domains", "article_pattern", "start_urls", "sitemaps",
                           "feeds", "prune_xpaths", "max_depth", "allow_private_networks", "first_run_since", "notes"}
    if unknown:
        raise SeedError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "allowed_domains", "article_pattern"):
        if key not in data:
            raise SeedError(f"{where}: '{key}' is required")
    try:
        pattern = re.compile(data["article_pattern"])
    except re.error as exc:
        raise SeedError(f"{where}: article_pattern is not a regular expression: {exc}") from exc
    first_run_since = data.get("first_run_since")
    if first_run_since is not None:
        # TOML reads an unquoted 2025-01-01 as a date: either form is taken
        first_run_since = parse_date(str(first_run_since))
        if first_run_since is None:
            raise SeedError(f"{where}: first_run_since must be a date such as 2025-01-01")
    seed = Seed(
        name=data["name"],
        allowed_domains=_strings(data, "allowed_domains", where),
        article_pattern=pattern,
        start_urls=_strings(data, "start_urls", where),
        sitemaps=_strings(data, "sitemaps", where),
        feeds=_strings(data, "feeds", where),
        prune_xpaths=_strings(data, "prune_xpaths", where),
        max_depth=int(data.get("max_depth", 2)),
        allow_private_networks=data.get("allow_private_networks", False) is True,
        first_run_since=first_run_since,
        path=where,
    )
    if not (seed.start_urls or seed.sitemaps or seed.feeds):
        raise SeedError(f"{where}: give at least one of start_urls, sitemaps, feeds")
    return seed


def load_seed_file(path: Path) -> Seed:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SeedError(f"{path}: {exc}") from exc
    return parse_seed(data, str(path))


def load_seeds(path: str | Path) -> list[Seed]:
    """A seed file, or every *.toml file of a folder (sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise SeedError(f"{path}: no *.toml seed files")
        return [load_seed_file(f) for f in files]
    if not path.exists():
        raise SeedError(f"{path}: no such seed file or folder")
    return [load_seed_file(path)]
