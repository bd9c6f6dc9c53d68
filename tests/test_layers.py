"""Imports go only downward through the layers in STYLE.md ("Layout and seams"), and no modules import each other.

Layers, lowest first:

0. ``schemas.*``: pure schemas and document builders.
1. the pure parts of the engine: signatures (``federation.sig.*``), keys, multikey,
   integrity, retry, vocab, errors, sanitize, states and policy.
2. the engine's storage: ``federation.store`` and its models and migrations.
3. the package ``federation`` (its namespace is the engine's public API) and every other ``federation.*``
   module (the engine's I/O: http, fetch, inbox, outbox, delivery, claims, queue, hosts,
   workers, context, listeners, handlers, proofs, provenance).
4. ``node`` and everything in it (the newsroom application), which registers what activities mean to it.

A module may import modules of its own layer or lower. The checker reads source with `ast` (nothing is imported),
so it also sees imports inside functions and under ``if TYPE_CHECKING``, relative imports, and
``importlib.import_module("...")`` with a literal name. Besides the layers, no import circle is allowed between
modules, even within one layer (`import_cycles`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schemas", "federation", "node")
FIRST_PARTY = (*PACKAGES, "tests")

# The package `federation` itself is not pure: its namespace is the engine's public API, I/O included (layer 3).
PURE_FEDERATION = frozenset(
    f"federation.{name}"
    for name in ("keys", "retry", "vocab", "errors", "sanitize", "states", "multikey", "integrity", "policy")
)

LAYER_NAMES = {
    0: "schemas (pure)",
    1: "federation pure parts",
    2: "federation.store (the engine's storage)",
    3: "federation I/O",
    4: "node application",
}

# Reading the environment or a config file is the application's job (node/config.py); federation/ and schemas/
# get small frozen policies passed in instead.
_ENV_ATTRS = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
_CONFIG_MODULES = frozenset({"tomllib", "tomli", "configparser", "dotenv"})


def layer_of(module: str) -> int | None:
    """The layer of a first-party dotted module name; None for third-party and standard-library modules."""
    top = module.split(".", 1)[0]
    if top == "schemas":
        return 0
    if top == "federation":
        if module in PURE_FEDERATION or module == "federation.sig" or module.startswith("federation.sig."):
            return 1
        if module == "federation.store" or module.startswith("federation.store."):
            return 2
        return 3
    if top == "node":
        return 4
    return None


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to an absolute dotted name."""

    target: str
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    """Dotted module name of a file under root (a package's __init__.py is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = _package_of(module, is_package).split(".")
    if level - 1 > len(base) - 1:
        raise ValueError(f"{module}: relative import beyond the top-level package")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def collect_imports(source: str, module: str, *, is_package: bool = False,
                    known_modules: frozenset[str] = frozenset()) -> list[Import]:
    """Every module the source imports, anywhere in the file, resolved against `module`.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a known module (``from federation
    import rfc9421``), otherwise as importing ``pkg``.
    """
    tree = ast.parse(source)
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                found.append(Import(candidate if candidate in known_modules else base, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append(Import(node.args[0].value, node.lineno))
    return found


def layer_violations(source: str, module: str, *, is_package: bool = False,
                     known_modules: frozenset[str] = frozenset(), filename: str = "<source>") -> list[str]:
    """Human-readable lines for every import in `source` that goes up a layer (or into tests/)."""
    own = layer_of(module)
    assert own is not None, f"{module} is not in a layered package"
    problems = []
    for imp in collect_imports(source, module, is_package=is_package, known_modules=known_modules):
        top = imp.target.split(".", 1)[0]
        if top == "tests":
            problems.append(f"{filename}:{imp.line}: {module} imports test code {imp.target}")
            continue
        target_layer = layer_of(imp.target)
        if target_layer is not None and target_layer > own:
            problems.append(
                f"{filename}:{imp.line}: {module} (layer {own}, {LAYER_NAMES[own]}) imports {imp.target} "
                f"(layer {target_layer}, {LAYER_NAMES[target_layer]}): imports must only go downward"
            )
    return problems


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """module -> the first-party modules it imports, from {module: (source, is_package)}.

    An import of a name that is not itself a module counts as an import of the module that holds it; imports of
    modules outside `sources` (third-party, standard library) are left out.
    """
    known = frozenset(sources)
    graph: dict[str, set[str]] = {}
    for module, (source, is_package) in sources.items():
        targets = {imp.target for imp in collect_imports(source, module, is_package=is_package, known_modules=known)}
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle in `graph`: its strongly connected components of more than one module, each sorted.

    Tarjan's algorithm, iterative so a deep graph cannot hit the recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
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
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return sorted(cycles)


def _cycle_path(graph: dict[str, set[str]], component: list[str]) -> str:
    """One concrete circle inside a strongly connected component, as `a -> b -> a`, for the failure message."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    node = start
    while True:
        nxt = sorted(graph[node] & members)
        if start in nxt and len(path) > 1:
            return " -> ".join([*path, start])
        unseen = [n for n in nxt if n not in seen]
        if not unseen:
            return " -> ".join([*path, nxt[0]])
        node = unseen[0]
        path.append(node)
        seen.add(node)


