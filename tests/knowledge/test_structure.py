"""The knowledge engine's shape, read from its source: the catalog SQL lives in one module, the
package imports only what it may, functions take few positional parameters, modules stay small,
and search does not load the ingest pipeline."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import study_tracker.knowledge as knowledge_pkg

PACKAGE = Path(knowledge_pkg.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
CATALOG = PACKAGE / "index" / "catalog.py"
EMBEDDING_CACHE = PACKAGE / "embed" / "cache.py"  # a separate store with its own SQL

_TABLE = r"(?:roots|files|documents|chunks)\b"
# Statement shapes that name a catalog table: reads, joins, writes, schema.
CATALOG_SQL = re.compile(
    rf"\bFROM\s+{_TABLE}|\bJOIN\s+{_TABLE}|\bINTO\s+{_TABLE}|\bUPDATE\s+{_TABLE}\s+SET\b"
    rf"|\bTABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_TABLE}|\bINDEX\b[^;]*\bON\s+{_TABLE}\s*\(",
    re.IGNORECASE,
)
SQL_CALLS = {"execute", "executemany", "executescript"}


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (prose about the catalog is fine)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def catalog_sql(path: Path) -> list[str]:
    """The string literals (f-string parts included, docstrings left out) in ``path`` that hold
    SQL against a catalog table."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [
        " ".join(node.value.split())
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and CATALOG_SQL.search(node.value)
    ]


def sql_calls(path: Path) -> list[int]:
    """Lines where ``path`` calls ``execute``/``executemany``/``executescript`` on anything."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS
    ]


def test_the_detector_finds_sql_against_every_catalog_table() -> None:
    found = " ".join(catalog_sql(CATALOG))
    for table in ("roots", "files", "documents", "chunks"):
        assert re.search(rf"(FROM|INTO|UPDATE|JOIN) {table}\b", found), table
    for sql in (
        "SELECT id FROM files WHERE path = ?",
        "delete from chunks where id = 1",
        "UPDATE documents SET title = ?",
        "CREATE INDEX IF NOT EXISTS x ON chunks(row)",
    ):
        assert CATALOG_SQL.search(sql), sql
    for prose in ("Removed 3 files from the index", "the chunks of a document", "update the roots"):
        assert not CATALOG_SQL.search(prose), prose


def test_catalog_sql_lives_only_in_the_catalog_module() -> None:
    assert CATALOG in MODULES and EMBEDDING_CACHE in MODULES
    offenders = {_rel(p): sql for p in MODULES if p != CATALOG and (sql := catalog_sql(p))}
    assert offenders == {}


def test_only_the_catalog_and_the_embedding_cache_run_sql() -> None:
    calls = {_rel(p): lines for p in MODULES if (lines := sql_calls(p))}
    assert set(calls) == {_rel(CATALOG), _rel(EMBEDDING_CACHE)}


ALLOWED = ("study_tracker.config", "study_tracker.errors", "study_tracker.content", "study_tracker.knowledge")


def _project_imports(path: Path) -> set[str]:
    """Every ``study_tracker`` module ``path`` imports, at any level (function bodies included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n == "study_tracker" or n.startswith("study_tracker.")}


def test_knowledge_imports_only_config_errors_content_and_itself() -> None:
    bad = {
        _rel(p): sorted(
            n for n in _project_imports(p) if not any(n == a or n.startswith(a + ".") for a in ALLOWED)
        )
        for p in MODULES
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_no_function_takes_more_than_six_positional_parameters() -> None:
    wide = []
    for p in MODULES:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = len(node.args.posonlyargs) + len(node.args.args)
                if n > 6:
                    wide.append(f"{_rel(p)}:{node.lineno} {node.name} ({n})")
    assert wide == []


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 500


def test_search_and_answer_do_not_load_the_ingest_pipeline() -> None:
    code = (
        "import json, sys\n"
        "import study_tracker.knowledge.answer.flow, study_tracker.knowledge.search.viewer\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('study_tracker.knowledge.ingest'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    # The chunker version decides whether an index is current (index/metadata.py); nothing else.
    assert "study_tracker.knowledge.ingest.pipeline" not in loaded
    assert "study_tracker.knowledge.ingest.stages" not in loaded
    assert "study_tracker.knowledge.ingest.loaders" not in loaded
