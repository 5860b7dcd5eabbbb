"""No import cycles between Kehu's modules, counting imports inside functions too (a cycle
hidden in a function is still a cycle). The one allowed: a service queueing its app's task,
which calls the service back (``services`` ↔ ``tasks``)."""

import ast
from pathlib import Path

import kehu

ROOT = Path(kehu.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "migrations" in parts or "tests" in parts or path.name == "conftest.py":
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for target in names:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # A module importing its own package (or the package a module of its own) is
            # how packages work, not a cycle.
            if target and not name.startswith(target + ".") and not target.startswith(name + "."):
                targets.add(target)
    return targets


def _allowed(a: str, b: str) -> bool:
    ends = {a.rsplit(".", 1)[-1], b.rsplit(".", 1)[-1]}
    same_app = a.split(".")[:2] == b.split(".")[:2]
    return same_app and ends == {"services", "tasks"}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    modules = _modules()
    graph = {
        name: {t for t in _imports(name, path, modules) if not _allowed(name, t)}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


def test_a_cycle_is_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
