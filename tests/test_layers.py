"""The package layering of ../shared/DESIGN.md, enforced: every import arrow points inward.

Every `import` counts, at the top of a module or inside a function (a circle hidden in a function is
still a circle), and so do imports under `if TYPE_CHECKING:`. The table below is DESIGN.md's
dependency table; change both together.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

DOMAIN = {"core", "io", "metrics", "rank", "store", "engine"}
# package -> the packages it may import (besides itself and the standard library / third parties)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "io": {"core"},
    "plugins": {"core"},
    "sandbox": {"core"},
    "metrics": {"core"},
    "rank": {"core"},
    "store": {"core"},
    "models": {"core", "io"},
    "tasks": {"core", "io", "metrics", "sandbox"},
    "engine": {"core", "io", "models", "tasks", "metrics", "sandbox", "store", "plugins"},
    "judge": DOMAIN | {"models"},
    "safety": DOMAIN | {"tasks", "models"},
    "transparency": DOMAIN - {"engine"},
    "trends": DOMAIN - {"engine"},
    "arena": DOMAIN | {"models"},
    "contamination": DOMAIN,
    "report": {"core", "io"},
    "api": {
        "core",
        "io",
        "plugins",
        "models",
        "tasks",
        "metrics",
        "sandbox",
        "store",
        "engine",
        "rank",
        "judge",
        "safety",
        "transparency",
        "trends",
        "arena",
        "contamination",
        "report",
    },
    "web": {"api", "core"},
    "cli": {"api", "core", "web"},  # `assay serve` starts the dashboard
    "": {"api", "plugins", "cli"},  # assay/__init__.py and assay/__main__.py
}


def modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (SRC / "assay").rglob("*.py")
    }


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__main__" else ""


def imported(module: str, path: Path) -> set[str]:
    """Every assay module this module names in an import statement, wherever it stands."""
    pkg = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join([*head, base] if base else head)
            out.update([base, *(f"{base}.{a.name}" for a in node.names)])
    return {n for n in out if n == "assay" or n.startswith("assay.")}


def violations() -> list[str]:
    mods = modules()
    found = []
    for module, path in sorted(mods.items()):
        mine = package_of(module)
        for name in sorted(imported(module, path)):
            while name not in mods and "." in name:
                name = name.rpartition(".")[0]  # `from assay.x import Name` names a module's member
            theirs = package_of(name)
            if name == "assay" or theirs == mine:
                continue
            if theirs not in ALLOWED[mine]:
                found.append(f"{module} imports {name} ({mine or 'assay'} -> {theirs})")
    return found


def test_every_package_is_in_the_table() -> None:
    packages = {package_of(m) for m in modules()}
    assert packages <= set(ALLOWED), sorted(packages - set(ALLOWED))


def test_imports_point_inward() -> None:
    assert violations() == []


def test_no_import_cycles_between_modules() -> None:
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        for name in imported(module, path):
            while name not in mods and "." in name:
                name = name.rpartition(".")[0]
            parent_init = mods[name].name == "__init__.py" and module.startswith(name + ".")
            if name != module and not parent_init:
                graph[module].add(name)
    cycles = strongly_connected(graph)
    assert cycles == [], "\n".join(", ".join(c) for c in cycles)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found
