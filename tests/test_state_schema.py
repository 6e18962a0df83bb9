"""The SQLite store's schema: a version, migrations one transaction a step, and no SQL
newer than SQLite 3.26 (RHEL 8)."""
import ast
import re
import sqlite3
from pathlib import Path

import pytest

from pipelines.state import SCHEMA_VERSION, SQLiteStore, StateError

ROOT = Path(__file__).resolve().parent.parent


def test_a_new_store_carries_the_schema_version(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_crawler_is_refused_with_the_versions(tmp_path):
    path = tmp_path / "s.sqlite"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StateError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this crawler's"):
        SQLiteStore(path)


def test_a_store_from_before_versions_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    # the first release's tables, without the columns added since
    db.executescript("""
        CREATE TABLE urls (url TEXT PRIMARY KEY);
        CREATE TABLE pending (doc_id TEXT PRIMARY KEY, url TEXT NOT NULL);
        CREATE TABLE feeds (path TEXT PRIMARY KEY);
        INSERT INTO urls VALUES ('http://example.com/a');
        INSERT INTO pending VALUES ('d1', 'http://example.com/a');
    """)
    db.close()
    store = SQLiteStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {r[1] for r in store.db.execute("PRAGMA table_info(urls)")} >= {"text_hash", "seen_at"}
    assert {r[1] for r in store.db.execute("PRAGMA table_info(pending)")} >= {"owner", "text_hash", "updating"}
    assert store.has_url("http://example.com/a")
    store.done("d1")   # the old pending document settles with the new columns
    assert store.db.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0


# SQL that SQLite 3.26 does not know, with the version that brought it
NEWER_THAN_3_26 = {
    r"\bUPDATE\b[^;\"]*\bFROM\b": "UPDATE ... FROM (3.33)",
    r"\bRETURNING\b": "RETURNING (3.35)",
    r"\bDROP\s+COLUMN\b": "ALTER TABLE DROP COLUMN (3.35)",
    r"\bGENERATED\s+ALWAYS\b": "generated columns (3.31)",
    r"\bIIF\s*\(": "iif() (3.32)",
    r"\)\s*STRICT\b": "STRICT tables (3.37)",
    r"->>": "JSON ->> (3.38)",
    r"\bunixepoch\s*\(": "unixepoch() (3.38)",
    r"\bNULLS\s+(FIRST|LAST)\b": "NULLS FIRST/LAST (3.30)",
    r"\bFILTER\s*\(\s*WHERE\b": "aggregate FILTER (3.30)",
    r"\bMATERIALIZED\b": "MATERIALIZED CTEs (3.35)",
}


@pytest.mark.parametrize("module", ["pipelines/state.py"])
def test_no_sql_newer_than_sqlite_3_26(module):
    found = {name for text in string_literals(ROOT / module) for pattern, name in NEWER_THAN_3_26.items()
             if re.search(pattern, top_level(text) if "UPDATE" in pattern else text, re.I)}
    assert found == set()


def top_level(sql: str) -> str:
    """The statement without its parenthesised parts: a subquery's FROM is not UPDATE ... FROM."""
    while (shorter := re.sub(r"\([^()]*\)", "", sql)) != sql:
        sql = shorter
    return sql


def string_literals(path: Path) -> list[str]:
    """Every string in the module, adjacent literals joined as Python joins them (where the
    SQL is); an f-string's fixed parts."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            out.append(" ".join(v.value for v in node.values if isinstance(v, ast.Constant)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def test_the_scan_tells_update_from_from_a_subquery():
    rule = list(NEWER_THAN_3_26)[0]
    assert re.search(rule, top_level("UPDATE urls SET text_hash = p.text_hash FROM pending p WHERE p.doc_id = ?"))
    assert not re.search(rule, top_level("UPDATE urls SET h = (SELECT h FROM pending WHERE id = ?) WHERE u = ?"))
