"""The house keeps its layers: no import circle among hfsync's modules, no import from a lower
layer to a higher one (README, Code layout), no product module past 400 lines.

Every import counts: at the top, inside a function, or only for type checking.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hfsync"
# README, Code layout: a folder may import its own modules and those of lower layers only.
LAYERS = {
    "core": 0,
    "config": 1,
    "local": 1,
    "remotes": 2,
    "validate": 3,
    "engine": 4,
    "ui": 5,
    "memo": 6,
    "daemons": 6,
    "cli": 7,
    "__main__": 8,
}
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The hfsync modules `path` imports (a name imported from a package counts as its module
    when it is one)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_circle() -> None:
    product = {m: e for m, e in graph().items() if layer(m) != "testing"}
    assert circles(product) == []


def test_imports_only_go_down_and_the_test_hub_stands_apart() -> None:
    wrong = []
    for module, imported in graph().items():
        here = layer(module)
        for other in imported:
            there = layer(other)
            if (here == "testing") != (there == "testing"):
                wrong.append(f"{module} -> {other} (the test Hub and the product stand apart)")
            elif here and there and here != there and here != "testing":
                if here not in LAYERS or there not in LAYERS:
                    wrong.append(f"{module} -> {other}: a folder missing from the layer table")
                elif LAYERS[there] >= LAYERS[here]:
                    wrong.append(f"{module} -> {other} (runs back up a layer)")
    assert wrong == []


def test_the_check_sees_a_circle_and_an_import_back_up() -> None:
    """The two checks above can fail: a made-up graph with both defects is caught."""
    edges = {"hfsync.core.a": {"hfsync.engine.b"}, "hfsync.engine.b": {"hfsync.core.a"}}
    assert circles(edges) == [["hfsync.core.a", "hfsync.engine.b"]]
    assert LAYERS[layer("hfsync.engine.b") or ""] > LAYERS[layer("hfsync.core.a") or ""]


def test_no_product_module_past_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for name, path in modules().items()
        if layer(name) != "testing"
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
