"""The package layout is the pipeline: imports go one way, from a layer to those below it,
and no module imports itself back through others, not even from inside a function.

Layers, bottom first (README, "How it works"): ``errors`` and ``runtime`` (what generated
code imports), ``ir``, ``primitives``, ``frontend``, ``analysis``, ``backend``,
``transforms``, ``driver``, and on top ``api``, ``cli`` and the package itself.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "srcdiff"
LAYERS = [
    {"errors", "runtime"},
    {"ir"},
    {"primitives"},
    {"frontend"},
    {"analysis"},
    {"backend"},
    {"transforms"},
    {"driver"},
    {"api", "cli", "__init__", "__main__"},
]
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300
# Classes still over the size limit, each with its line count at most (the list may only
# shrink): the reverse traversal of assignments.
OVERSIZED_CLASSES = {"_Reverse": 440}


def modules():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def layer_of(module):
    top = module.split(".")[0]
    return next(rank for rank, names in enumerate(LAYERS) if top in names)


def imported(module, path):
    """Every srcdiff module ``module`` imports, at any depth of its code."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "__init__":
        package = []
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            prefix = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                full = ".".join(prefix + [alias.name])
                targets.add(full if full in MODULES else ".".join(prefix))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            for name in names:
                if name.startswith("srcdiff."):
                    targets.add(name[len("srcdiff."):])
    found = set()
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        found.add(target or "__init__")
    return found - {module}


GRAPH = {module: imported(module, path) for module, path in MODULES.items()}


def test_every_module_has_a_layer():
    for module in MODULES:
        assert any(module.split(".")[0] in names for names in LAYERS), module


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down_the_layers(module):
    """A module imports from its own layer or below (the package's ``__init__`` re-exports
    the API, so only the top layer may import it)."""
    upward = [t for t in GRAPH[module] if layer_of(t) > layer_of(module)]
    assert not upward, f"{module} imports {upward} from a layer above it"


def test_no_import_cycles():
    """Tarjan's strongly connected components over the import graph, function-local imports
    included: each component must be a single module."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in GRAPH.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_modules_stay_small():
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
             for path in MODULES.values()}
    over = {name: size for name, size in sizes.items() if size > MAX_MODULE_LINES}
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {over}"


def test_classes_stay_small():
    over = {}
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                if size > OVERSIZED_CLASSES.get(node.name, MAX_CLASS_LINES):
                    over[f"{path.name}:{node.name}"] = size
    assert not over, f"classes over {MAX_CLASS_LINES} lines: {over}"
