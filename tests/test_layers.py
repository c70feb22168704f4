"""The package's shape: imports point one way, down (no package-level cycle), modules stay
small, and `import forecast` (the Python API) loads neither TensorFlow nor pandas."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "forecast"
MAX_LINES = 300


def _unit(module: str) -> str:
    return ".".join(module.split(".")[:2])  # forecast.pipeline.stages -> forecast.pipeline


def import_graph() -> dict[str, set[str]]:
    """Edges between forecast's first-level packages and modules, from every import in every
    file (function-local ones too); forecast/__init__.py, the API's lazy front, is left out."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts).removesuffix(".__init__")
        if module == "forecast":
            continue
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])]
                    )
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                if target.startswith("forecast.") and _unit(target) != _unit(module):
                    edges.setdefault(_unit(module), set()).add(_unit(target))
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def test_no_package_level_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_the_layers_point_down() -> None:
    edges = import_graph()
    # The ground floor and the cores never reach up to the layers that run them.
    upper = {"forecast.cli", "forecast.commands", "forecast.pipeline"}
    for lower in (
        "forecast.config",
        "forecast.data",
        "forecast.prepare",
        "forecast.network",
        "forecast.scoring",
        "forecast.rollout",
        "forecast.rundir",
        "forecast.reports",
        "forecast.errors",
        "forecast.atomic",
    ):
        assert not edges.get(lower, set()) & upper, lower
    assert "forecast.config" not in edges.get("forecast.data", set())  # data sits below config
    assert "forecast.cli" not in edges.get("forecast.commands", set())


def test_no_module_over_300_lines() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}  # fmt: skip
    assert long == {}


def test_import_forecast_loads_neither_tensorflow_nor_pandas() -> None:
    code = (
        "import sys, forecast; "
        "assert callable(forecast.open_run) and callable(forecast.load_config); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