def env_or_config_reads(source: str, filename: str = "<source>") -> list[str]:
    """Lines where the source reads environment variables or a config file format."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in _ENV_ATTRS and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            problems.append(f"{filename}:{node.lineno}: uses os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in _ENV_ATTRS:
                    problems.append(f"{filename}:{node.lineno}: imports os.{alias.name}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".", 1)[0] in _CONFIG_MODULES:
                    problems.append(f"{filename}:{node.lineno}: imports {name}")
    return problems


def _source_files(*packages: str) -> list[Path]:
    files = sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts)
    assert files, f"no Python files found under {packages} (is ROOT={ROOT} right?)"
    return files


def _known_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in _source_files(*PACKAGES))


def test_layers__no_upward_imports():
    """No module in schemas/, federation/ or node/ imports a module of a higher layer."""
    known = _known_modules()
    problems = []
    for path in _source_files(*PACKAGES):
        problems += layer_violations(
            path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py",
            known_modules=known, filename=str(path.relative_to(ROOT)),
        )
    assert not problems, "upward imports (see STYLE.md, 'Layout and seams'):\n" + "\n".join(problems)


def _project_sources() -> dict[str, tuple[str, bool]]:
    return {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for p in _source_files(*PACKAGES)}


def test_layers__no_import_circles():
    """No two modules import each other, directly or around a longer circle, in any layer."""
    graph = import_graph(_project_sources())
    cycles = import_cycles(graph)
    assert not cycles, "import circles (move the shared piece down, or pass a function in):\n" + "\n".join(
        f"{', '.join(c)}: {_cycle_path(graph, c)}" for c in cycles)


def test_layers__federation_imports_nothing_from_node():
    """The engine never knows the application: no module under federation/ imports node, even lazily."""
    known = _known_modules()
    problems = []
    for path in _source_files("federation"):
        for imp in collect_imports(path.read_text(encoding="utf-8"), module_name(path),
                                   is_package=path.name == "__init__.py", known_modules=known):
            if imp.target.split(".", 1)[0] in ("node", "tests"):
                problems.append(f"{path.relative_to(ROOT)}:{imp.line}: imports {imp.target}")
    assert not problems, "federation/ must not import the application:\n" + "\n".join(problems)


def test_import_cycles__finds_a_synthetic_pair_and_a_longer_circle():
    """The circle checker sees two modules importing each other and a three-module ring, not a plain chain."""
    sources = {
        "node.a": ("from node import b\n", False),
        "node.b": ("def f():\n    from .a import x\n", False),
        "node.c": ("import node.d\n", False),
        "node.d": ("from node.e import thing\n", False),
        "node.e": ("import node.c\n", False),
        "node.f": ("import node.a\nimport json\n", False),
        "node": ("", True),
    }
    graph = import_graph(sources)
    assert graph["node.b"] == {"node.a"} and graph["node.f"] == {"node.a"}
    assert import_cycles(graph) == [["node.a", "node.b"], ["node.c", "node.d", "node.e"]]
    assert _cycle_path(graph, ["node.a", "node.b"]) == "node.a -> node.b -> node.a"
    assert _cycle_path(graph, ["node.c", "node.d", "node.e"]) == "node.c -> node.d -> node.e -> node.c"


def test_import_cycles__none_in_a_chain():
    """A straight chain of imports has no circle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": set()}
    assert import_cycles(graph) == []


