"""Lazy package roots: a built dir's root of a package imports nothing until one of its names is read.

uvicorn's root imports its CLI (``uvicorn.main``: click, the reload supervisors); chat's ``server.py``
starts ``uvicorn.server.Server`` itself, and ``uvicorn.lifespan.on`` reads ``from uvicorn import
Config``. The build moves such a root to ``_eager_init.py`` beside it and writes ``LAZY_INIT_SOURCE``
in its place, with the names of ``LAZY_INITS`` bound eagerly. The package must then look exactly as if
its root had run at import, only later:

* a submodule imports on its own, as always;
* reading any other name runs the original root once, in the package's namespace;
* values a caller set on the package before that run stay set (the root's ``x = default`` would
  reset them);
* names the original root binds win over submodules of the same name: ``uvicorn.main`` is the click
  command the installed package exports, not the ``uvicorn.main`` module (``SHADOWED``, read from the
  original root by the build).

dashscope's roots are not lazy: the client reads the SDK's public ``dashscope.AsyncClient``, which
needs the whole root anyway (bailian/client.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

# package -> {its root (or a sub-root) relative to site-packages: the names that stay bound eagerly}
LAZY_INITS: dict[str, dict[str, str]] = {
    "uvicorn": {"uvicorn/__init__.py": "from uvicorn.config import Config"},
}
LAZY_INIT_SOURCE = '''"""Lazy package root written by `bailian-fc build` (lazy_roots.LAZY_INITS): importing {package} runs nothing.

The original root is ``_eager_init.py`` beside this file. A submodule imports on its own, as always;
reading any other name of {package} runs the original root once, in this module's namespace, so the
package then looks as if it had been imported eagerly: values set on it before stay set, and the
names the original binds over same-named submodules ({shadowed}) are the original's.
"""
# Every name of this stub starts with _lazyroot_: submodules bind their names here (uvicorn._types),
# and so does the original root when it runs.
import importlib as _lazyroot_importlib
import importlib.util as _lazyroot_util
import os as _lazyroot_os
import sys as _lazyroot_sys
import types as _lazyroot_types

{eager}
_lazyroot_shadowed = frozenset({shadowed!r})
_lazyroot_loading = _lazyroot_loaded = False


def _lazyroot_own(value):
    return isinstance(value, _lazyroot_types.ModuleType) and value.__name__.startswith(__name__ + ".")


class _LazyRoot(_lazyroot_types.ModuleType):
    def __setattr__(self, name, value):
        # The import system binds every submodule on its package; a name the original root binds to
        # something else waits for the root (reading it runs the root, which binds its own).
        if name in _lazyroot_shadowed and not (_lazyroot_loading or _lazyroot_loaded) and _lazyroot_own(value):
            return
        super().__setattr__(name, value)


def __getattr__(name):
    probe = name.startswith("__") and name not in ("__version__", "__all__")
    if probe or _lazyroot_loading or _lazyroot_loaded:
        raise AttributeError("module " + repr(__name__) + " has no attribute " + repr(name))
    if name not in _lazyroot_shadowed and _lazyroot_util.find_spec(__name__ + "." + name) is not None:
        return _lazyroot_importlib.import_module(__name__ + "." + name)  # a submodule: only it
    _lazyroot_run_original()
    namespace = globals()
    return namespace[name] if name in namespace else namespace["__getattr__"](name)


def _lazyroot_run_original():
    global _lazyroot_loading, _lazyroot_loaded
    namespace = globals()
    set_before = {{
        key: value
        for key, value in namespace.items()
        if key not in _lazyroot_names and not _lazyroot_own(value)
    }}
    _lazyroot_loading = True
    path = _lazyroot_os.path.join(_lazyroot_os.path.dirname(__file__), "_eager_init.py")
    try:
        with open(path, encoding="utf-8") as fh:
            exec(compile(fh.read(), path, "exec"), namespace)  # defines the original __getattr__ too
    finally:
        _lazyroot_loading, _lazyroot_loaded = False, True
    namespace.update(set_before)


_lazyroot_names = frozenset(globals()) | {{"_lazyroot_names"}}
_lazyroot_sys.modules[__name__].__class__ = _LazyRoot
'''


def write_lazy_inits(target: Path, inits: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Swap the LAZY_INITS package roots installed in ``target`` for LAZY_INIT_SOURCE; their paths."""
    written = []
    for roots in (LAZY_INITS if inits is None else inits).values():
        for rel, bound in roots.items():
            init = target / rel
            original = init.with_name("_eager_init.py")
            if not init.is_file() or original.exists():
                continue
            package = rel.removesuffix("/__init__.py").replace("/", ".")
            shadowed = shadowed_names(init, package)
            init.rename(original)
            source = LAZY_INIT_SOURCE.format(package=package, eager=bound, shadowed=shadowed)
            init.write_text(source, encoding="utf-8")
            written.append(rel)
    return written


def shadowed_names(init: Path, package: str) -> list[str]:
    """Names the root ``init`` binds that are also its submodules, bound to something else."""
    bound: set[str] = set()
    itself: set[str] = set()  # ``from package import sub``: the name is the submodule
    for node in _module_level(ast.parse(init.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.ImportFrom):
            own = (node.level == 1 and not node.module) or (node.level == 0 and node.module == package)
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if own and alias.asname in (None, alias.name):
                    itself.add(alias.name)
        elif isinstance(node, ast.Import):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return sorted(name for name in bound - itself if _is_submodule(init.parent, name))


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run at import: into if/try/with/for blocks, not into functions or classes."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_level(getattr(node, field, []))
        for handler in getattr(node, "handlers", []):
            yield from _module_level(handler.body)


def _is_submodule(directory: Path, name: str) -> bool:
    return (
        (directory / f"{name}.py").is_file()
        or (directory / name).is_dir()
        or any(directory.glob(f"{name}.*.so"))
    )
