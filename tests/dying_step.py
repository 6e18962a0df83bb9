"""Cleaning steps that misbehave on a marked page, as hostile pages and broken machines make
real steps misbehave (tests/test_pool.py)."""
import multiprocessing
import os
from pathlib import Path

MARK = "KILL-THE-CLEANING-PROCESS"
SPIN = "SPIN-THE-CLEANING-PROCESS"


class DieOnMarkedPage:
    """What a crash in lxml or the OOM killer does to a cleaning process."""

    def __init__(self, flag: str = ""):
        self.flag = flag

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("TEST_DEATH_FLAG", ""))

    def process_item(self, page):
        if page.html and MARK in page.html:
            if self.flag:
                Path(self.flag).touch()
            os._exit(9)
        return page


class SpinOnMarkedPage:
    """A step that never ends on one page (a super-linear loop on a hostile page)."""

    def process_item(self, page):
        if page.html and SPIN in page.html:
            n = 0
            while True:
                n += 1
        return page


class NoStartAfterDeath:
    """A step that cannot be built in a cleaning process once TEST_DEATH_FLAG exists: every
    process started after the first death fails before it is ready (a broken install, no
    memory left). In the crawler process itself it builds."""

    @classmethod
    def from_crawler(cls, crawler):
        flag = crawler.settings.get("TEST_DEATH_FLAG", "")
        if flag and os.path.exists(flag) and multiprocessing.parent_process() is not None:
            raise RuntimeError("this step cannot load here any more")
        return cls()

    def process_item(self, page):
        return page
