"""A page's <meta>, <link>, <script> and <time> elements, found in one pass over its tree.

Extraction asks a dozen questions of them (`//meta[@property="og:type"]/@content`, the
canonical link, the JSON-LD scripts, the dates and authors stated in meta tags). Each asked
as an XPath query walks the whole tree, ~0.1 ms on a news page of a thousand elements; one
walk serves them all. Answers are those of the queries: values in page order, and nothing
from an element removed from the tree since the walk (a pruned box may hold a <time>).
"""
from __future__ import annotations

INDEXED = ("meta", "link", "script", "time")


class HeadTags:
    def __init__(self, tree):
        # a query's "//" starts at the document's root, whatever element `tree` is
        self.root = tree.getroottree().getroot()
        self.by_tag: dict[str, list] = {tag: [] for tag in INDEXED}
        for el in self.root.iter(*INDEXED):
            self.by_tag[el.tag].append(el)

    def values(self, tag: str, attribute: str, *where: tuple[str, str]) -> list[str]:
        """`//tag[@a="x" or @b="y" ...]/@attribute` for `where` = (("a", "x"), ("b", "y"), ...);
        every `tag` element when `where` is empty."""
        out = []
        for el in self.by_tag[tag]:
            value = el.get(attribute)
            if value is not None and (not where or any(el.get(a) == v for a, v in where)) and self._in_tree(el):
                out.append(value)
        return out

    def elements(self, tag: str, *where: tuple[str, str]) -> list:
        """`//tag[@a="x" or ...]`."""
        return [el for el in self.by_tag[tag]
                if (not where or any(el.get(a) == v for a, v in where)) and self._in_tree(el)]

    def _in_tree(self, el) -> bool:
        while True:
            parent = el.getparent()
            if parent is None:
                return el is self.root
            el = parent
