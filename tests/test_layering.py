"""The cores do not know the crawler: nothing under pipelines/ imports the crawler package
(docs/development.md: pipelines/ is what happens to a page, crawler/ how it is found and fetched)."""
import ast

from conftest import ROOT


def imported_modules(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_under_pipelines_imports_crawler():
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(m for m in imported_modules(path) if m.split(".")[0] == "crawler")
        for path in sorted((ROOT / "pipelines").rglob("*.py"))
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from crawler.state import state_store\n    import crawler.items\n")
    assert imported_modules(sample) == {"crawler.state", "crawler.items"}


def test_the_page_and_document_types_live_in_pipelines():
    from crawler import items
    from pipelines.document import Document
    from pipelines.page import DOCUMENT_FIELDS, Page

    assert (items.Page, items.Document, items.DOCUMENT_FIELDS) == (Page, Document, DOCUMENT_FIELDS)
    assert list(Document.fields) == list(DOCUMENT_FIELDS)


def test_the_crawl_runs_the_steps_clean_page_runs():
    from crawler import settings
    from pipelines.steps import CLEANING_STEPS

    assert settings.CLEANING_STEPS == CLEANING_STEPS


def crawler_attributes_set(path) -> list[str]:
    """`crawler.x = ...` / `self.crawler.x = ...`: state hung on Scrapy's Crawler object."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute):
                owner = target.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
                if name == "crawler":
                    found.append(target.attr)
    return found


def test_no_component_hangs_state_on_the_crawler():
    """State passes through Scrapy's own means: components made by from_crawler, found with
    crawler.get_extension, and signals (the state store's keeper, the feeds' ledger)."""
    offenders = {path.relative_to(ROOT).as_posix(): crawler_attributes_set(path)
                 for path in sorted([*(ROOT / "crawler").rglob("*.py"), *(ROOT / "pipelines").rglob("*.py")])}
    assert {p: a for p, a in offenders.items() if a} == {}


def test_the_attribute_check_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(self, crawler):\n    crawler.held = 1\n    self.crawler.lost = True\n    self.crawler = crawler\n")
    assert crawler_attributes_set(sample) == ["held", "lost"]
