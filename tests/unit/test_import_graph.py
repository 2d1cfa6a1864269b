"""The import graph of the project: no cycle between its modules, and the layers point one way.

Every module of ``domain/``, ``storage/``, ``dialogs/`` and ``bot/`` is read with ``ast`` (nothing is
imported): every static import counts, at the top of the module, inside a function (a deferred
import is still a dependency) and inside an ``if TYPE_CHECKING:`` block (a cycle that only the type
checker sees is still a cycle of the design). An import names the module it loads: ``from a.b import
c`` depends on ``a.b.c`` when that is a module of the project, else on ``a.b``; the parent packages a
module's import runs first are not counted (``__init__`` files re-export, they do not decide).

The layers (``../shared/design/ARCHITECTURE.md``): ``bot → dialogs → domain`` and
``bot → storage → domain``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "storage", "dialogs", "bot")

# What each package must not import.
FORBIDDEN: dict[str, frozenset[str]] = {
    "domain": frozenset({"storage", "dialogs", "bot"}),
    "storage": frozenset({"dialogs", "bot"}),
    "dialogs": frozenset({"storage", "bot"}),
}

# Cycles known today that another item of issue 14 removes; each is one strongly connected group
# of modules, exactly. A new cycle, or a module joining one of these, fails the test; so does an
# entry whose cycle is gone (remove it then, so that it cannot come back unnoticed).
ALLOWED: frozenset[frozenset[str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    return modules


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names one import statement loads (``from x import y`` gives ``x`` and ``x.y``)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        yield source
        for alias in node.names:
            yield f"{source}.{alias.name}"


def dependencies(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = list(_imported(node, module, is_package))
            if isinstance(node, ast.ImportFrom):
                source, members = names[0], names[1:]
                found = [m for m in members if m in modules]
                if found:
                    targets.update(found)
                    if len(found) < len(members) and source in modules:
                        targets.add(source)
                elif source in modules:
                    targets.add(source)
            else:
                targets.update(name for name in names if name in modules)
        targets.discard(module)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.add(frozenset(group))
    return found


def _describe(group: frozenset[str], graph: dict[str, set[str]]) -> str:
    edges = sorted(f"{a} → {b}" for a in group for b in graph[a] if b in group)
    return "{" + ", ".join(sorted(group)) + "}: " + "; ".join(edges)


def test_the_walk_sees_every_package_and_its_imports() -> None:
    modules = project_modules()
    graph = dependencies(modules)
    for package in PACKAGES:
        assert package in modules
    # Spot checks that the walk resolves absolute, relative, deferred and submodule imports.
    assert "domain.catalogue" in graph["domain.rules"]
    assert "domain.models" in graph["domain.catalogue"]
    assert any(target.startswith("domain.parsing") for target in graph["dialogs.form"])
    assert "domain" in graph["storage.mapping"] or any(
        target.startswith("domain.") for target in graph["storage.mapping"]
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}


def test_no_import_cycle_between_modules_of_the_project() -> None:
    graph = dependencies(project_modules())
    found = cycles(graph)
    new = sorted(_describe(group, graph) for group in found - ALLOWED)
    assert not new, "import cycles:\n" + "\n".join(new)
    gone = sorted(", ".join(sorted(group)) for group in ALLOWED - found)
    assert not gone, "these allowed cycles are gone, remove them from ALLOWED:\n" + "\n".join(gone)


def test_each_layer_imports_only_what_it_may() -> None:
    graph = dependencies(project_modules())
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in graph.items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], frozenset())
    )
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)