def test_layers__schemas_import_nothing_from_federation_or_node():
    """schemas/ is the bottom layer: it imports nothing from federation/ or node/."""
    known = _known_modules()
    problems = []
    for path in _source_files("schemas"):
        for imp in collect_imports(path.read_text(encoding="utf-8"), module_name(path),
                                   is_package=path.name == "__init__.py", known_modules=known):
            if imp.target.split(".", 1)[0] in ("federation", "node", "tests"):
                problems.append(f"{path.relative_to(ROOT)}:{imp.line}: imports {imp.target}")
    assert not problems, "schemas/ must stay pure:\n" + "\n".join(problems)


def test_layers__node_package_init_imports_no_first_party_code():
    """node/__init__.py imports nothing first-party: every `import node.x` runs it, so it must stay empty."""
    imports = collect_imports((ROOT / "node" / "__init__.py").read_text(encoding="utf-8"), "node",
                              is_package=True, known_modules=_known_modules())
    bad = [f"line {i.line}: {i.target}" for i in imports if i.target.split(".", 1)[0] in FIRST_PARTY]
    assert not bad, "node/__init__.py would drag the whole application into every import:\n" + "\n".join(bad)


CLI_MODULE_MAX_LINES = 300


def test_layers__cli_is_one_small_module_per_command_group():
    """The command line stays readable: each command group in its own module, none over about 300 lines."""
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "node" / "cli").glob("*.py")}
    assert {"common.py", "setup.py", "stories.py", "network.py", "wire.py", "translations.py"} <= set(sizes)
    too_long = {name: n for name, n in sizes.items() if n > CLI_MODULE_MAX_LINES}
    assert not too_long, f"split these command modules (over {CLI_MODULE_MAX_LINES} lines): {too_long}"


