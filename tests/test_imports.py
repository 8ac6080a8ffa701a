"""The package's import graph: no cycles, and no imports hidden inside functions."""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import chatroute

SRC = Path(chatroute.__file__).parent

#: Imports allowed inside a function body: (module, what it imports) and why.
LAZY = {
    ("chatroute._cli_config", "chatroute.simulate"): "check, schema and init start without the simulator",
    ("chatroute._cli_config", "chatroute.simulate.describe"): "the simulator loads for scenarios only",
    ("chatroute._cli_simulate", "chatroute.simulate"): "check, schema and init start without the simulator",
    ("chatroute._cli_simulate", "chatroute.simulate.plot"): "matplotlib, an optional extra, loads for --plot",
    ("chatroute._cli_simulate", "rich.console"): "the progress bar loads rich only on a long run",
    ("chatroute._cli_simulate", "rich.progress"): "the progress bar loads rich only on a long run",
    ("chatroute.config", "chatroute._config_load"): "cattrs loads on first use: import chatroute stays cheap",
    ("chatroute.config", "chatroute.serialize"): "cattrs loads on first use: import chatroute stays cheap",
    ("chatroute.geo", "geoip2.database"): "geoip2 loads only when a MaxMind database is opened",
    ("chatroute.geo", "geoip2.errors"): "geoip2 loads only when a MaxMind database is opened",
    ("chatroute.geo", "pycountry"): "the ISO 3166 tables load only when a static table is built",
    ("chatroute._config_problems", "pycountry"): "the ISO 3166 tables load only when a config names regions",
    ("chatroute.simulate.plot", "matplotlib"): "matplotlib is an optional extra, loaded for a plot",
    ("chatroute.simulate.plot", "matplotlib.pyplot"): "matplotlib is an optional extra, loaded for a plot",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = ["chatroute", *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(node: ast.Import | ast.ImportFrom, module: str) -> Iterator[str]:
    """The modules an import statement loads (a package's submodules included)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = str(node.module)
    submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in MODULES]
    if len(submodules) < len(node.names):  # names from the module itself
        yield source
    yield from submodules


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports run when the module loads, and those under ``if TYPE_CHECKING:`` too."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for part in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                yield from _module_level(part)


def _in_functions(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield node


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {m for node in _module_level(tree.body) for m in _imported(node, module)}
        graph[module] = {m for m in found if m in MODULES and m != module}
    return graph


def test_the_import_graph_has_no_cycle() -> None:
    """No chatroute module imports, at load time or for type checking, one that imports it back."""
    try:
        order = list(graphlib.TopologicalSorter(_graph()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert set(order) == set(MODULES)


def test_the_cycle_finder_sees_a_cycle() -> None:
    """The check above fails on a graph with a cycle through a type-checking import."""
    graph = _graph()
    graph["chatroute.model"].add("chatroute.strategies")  # as model once imported Strategy
    with pytest.raises(graphlib.CycleError) as caught:
        list(graphlib.TopologicalSorter(graph).static_order())
    assert "chatroute.model" in caught.value.args[1]


def test_no_import_hides_inside_a_function() -> None:
    """Every import inside a function is a known lazy load (an optional extra, or a heavy part)."""
    found = set()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found |= {(module, m) for node in _in_functions(tree) for m in _imported(node, module)}
    assert found - set(LAZY) == set()
    assert set(LAZY) - found == set(), "an allowed lazy import is gone: drop it from LAZY"
