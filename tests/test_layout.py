"""The layout DESIGN.md draws, held by the imports themselves: the domain imports nothing of
ours, connectors never import the service, each service wing imports only the wings its
package docstring allows, and no two modules import each other in a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scheduler", "connectors", "service")

# What each wing may import of ours (besides itself), as its package docstring says.
ALLOWED = {
    "scheduler": set(),
    "connectors": set(),
    "service.config": {"scheduler", "connectors"},
    "service.store": {"scheduler", "connectors"},
    "service.sync": {"scheduler", "connectors", "service.config", "service.store"},
    "service.views": {
        "scheduler",
        "connectors",
        "service.config",
        "service.store",
        "service.sync",
    },
    "service.daemon": {
        "scheduler",
        "connectors",
        "service.config",
        "service.store",
        "service.sync",
        "service.views",
    },
    "service.cli": {
        "scheduler",
        "connectors",
        "service.config",
        "service.store",
        "service.sync",
        "service.views",
        "service.daemon",
    },
}


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def imports_of(path: Path) -> set[str]:
    """Our modules `path` imports, at any depth (lazy imports inside functions count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


# The seam between the sync and the connectors' ports, at the top of service/: the wings
# (but config and store, which it uses) may use it. notices is the two forms of what the seam
# and the sync report (it imports only scheduler and connectors).
SOURCE_PATH = {"service.calendars", "service.planning", "service.kept", "service.notices"}


def wing(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "service" and len(parts) > 1 else parts[0]


GRAPH = {name: imports_of(path) for name, path in modules()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_what_its_wing_allows(module: str) -> None:
    own = wing(module)
    if own not in ALLOWED:
        pytest.skip(f"{module} is not in a wing yet")
    allowed = ALLOWED[own] | (
        SOURCE_PATH if own not in ("service.config", "service.store") else set()
    )
    bad = sorted(m for m in GRAPH[module] if wing(m) != own and wing(m) not in allowed)
    assert not bad, f"{module} ({own}) imports {bad}"


def test_every_wing_says_what_it_may_import() -> None:
    for name in ALLOWED:
        if not name.startswith("service."):
            continue
        init = ROOT / name.replace(".", "/") / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "May import" in doc, f"{init} does not say what the wing may import"


def test_no_import_circles() -> None:
    known = set(GRAPH)

    def resolve(target: str) -> str | None:
        # `from service.config import load` names a package; the edge goes to its __init__.
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    edges = {
        m: {t for i in deps if (t := resolve(i)) and t != m and not m.startswith(t + ".")}
        for m, deps in GRAPH.items()
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