def test_layers__federation_and_schemas_never_read_env_or_config():
    """federation/ and schemas/ never read environment variables or config files; node/ passes policies in."""
    problems = []
    for path in _source_files("federation", "schemas"):
        problems += env_or_config_reads(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, "federation/ and schemas/ must not read env or config:\n" + "\n".join(problems)


def test_layers__every_module_has_a_layer():
    """Every walked file maps to a layer, so a new package cannot slip past the checker."""
    unmapped = [m for m in sorted(_known_modules()) if layer_of(m) is None]
    assert not unmapped, f"modules with no layer: {unmapped}"


@pytest.mark.parametrize(("module", "layer"), [
    ("schemas.config", 0),
    ("federation", 3),
    ("federation.sig", 1),
    ("federation.sig.cavage", 1),
    ("federation.sig.rfc9421", 1),
    ("federation.states", 1),
    ("federation.store", 2),
    ("federation.store.models", 2),
    ("federation.store.migrations.0001_initial", 2),
    ("federation.storex", 3),
    ("federation.signatures", 3),
    ("schemas.languages", 0),
    ("federation.inbox", 3),
    ("federation.listeners", 3),
    ("federation.handlers.follows", 3),
    ("federation.webfinger", 3),
    ("node", 4),
    ("node.config", 4),
    ("node.web.api", 4),
    ("node.stories.routes", 4),
    ("node.stories.models", 4),
    ("aiohttp", None),
])
def test_layer_of__maps_modules_to_layers(module, layer):
    """layer_of puts each module in the layer STYLE.md names for it."""
    assert layer_of(module) == layer


def test_layer_violations__catches_an_upward_absolute_import():
    """A synthetic pure-federation module importing the application is reported with file, line and layers."""
    source = "import json\nfrom schemas.config import ConfigSchema\nfrom node.config import load_config\n"
    problems = layer_violations(source, "federation.retry", filename="federation/retry.py")
    assert len(problems) == 1
    assert problems[0].startswith("federation/retry.py:3: federation.retry (layer 1")
    assert "imports node.config (layer 4" in problems[0]


def test_layer_violations__catches_an_upward_import_inside_a_function():
    """An import hidden in a function body still counts."""
    source = "def f():\n    if True:\n        import federation.http\n    return 1\n"
    problems = layer_violations(source, "federation.store.models")
    assert len(problems) == 1 and "imports federation.http (layer 3" in problems[0]


def test_layer_violations__catches_relative_imports():
    """Relative imports are resolved against the module's package before the check."""
    known = frozenset({"federation", "federation.http", "federation.states", "federation.handlers",
                       "federation.handlers.base", "federation.sig", "federation.sig.common"})
    # from a plain module: `.http` is federation.http
    assert layer_violations("from .http import HttpClient\n", "federation.keys", known_modules=known)
    # `from . import http` names the submodule
    assert layer_violations("from . import http\n", "federation.keys", known_modules=known)
    # from a package __init__: `.` is the package itself
    assert not layer_violations("from .common import x\n", "federation.sig", is_package=True, known_modules=known)
    assert layer_violations("from ..handlers import base\n", "federation.sig", is_package=True,
                            known_modules=known)
    # two dots climb out of federation.handlers into federation
    assert not layer_violations("from ..states import S\n", "federation.handlers.base", known_modules=known)
    assert layer_violations("from .. import http\n", "federation.store.models",
                            known_modules=known | {"federation.store", "federation.store.models"})


def test_collect_imports__refuses_a_relative_import_beyond_the_top_package():
    """A relative import that climbs out of the top-level package is an error, as in Python itself."""
    with pytest.raises(ValueError, match="beyond the top-level package"):
        collect_imports("from ...node import app\n", "federation.handlers.base")


def test_layer_violations__catches_import_module_with_a_literal():
    """importlib.import_module("node.app") in a lower layer is an upward import too."""
    source = "import importlib\nmod = importlib.import_module('node.app')\n"
    assert layer_violations(source, "federation.worker")


def test_layer_violations__catches_test_code_imports():
    """Production code never imports from tests/."""
    assert layer_violations("from tests.nodes import running_node\n", "node.app")


def test_layer_violations__allows_same_and_lower_layers():
    """Importing one's own layer, lower layers and third-party packages is fine."""
    source = ("import aiohttp\nfrom federation.http import HttpClient\nfrom federation.store.models import Delivery\n"
              "from federation.sig import cavage\nfrom schemas.activitystreams import object_id\n")
    known = frozenset({"federation", "federation.sig", "federation.sig.cavage", "federation.http",
                       "federation.store", "federation.store.models"})
    assert layer_violations(source, "federation.delivery", known_modules=known) == []
    assert layer_violations("from federation.store.models import Delivery\n", "node.stories.fanout",
                            known_modules=known) == []


def test_env_or_config_reads__catches_environ_getenv_and_tomllib():
    """The env/config checker spots os.environ, os.getenv, `from os import environ` and tomllib."""
    source = ("import os\nimport tomllib\nfrom os import getenv\n"
              "a = os.environ['X']\nb = os.getenv('Y')\nc = os.path.join('a', 'b')\n")
    problems = env_or_config_reads(source, "federation/x.py")
    assert sorted(p.split(": ", 1)[1] for p in problems) == [
        "imports os.getenv", "imports tomllib", "uses os.environ", "uses os.getenv",
    ]
    assert all(p.startswith("federation/x.py:") for p in problems)
