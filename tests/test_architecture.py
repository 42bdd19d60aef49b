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
    {"views"},
    {"api", "cli", "__init__", "__main__"},
]
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300
# Classes still over the size limit, each with its line count at most (the list may only
# shrink, and is empty).
OVERSIZED_CLASSES: dict[str, int] = {}


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


KIND_NAMES = {"ELEMENTWISE", "SCALAR", "REDUCE", "MATMUL", "NONDIFF", "GENERAL", "KINDS",
              "INDEX", "STORE", "PACK", "APPEND", "USER", "EFFECT"}


def _rule_kind_reads(tree):
    """``rule.kind`` and ``x.rule.kind``: what kind of primitive a rule is."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "kind":
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "rule") or (
                    isinstance(owner, ast.Attribute) and owner.attr == "rule"):
                found.append(node.lineno)
    return sorted(found)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("primitives")))
def test_only_the_primitives_know_what_kind_a_primitive_is(module):
    """Analyses and transforms ask the primitive protocol (effects, abstract evaluation,
    what the VJP reads, which reverse-sweep method transposes it); they never branch on a
    rule's kind, import the kind names, or single out a primitive by its name."""
    tree = ast.parse(MODULES[module].read_text())
    assert not _rule_kind_reads(tree), f"{module} reads rule.kind"
    imported_kinds = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                      and "primitives" in (node.module or "") for alias in node.names}
    assert not imported_kinds & KIND_NAMES, f"{module} imports {imported_kinds & KIND_NAMES}"
    named = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Compare)
             for side in [node.left, *node.comparators]
             for const in ast.walk(side) if isinstance(const, ast.Constant)
             and isinstance(const.value, str) and const.value.startswith(("numpy.", "math."))]
    assert not named, f"{module} compares with a primitive's name on lines {named}"


def test_the_kind_check_finds_a_kind_branch():
    tree = ast.parse("if stmt.value.rule.kind == INDEX:\n    pass\nif rule.kind:\n    pass\n")
    assert _rule_kind_reads(tree) == [1, 3]
