"""A cleaning step that kills its own process on a marked page: what a crash in lxml or
the OOM killer does to a cleaning process (tests/test_pool.py)."""
import os

MARK = "KILL-THE-CLEANING-PROCESS"


class DieOnMarkedPage:
    def process_item(self, page):
        if page.html and MARK in page.html:
            os._exit(9)
        return page
