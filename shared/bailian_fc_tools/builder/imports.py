"""The eager import graph of a code dir: what an FC cold start would import, checked without importing.

``bailian-fc build`` fails and ``validate`` reports when an entry file's module-level imports need a
module the code dir lacks (an ImportError on FC's first call otherwise).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path


def _eager_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements executed when the module is imported (not deferred, not optional)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            found += _eager_imports(node.body) + _eager_imports(node.orelse)
        elif isinstance(node, ast.Try):
            caught = " ".join(ast.unparse(h.type) if h.type else "BaseException" for h in node.handlers)
            if not re.search(r"ImportError|ModuleNotFoundError|Exception", caught):
                found += _eager_imports(node.body)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            found += _eager_imports(node.body)
    return found


def _find(dirs: list[Path], dotted: str) -> Path | None:
    """The file defining module ``dotted`` (a namespace package counts as its directory)."""
    rel = Path(*dotted.split("."))
    for base in dirs:
        for candidate in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
            if candidate.is_file():
                return candidate
        if (base / rel).is_dir() or (base.is_dir() and any(base.glob(f"{rel.as_posix()}.*.so"))):
            return base / rel
    return None


def check_imports(code: Path, first_party: tuple[str, ...] = ("bailian_fc",)) -> list[str]:
    """Problems an import of each entry file would hit on FC, with the import chain that leads there."""
    dirs = [code / "python", code]
    local = tuple(p.stem for p in code.glob("*.py"))
    stdlib = set(sys.stdlib_module_names)
    queue: list[tuple[str, tuple[str, ...]]] = [(name, (name,)) for name in local]
    seen, missing, problems = set[str](), set[str](), list[str]()
    while queue:
        module, chain = queue.pop(0)
        if module in seen or any(module.startswith(m + ".") for m in missing):
            continue
        seen.add(module)
        path = _find(dirs, module)
        if path is None:
            missing.add(module)
            problems.append(f"module {module} does not exist (imported via {' -> '.join(chain[:-1])})")
            continue
        if path.is_dir() or path.suffix != ".py":
            continue
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _eager_imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                parent = ".".join([*base, node.module] if node.module else base)
                targets = [parent] + [
                    f"{parent}.{a.name}" for a in node.names if _find(dirs, f"{parent}.{a.name}") is not None
                ]
            for target in targets:
                top = target.split(".")[0]
                if top in stdlib or target in seen:
                    continue
                if top in first_party or top in local:
                    parts = target.split(".")  # importing a.b.c runs a, a.b and a.b.c
                    queue += [
                        (".".join(parts[:i]), (*chain, ".".join(parts[:i]))) for i in range(1, len(parts) + 1)
                    ]
                elif top not in missing and _find(dirs, top) is None:
                    missing.add(top)
                    problems.append(
                        f"third-party module {top!r} is not in the code dir but "
                        f"{' -> '.join(chain)} imports it at module level"
                    )
    return problems
