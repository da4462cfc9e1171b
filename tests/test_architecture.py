"""The shape of the package: imports point one way, no cycles, heavy libraries stay out of start-up.

Counted over the source with ``ast`` (every ``import`` statement, at any depth, so an import
inside a function counts as much as one at the top); see docs/architecture.md.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "study_tracker"
PACKAGE = "study_tracker"

# Libraries slow enough to import (seconds, or hundreds of MB) that only the code using them may
# import them, inside the function that needs them.
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "onnxruntime")

# Which top-level parts may import which (DESIGN.md: web/ and cli/ call the domains; coach/ reads
# every domain; knowledge/ serves any corpus, so it knows nothing of the tracker).
LAYERS = {
    "knowledge": {"knowledge", "config", "errors", "content", "clock"},
    "tracker": {"tracker", "db", "config", "errors", "content", "clock"},
    "skills": {"skills", "tracker", "db", "config", "errors", "content", "clock"},
    "accounts": {"accounts", "db", "config", "errors"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _own_imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at function level) for each import of the project's modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] != PACKAGE:
                continue
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                found.append((target, node.lineno, node.col_offset > 0))
    return found


GRAPH = {name: _own_imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    edges = defaultdict(set)
    for name, imports in GRAPH.items():
        edges[name].update(target for target, _, _ in imports)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_whole_package():
    assert len(MODULES) > 80
    assert ("study_tracker.errors", 0, False) not in GRAPH["study_tracker.web.errors"]  # lines are real
    assert any(t == "study_tracker.errors" for t, _, _ in GRAPH["study_tracker.web.errors"])


def test_no_import_cycles_counting_imports_inside_functions():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle():
    GRAPH["study_tracker.clock"].append(("study_tracker.config", 1, True))
    GRAPH["study_tracker.config"].append(("study_tracker.clock", 1, True))
    try:
        assert ["study_tracker.clock", "study_tracker.config"] in _cycles()
    finally:
        GRAPH["study_tracker.clock"].pop()
        GRAPH["study_tracker.config"].pop()


def test_no_function_level_imports_of_the_projects_own_modules():
    inside = [
        f"{name}:{line} imports {target}"
        for name, imports in GRAPH.items()
        for target, line, deep in imports
        if deep
    ]
    assert inside == []


@pytest.mark.parametrize("part", sorted(LAYERS))
def test_dependencies_point_one_way(part: str):
    allowed = {f"{PACKAGE}.{p}" for p in LAYERS[part]}
    wrong = [
        f"{name} imports {target}"
        for name, imports in GRAPH.items()
        if name.startswith(f"{PACKAGE}.{part}")
        for target, _, _ in imports
        if not any(target == a or target.startswith(a + ".") for a in allowed)
    ]
    assert wrong == []


def test_nothing_imports_from_web_or_cli():
    wrong = [
        f"{name} imports {target}"
        for name, imports in GRAPH.items()
        for target, _, _ in imports
        for edge in ("web", "cli")
        if target.startswith(f"{PACKAGE}.{edge}")
        and not name.startswith(f"{PACKAGE}.{edge}")
        and name not in (f"{PACKAGE}.__main__",)
    ]
    assert wrong == []


def test_heavy_libraries_are_imported_only_inside_functions():
    top_level = []
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            top_level += [f"{name} imports {m}" for m in mods if m.split(".")[0] in HEAVY]
    assert top_level == []


_LOADED = (
    "import json, sys\n{setup}\n"
    "print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))"
)


def _loaded_after(setup: str, env: dict[str, str] | None = None) -> list[str]:
    code = _LOADED.format(setup=setup, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_web_app_loads_no_heavy_library():
    assert _loaded_after("from study_tracker.web.app import create_app") == []


def test_study_today_loads_no_heavy_library(tmp_path: Path):
    setup = (
        "import io, contextlib\n"
        "from study_tracker.cli import app\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        app(['today'], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'Day' in buf.getvalue() or 'day' in buf.getvalue(), buf.getvalue()\n"
    )
    env = {"STUDY_DATA_DIR": str(tmp_path / "data"), "STUDY_INDEX_ON_START": "false", "COLUMNS": "200"}
    assert _loaded_after(setup, env) == []


def test_the_heavy_check_sees_a_heavy_import():
    assert _loaded_after("import onnxruntime") == ["onnxruntime"]
