"""No import cycles among rnnkit's modules (issue 11).

Counted: every `import` / `from ... import` of an rnnkit module, at module level AND inside
functions. A function-level import defers the cycle to run time but is a dependency all the
same (it was how the three cycles through export/quantize.py hid), so it counts. Importing
`a.b.c` also runs the packages `a` and `a.b`, so those count too, except a module's own parent
packages (Python has them initialised first; a package's `__init__` importing its children is
not a cycle). `if TYPE_CHECKING:` blocks are skipped: they never run. The task registry imports
each task's spec module by the name in `rnnkit.tasks.REGISTERED`: those names count as imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rnnkit
from rnnkit.tasks import REGISTERED

ROOT = Path(rnnkit.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("rnnkit",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append(target)
            names.extend(f"{target}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for target in _imported_names(ast.parse(path.read_text()), name, path.name == "__init__.py"):
            parts = target.split(".")
            for i in range(1, len(parts) + 1):  # the module and the packages it runs first
                dep = ".".join(parts[:i])
                if dep in modules and dep != name and not name.startswith(dep + "."):
                    deps.add(dep)
        graph[name] = deps
    graph["rnnkit.tasks"] |= set(REGISTERED.values())  # imported by name, on first lookup
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return components


def test_the_graph_sees_function_level_imports():
    graph = import_graph()
    # cli/export.py imports the quantizer inside its handler only
    assert "rnnkit.export.quantize" in graph["rnnkit.cli.export"]
    assert "rnnkit.train.int8" in graph["rnnkit.text.task"]
    assert "rnnkit.forecast.spec" in graph["rnnkit.tasks"]  # the registry's table of spec modules


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_rnnkit():
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles among rnnkit modules: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_only_the_registry_reaches_a_task_s_spec_module():
    """A task's spec.py is the one module of its package that imports the layers above it
    (export, serve); nothing but the registry imports it, so the rest of the package stays below."""
    graph = import_graph()
    for spec in REGISTERED.values():
        users = sorted(m for m, deps in graph.items() if spec in deps)
        assert users == ["rnnkit.tasks"], f"{spec} is imported by {users}"
