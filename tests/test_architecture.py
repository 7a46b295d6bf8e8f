"""The package's rooms and the arrows allowed between them (docs/architecture.md), checked on the source.

The import graph is read with ``ast`` from every module of ``shared/bailian_fc`` (and, for the one rule
about the tools, ``shared/bailian_fc_tools``), function-local imports included; only imports under
``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "bailian_fc"
TOOLS = PACKAGE.parent / "bailian_fc_tools"

# Each room and the rooms it may import. A room is a sub-package or a root module.
KERNEL = {"ids", "jsonsafe", "jwt_hs256", "settings", "errors", "logs", "retention"}
CORE = KERNEL | {"store", "clock", "auth", "cache"}
DOMAIN = CORE | {"bailian", "catalogue", "venue", "jobs", "runlog"}
EDGE = CORE | {"bailian", "http"}
FUNCTION = DOMAIN | {"http"}
ALLOWED: dict[str, set[str]] = {
    **{room: KERNEL for room in KERNEL},
    "store": {"ids", "retention", "jsonsafe"},  # stored JSON goes through the one bounded parser
    "clock": KERNEL | {"store"},
    "auth": KERNEL,
    "cache": KERNEL | {"store"},
    "bailian": KERNEL,
    # An app module reads its context from the venue data (catalogue/apps/, catalogue/customer.py).
    "catalogue": KERNEL | {"venue"},
    "venue": CORE,
    "jobs": CORE,
    "runlog": CORE | {"catalogue"},
    "http": EDGE,
    "chat": FUNCTION,
    "apps": FUNCTION,
    "admin": FUNCTION,
    # The scheduled jobs (the timer function, deployed as `prewarm`): App2's prewarm fills the cache
    # through the apps' own service; housekeeping sweeps conversations with the chat room's sweeper.
    "scheduled": FUNCTION | {"apps", "chat"},
}
# The tools package: never shipped (a build copies bailian_fc only), may import any room, and no
# module of bailian_fc imports it. Its sub-rooms (a sub-package, or a root module):
TOOL_ROOMS = {"cli", "builder", "deploy", "local", "db", "emulator", "demo", "export"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def imported_modules(path: Path, modules: set[str], root: Path = PACKAGE) -> set[str]:
    """Every package module ``path`` imports (resolved to the deepest module that exists)."""
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith(("bailian_fc.", "bailian_fc_tools")) and target != name:
                found.add(target)
    return found


def room(module: str) -> str:
    return module.split(".")[1]


def room_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        here = module_name(path)
        if here == "bailian_fc":
            continue
        for target in imported_modules(path, modules):
            if target.startswith("bailian_fc.") and room(target) != room(here):
                graph[room(here)].add(room(target))
    return graph


GRAPH = room_graph()


def test_every_room_is_declared():
    rooms = {room(module_name(p)) for p in PACKAGE.rglob("*.py") if module_name(p) != "bailian_fc"}
    assert rooms == set(ALLOWED), "declare the new room and its arrows in ALLOWED and docs/architecture.md"


def test_every_tool_room_is_declared():
    rooms = {
        room(module_name(p, TOOLS)) for p in TOOLS.rglob("*.py") if p.parent != TOOLS or p.stem != "__init__"
    }
    assert rooms == TOOL_ROOMS, "declare the new tools sub-room in TOOL_ROOMS and docs/architecture.md"


@pytest.mark.parametrize("source", sorted(ALLOWED))
def test_a_room_imports_only_the_rooms_it_may(source):
    assert GRAPH[source] <= ALLOWED[source], f"{source} -> {sorted(GRAPH[source] - ALLOWED[source])}"


def test_nothing_shipped_imports_the_tools():
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths} | {module_name(p, TOOLS) for p in TOOLS.rglob("*.py")}
    reaching = {
        module_name(path): sorted(
            t for t in imported_modules(path, modules) if t.startswith("bailian_fc_tools")
        )
        for path in paths
    }
    assert {source: targets for source, targets in reaching.items() if targets} == {}


def test_the_checker_sees_an_import_of_the_tools(tmp_path):
    """The rule above would pass vacuously if the checker dropped imports of the tools package."""
    root = tmp_path / "bailian_fc"
    root.mkdir()
    module = root / "x.py"
    module.write_text("def f():\n    from bailian_fc_tools.builder import build\n")
    modules = {"bailian_fc.x", "bailian_fc_tools.builder", "bailian_fc_tools.builder.build"}
    assert "bailian_fc_tools.builder.build" in imported_modules(module, modules, root)


def test_no_circle_between_rooms():
    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            for nxt in GRAPH.get(here, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    circles = sorted((a, b) for a, targets in GRAPH.items() for b in targets if reaches(b, a))
    assert circles == []


def test_the_checker_sees_function_local_imports(tmp_path):
    """The graph would miss a lazy import inside a function if it only read module-level imports."""
    root = tmp_path / "bailian_fc"
    root.mkdir()
    module = root / "x.py"
    module.write_text(
        "import typing\nif typing.TYPE_CHECKING:\n    from .chat import function\n"
        "def f():\n    from .admin import routes\n"
    )
    modules = {"bailian_fc.x", "bailian_fc.admin", "bailian_fc.admin.routes", "bailian_fc.chat.function"}
    found = imported_modules(module, modules, root)
    assert "bailian_fc.admin.routes" in found and "bailian_fc.chat.function" not in found
