"""The architecture's import rules, checked on the source (ast; nothing is imported).

Every import counts, at module level or inside a function, except one under ``if TYPE_CHECKING:``
(it never runs). ``from ftlint.x import y`` is an edge to ``ftlint.x.y`` when that is a module,
else to ``ftlint.x``; relative imports are resolved. A parent package's ``__init__`` (which Python
runs first) is not counted as an edge of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ftlint

SRC = Path(ftlint.__file__).resolve().parent.parent
Graph = dict[str, set[str]]


def modules(src: Path = SRC) -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` for every module of the ftlint package."""
    out = {}
    for path in sorted((src / "ftlint").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, package)
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported(name: str, path: Path, package: bool, known: set[str] | dict[str, object]) -> set[str]:
    """The ftlint modules that module ``name`` imports (itself excluded)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child.test):
                for stmt in child.orelse:  # the else branch does run
                    visit_one(stmt)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
        if isinstance(node, ast.If) and _type_checking(node.test):
            for stmt in node.orelse:
                visit_one(stmt)
            return
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {m for m in found if m in known and m != name}


def import_graph(src: Path = SRC) -> Graph:
    mods = modules(src)
    return {name: imported(name, path, package, mods) for name, (path, package) in mods.items()}


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None; deterministic (modules visited in order)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = dfs(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = dfs(node)
            if cycle:
                return cycle
    return None


def test_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker itself: function-level, relative and submodule imports count, TYPE_CHECKING ones
    do not, and a cycle through them is found and printed in order."""
    pkg = tmp_path / "ftlint"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from ftlint.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from . import c\n")
    (pkg / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ftlint.d\nelse:\n    from .. import a\n")
    (pkg / "d.py").write_text("import ftlint.sub.c\n")
    graph = import_graph(tmp_path)
    assert graph["ftlint.a"] == {"ftlint.sub.b"}
    assert graph["ftlint.sub.b"] == {"ftlint.sub.c"}
    assert graph["ftlint.sub.c"] == {"ftlint.a"}
    assert graph["ftlint.d"] == {"ftlint.sub.c"}
    assert find_cycle(graph) == ["ftlint.a", "ftlint.sub.b", "ftlint.sub.c", "ftlint.a"]
    (pkg / "sub" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import a\n")
    assert find_cycle(import_graph(tmp_path)) is None


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50 and "ftlint.model" in graph  # the source tree was found
    cycle = find_cycle(graph)
    if cycle:
        pytest.fail("import cycle: " + " -> ".join(cycle))


def test_model_is_a_leaf() -> None:
    """ftlint.model (Severity, Location, Row, Finding, ...) is imported by every layer, so it imports
    nothing from ftlint but the typed chart specs (which import nothing from ftlint at all)."""
    graph = import_graph()
    assert graph["ftlint.model"] <= {"ftlint.chartspec", "ftlint.remedies"}, sorted(graph["ftlint.model"])
    assert graph["ftlint.chartspec"] == set(), sorted(graph["ftlint.chartspec"])


def model_names_from_old_homes(root: Path) -> list[str]:
    """``path:line: name`` of every import of a :mod:`ftlint.model` name from ftlint.findings or
    ftlint.rule (which only import them) below ``root``, ``TYPE_CHECKING`` imports included."""
    import ftlint.model

    names = set(ftlint.model.__all__)
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "ftlint.findings" not in text and "ftlint.rule " not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module in ("ftlint.findings", "ftlint.rule"):
                found += [f"{path}:{node.lineno}: {a.name} from {node.module}" for a in node.names if a.name in names]
    return found


def test_model_names_come_from_the_model(tmp_path: Path) -> None:
    """Severity, Location, Row, Finding ... are imported from ftlint.model (or the public ``ftlint``),
    never from ftlint.findings or ftlint.rule, in the package and in its tests."""
    (tmp_path / "old.py").write_text("from ftlint.findings import Report, Row\n"
                                     "def f():\n    from ftlint.rule import Rule, Severity\n")
    assert [line.split(": ", 1)[1] for line in model_names_from_old_homes(tmp_path)] == [
        "Row from ftlint.findings", "Severity from ftlint.rule"]
    tests = Path(__file__).resolve().parent
    assert model_names_from_old_homes(SRC / "ftlint") + model_names_from_old_homes(tests) == []


def test_rules_and_features_build_no_rows() -> None:
    """Rules yield row references (RowAt); only the engine builds output Rows and fingerprints them,
    so no module of rules/ or features/ (the built-in rules and what they compute) imports Row or
    row_fingerprint."""
    found = []
    for folder in ("rules", "features"):
        for path in sorted((SRC / "ftlint" / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ftlint"):
                    found += [f"{path.name}:{node.lineno}: {a.name}" for a in node.names
                              if a.name in ("Row", "row_fingerprint")]
    assert found == []
