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
        "forecast.figures",
        "forecast.folds",
        "forecast.workers",
        "forecast.rundir",
        "forecast.reports",
        "forecast.errors",
        "forecast.atomic",
    ):
        assert not edges.get(lower, set()) & upper, lower
    assert "forecast.config" not in edges.get("forecast.data", set())  # data sits below config
    assert "forecast.cli" not in edges.get("forecast.commands", set())
    # workers sit below every core that fans out or runs a child (folds, scoring's competitors, network's threads).
    cores = {"forecast.scoring", "forecast.network", "forecast.folds", "forecast.figures", "forecast.rollout"}
    assert not edges.get("forecast.workers", set()) & cores
    # the pure cores never read a run directory: the artifact catalog sits above them.
    for core in ("forecast.scoring", "forecast.rollout", "forecast.prepare", "forecast.figures", "forecast.folds"):
        assert "forecast.rundir" not in edges.get(core, set()), core


GROUND = {"__init__.py", "__main__.py", "errors.py", "atomic.py", "lock.py", "tables.py"}


def test_the_root_holds_only_the_ground_floor() -> None:
    assert {p.name for p in PACKAGE.glob("*.py")} == GROUND


def test_no_line_is_packed_to_fit_and_every_package_is_one() -> None:
    packed = [str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py") if "fmt: skip" in p.read_text()]
    assert packed == []  # split a module that grows past 300 lines instead
    folders = {p.parent for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    assert [str(f) for f in folders if not (f / "__init__.py").is_file()] == []


def test_no_file_imports_another_of_its_package_inside_a_function() -> None:
    """Such an import hides a cycle; function-local imports are for heavy modules only, and a file
    of the same package that is heavy says so (allowed below, with its reason)."""
    heavy = {
        ("forecast/network/inputs.py", "forecast.network.batches"),  # subclasses a Keras class at import
        ("forecast/commands/runs.py", "forecast.commands.future"),  # pandas and numpy: open_run stays light
    }
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = str(path.relative_to(PACKAGE.parent))
        own = _unit(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                local = isinstance(node, ast.ImportFrom) and node.module and _unit(node.module) == own
                if local and (relative, node.module) not in heavy:
                    found.append((relative, node.module))
    assert found == []


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
