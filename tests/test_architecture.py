"""Architecture checks that a change cannot skip.

- The core is Qt-free: every module outside app/ui imports with PySide6 and qasync blocked.
- Imports of `app.*` sit at module top (except in the thin cli modules and under
  `if TYPE_CHECKING:`), so the import graph below is the whole truth.
- No module uses another app module's private (`_name`) functions or constants.
- `lint-imports` keeps its contracts (Qt-free core, layers, acyclic siblings).
- The module-level import graph of `app` has no cycles.

The AST checks are pure and fast; each failure lists every offending `file:line`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grimp
import pytest

from tests.conftest import REPO

APP = REPO / "app"
CORE_PACKAGES = ("sf1606", "gateway", "models", "core", "dubu", "sandbox", "suggest")


def core_modules() -> list[str]:
    modules = []
    for package in CORE_PACKAGES:
        for path in sorted((REPO / "app" / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules.append(".".join(parts))
    return modules


def test_core_imports_without_qt():
    modules = core_modules()
    assert len(modules) > 10
    script = textwrap.dedent(
        f"""
        import importlib, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'):
                    raise ImportError('Qt is blocked in the core: ' + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        assert not any(m.startswith(('PySide6', 'app.ui')) for m in sys.modules)
        print('ok', len({modules!r}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")


# ---------------------------------------------------------------------------------------------
# AST model of app/**/*.py


@dataclass(frozen=True)
class Import:
    """One imported app name: `module` is what the statement imports from (absolute),
    `name` the imported attribute (None for `import app.x`), `bound` the local name."""

    path: Path
    line: int
    module: str
    name: str | None
    bound: str
    in_function: bool
    type_checking: bool

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


@cache
def _app_files() -> tuple[Path, ...]:
    return tuple(sorted(APP.rglob("*.py")))


@cache
def _app_modules() -> frozenset[str]:
    return frozenset(_module_name(p) for p in _app_files())


def _is_thin_cli(path: Path) -> bool:
    rel = path.relative_to(APP).as_posix()
    return (
        rel == "cli.py"
        or rel == "core/audit_cli.py"
        or (rel.count("/") == 1 and rel.endswith("/cli.py"))
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if not _is_package(path):
        package.pop()
    if node.level > 1:
        package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def _is_app(module: str) -> bool:
    return module == "app" or module.startswith("app.")


def _walk(
    node: ast.AST, *, in_function: bool = False, type_checking: bool = False
) -> Iterator[tuple[ast.AST, bool, bool]]:
    """Every node with (inside a function?, under `if TYPE_CHECKING:`?)."""
    for child in ast.iter_child_nodes(node):
        yield child, in_function, type_checking
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield sub, in_function, True
                yield from _walk(sub, in_function=in_function, type_checking=True)
            for sub in child.orelse:
                yield sub, in_function, type_checking
                yield from _walk(sub, in_function=in_function, type_checking=type_checking)
            continue
        nested = in_function or isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        )
        yield from _walk(child, in_function=nested, type_checking=type_checking)


@cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def imports_in(path: Path, tree: ast.Module) -> list[Import]:
    """Every `app` name that `tree` (the source of `path`) imports, relative imports resolved."""
    found: list[Import] = []
    for node, in_function, type_checking in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_app(alias.name):
                    bound = alias.asname or alias.name.split(".")[0]
                    found.append(
                        Import(
                            path, node.lineno, alias.name, None, bound, in_function, type_checking
                        )
                    )
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            if _is_app(module):
                for alias in node.names:
                    found.append(
                        Import(
                            path,
                            node.lineno,
                            module,
                            alias.name,
                            alias.asname or alias.name,
                            in_function,
                            type_checking,
                        )
                    )
    return found


@cache
def _imports(path: Path) -> tuple[Import, ...]:
    return tuple(imports_in(path, _parsed(path)))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _fail_on(offenders: list[str], title: str) -> None:
    """Fail with every offender on its own line, sorted by file and line."""
    if offenders:
        key = lambda o: (o.split(":")[0], int(o.split(":")[1]), o)  # noqa: E731
        listed = "\n  ".join(sorted(set(offenders), key=key))
        pytest.fail(f"{title} ({len(set(offenders))}):\n  {listed}", pytrace=False)


# ---------------------------------------------------------------------------------------------
# Imports at module top


def function_level_imports_in(path: Path, tree: ast.Module) -> list[str]:
    offenders = []
    for imp in imports_in(path, tree):
        if imp.in_function and not imp.type_checking:
            what = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
            offenders.append(f"{imp.where}: import of {what} inside a function")
    return offenders


def function_level_imports() -> list[str]:
    return [
        offender
        for path in _app_files()
        if not _is_thin_cli(path)
        for offender in function_level_imports_in(path, _parsed(path))
    ]


def test_app_imports_at_module_top():
    _fail_on(
        function_level_imports(),
        "app imports inside functions (move them to the module top; break a cycle by moving "
        "the shared thing down a layer)",
    )


# ---------------------------------------------------------------------------------------------
# No use of another module's private names

# The public API of named tuples starts with an underscore.
NAMEDTUPLE_API = frozenset({"_make", "_replace", "_asdict", "_fields", "_field_defaults"})


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def private_uses_in(path: Path, tree: ast.Module, modules: frozenset[str]) -> list[str]:
    """`from app.x import _y`, and `m._y` / `m.sub._y` / `Name._y` where `m` is an imported
    app module and `Name` a name imported from one (a module other than `path`'s own)."""
    own = _module_name(path)
    offenders = []
    bound: dict[str, str] = {}  # local name -> the app module (or module.name) it stands for
    for imp in imports_in(path, tree):
        if imp.name is None:
            # `import app.x.y` binds `app`; `import app.x.y as m` binds `m` to app.x.y
            aliased = imp.bound != imp.module.split(".")[0]
            bound[imp.bound] = imp.module if aliased else imp.bound
            continue
        bound[imp.bound] = f"{imp.module}.{imp.name}"
        if _private(imp.name) and imp.module != own:
            offenders.append(f"{imp.where}: imports private {imp.name} from {imp.module}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        if node.attr in NAMEDTUPLE_API:
            continue
        chain = _dotted(node.value)
        if not chain or chain[0] not in bound:
            continue
        target = ".".join([bound[chain[0]], *chain[1:]])
        owner = target if target in modules else target.rpartition(".")[0]
        if owner in modules and owner != own:
            offenders.append(
                f"{path.relative_to(REPO)}:{node.lineno}: uses private {target}.{node.attr}"
            )
    return offenders


def private_name_uses() -> list[str]:
    modules = _app_modules()
    return [o for path in _app_files() for o in private_uses_in(path, _parsed(path), modules)]


def test_no_private_names_of_other_modules():
    _fail_on(
        private_name_uses(),
        "private names used across modules (make them public API with a docstring, or move them)",
    )


PROBE = textwrap.dedent(
    """
    from typing import TYPE_CHECKING
    from app import paths
    from app.models.cache import Cache, _secret
    import app.core.sync
    if TYPE_CHECKING:
        from app.models.db import Database
    def f():
        from .runner import start_sandbox
        import app.core.outbox as ob
        return ob._retry, paths._base, app.core.sync._one, Cache._check, Cache.public
    class K:
        async def m(self):
            if TYPE_CHECKING:
                from app.hashing import x
            return self._own, _local._x
    """
)


def test_the_scanners_see_what_they_must():
    """The AST scanners themselves, on a probe: nested, relative and TYPE_CHECKING imports,
    private imports and private attributes through modules and imported names."""
    path = APP / "sandbox" / "probe.py"  # only its name is used
    tree = ast.parse(PROBE)
    imports = {(i.module, i.name, i.in_function, i.type_checking) for i in imports_in(path, tree)}
    assert ("app", "paths", False, False) in imports
    assert ("app.models.db", "Database", False, True) in imports
    assert ("app.sandbox.runner", "start_sandbox", True, False) in imports
    assert ("app.core.outbox", None, True, False) in imports
    assert ("app.hashing", "x", True, True) in imports
    assert ("app.core.sync", None, False, False) in imports
    lazy = function_level_imports_in(path, tree)
    assert [o.split(": ", 1)[1] for o in lazy] == [
        "import of app.sandbox.runner.start_sandbox inside a function",
        "import of app.core.outbox inside a function",
    ]
    modules = _app_modules() | {"app.sandbox.probe"}
    private = sorted(o.split(": ", 1)[1] for o in private_uses_in(path, tree, modules))
    assert private == [
        "imports private _secret from app.models.cache",
        "uses private app.core.outbox._retry",
        "uses private app.core.sync._one",
        "uses private app.models.cache.Cache._check",
        "uses private app.paths._base",
    ]
    assert _is_thin_cli(APP / "cli.py") and _is_thin_cli(APP / "core" / "cli.py")
    assert _is_thin_cli(APP / "core" / "audit_cli.py")
    assert not _is_thin_cli(APP / "core" / "sync.py")
    assert not _is_thin_cli(APP / "models" / "migrations" / "cli.py")


# ---------------------------------------------------------------------------------------------
# import-linter contracts


def test_lint_imports_contracts_hold():
    tool = Path(sys.executable).with_name("lint-imports")
    assert tool.exists(), f"lint-imports is not installed next to {sys.executable}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [str(tool), "--no-cache"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail("lint-imports failed:\n" + (proc.stdout + proc.stderr)[-4000:], pytrace=False)


# ---------------------------------------------------------------------------------------------
# No import cycles (module level)


def _function_level_edges() -> set[tuple[str, str, int]]:
    """(importer, imported module, line) of imports that run only when a function is called."""
    modules = _app_modules()
    lazy = set()
    for path in _app_files():
        for imp in _imports(path):
            if imp.in_function or imp.type_checking:
                target = imp.module
                if imp.name is not None and f"{imp.module}.{imp.name}" in modules:
                    target = f"{imp.module}.{imp.name}"
                lazy.add((_module_name(path), target, imp.line))
    return lazy


def module_level_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("app", exclude_type_checking_imports=True, cache_dir=None)
    lazy = _function_level_edges()
    edges: dict[str, set[str]] = {m: set() for m in graph.modules}
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            details = graph.get_import_details(importer=importer, imported=imported)
            if details and all((importer, imported, d["line_number"]) in lazy for d in details):
                continue  # only imported inside functions
            edges[importer].add(imported)
    return edges


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one module, or a module
    importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    result.append(sorted(component))
    return result


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete cycle through the component's first module (breadth-first)."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def import_cycles() -> list[str]:
    graph = module_level_graph()
    return [" -> ".join(_cycle_in(c, graph)) for c in strongly_connected(graph)]


def test_strongly_connected_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["e"]]
    assert _cycle_in(["a", "b", "c"], graph) == ["a", "b", "c", "a"]


def test_no_import_cycles_at_module_level():
    cycles = import_cycles()
    if cycles:
        pytest.fail("import cycles among app modules:\n  " + "\n  ".join(cycles), pytrace=False)
