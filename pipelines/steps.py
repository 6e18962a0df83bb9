"""The cleaning steps as a list run in order, without Scrapy: what the cleaning pool runs in
each worker process (pipelines/pool.py) and what `clean_page` runs in the caller's process
(pipelines/api.py).

A step is an item pipeline class of the cleaning order (CLEANING_STEPS): `from_crawler`
reads the settings and the stats it is given (here a `StepContext`, not a Scrapy crawler),
`process_item(page)` returns the page or raises a drop (pipelines/drops.py).
"""
from __future__ import annotations

import importlib
import logging

from pipelines.drops import Drop, PipelineError

logger = logging.getLogger(__name__)

# The steps, in order; crawler/settings.py's CLEANING_STEPS is this list.
CLEANING_STEPS = [
    "pipelines.extract.ExtractPipeline",
    "pipelines.boilerplate.BoilerplatePipeline",
    "pipelines.normalize.NormalizePipeline",
    "pipelines.language.LanguagePipeline",
    # quality before dedupe: a page dropped as not-an-article must not claim keys in the store
    "pipelines.quality.QualityPipeline",
    "pipelines.sketch.SketchStep",
]


class PlainSettings(dict):
    """Settings as a plain dict, read with the typed getters of Scrapy's Settings that the
    steps use, and with its meaning of "1", "True" and comma-separated lists."""

    def getbool(self, name, default=False) -> bool:
        value = self.get(name, default)
        if isinstance(value, str):
            value = {"true": True, "false": False, "1": True, "0": False}.get(value.lower(), value)
        return bool(int(value)) if isinstance(value, int) else bool(value)

    def getint(self, name, default=0) -> int:
        return int(self.get(name, default))

    def getfloat(self, name, default=0.0) -> float:
        return float(self.get(name, default))

    def getlist(self, name, default=None) -> list:
        value = self.get(name, default if default is not None else [])
        return value.split(",") if isinstance(value, str) else list(value)

    def getdict(self, name, default=None) -> dict:
        return dict(self.get(name, default or {}))


class DeltaStats:
    """What the steps count, kept as operations to replay on a crawler's stats."""

    def __init__(self):
        self.ops: list[tuple[str, str, object]] = []

    def inc_value(self, key, count=1, start=0, spider=None):
        self.ops.append(("inc_value", key, count))

    def set_value(self, key, value, spider=None):
        self.ops.append(("set_value", key, value))

    def max_value(self, key, value, spider=None):
        self.ops.append(("max_value", key, value))

    def min_value(self, key, value, spider=None):
        self.ops.append(("min_value", key, value))

    def take(self) -> list:
        ops, self.ops = self.ops, []
        return ops


def replay(ops: list, stats) -> None:
    for method, key, value in ops:
        getattr(stats, method)(key, value)


class StepContext:
    """What a step's from_crawler reads outside a crawler: settings and stats."""

    def __init__(self, settings, stats: DeltaStats):
        self.settings = settings
        self.stats = stats


def load_object(path):
    """A class named by its dotted path (or the class itself), as Scrapy's load_object."""
    if not isinstance(path, str):
        return path
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build_steps(paths: list, context: StepContext) -> list:
    steps = []
    for path in paths:
        cls = load_object(path)
        steps.append(cls.from_crawler(context) if hasattr(cls, "from_crawler") else cls())
    return steps


def run_steps(steps: list, page):
    """The page through every step: ("ok", page) or ("drop", the Drop)."""
    try:
        for step in steps:
            page = step.process_item(page)
    except Drop as drop:
        return "drop", drop
    except Exception as exc:  # a bug on one page must not take the worker down
        logger.exception("cleaning failed on %s", getattr(page, "fetched_url", "?"))
        return "drop", PipelineError(repr(exc), getattr(page, "fetched_url", None), exception=type(exc).__name__)
    return "ok", page
