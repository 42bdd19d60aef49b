"""The ``srcdiff`` command: print the derivative code of a file's functions.

The file is read, never executed: its imports of known modules are resolved statically and
anything else it would need to run is refused with a located error. Every error, whether in
the file or in the command's own arguments, is a message on stderr (located in the file
where it has a place there) and exit status 1; a bug in srcdiff says so, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import re
import sys
import traceback

import gast
import numpy as np

from . import __version__
from .api import assumed_avals, normalize_wrt
from .backend import printer, standalone
from .driver import dispatch, pipeline
from .driver.options import FORWARD, REVERSE, Options
from .errors import SrcdiffError
from .frontend import lower, parse
from .frontend.scope import StaticScope
from .ir import avals, specs
from .views import check, values

SHOW = ("derivative", "lowered", "both")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """Usage errors exit with status 1, as every other error of the command does."""
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def parser():
    p = _Parser(
        prog="srcdiff",
        description="Print the derivative of the functions in a Python file, as readable "
                    "Python source: reverse mode (the gradient, by default) or forward mode "
                    "(the tangent along given directions). The file is read, not executed.")
    p.add_argument("file", metavar="FILE", help="a Python source file")
    p.add_argument("names", metavar="NAME", nargs="*",
                   help="functions to differentiate (default: every top-level function)")
    p.add_argument("--wrt", metavar="A,B",
                   help="parameters to differentiate with respect to, by name or index, "
                        "comma-separated (default: the first parameter)")
    p.add_argument("--arg", metavar="NAME=KIND", action="append", default=[],
                   help="what a parameter holds, for specializing the printed code: float, "
                        "int, array, a dtype with a shape such as float64[n, 3] (sizes or "
                        "names; equal names are equal sizes), or a list, tuple or dict of "
                        "kinds such as [float64[3, 2], float64[3]] (default: what the "
                        "function's uses of it show, else float)")
    p.add_argument("--mode", choices=(REVERSE, FORWARD), default=REVERSE,
                   help="reverse mode prints the gradient (default); forward mode the value "
                        "and its tangent, which takes one tangent per --wrt parameter")
    p.add_argument("--show", choices=SHOW, default="derivative",
                   help="print the derivative (default), the three-address form, or both")
    p.add_argument("--check", metavar="NAME=VALUE,...",
                   help="check the gradient at these arguments instead of printing code: "
                        "reverse mode, forward mode and central differences, with exit status "
                        "1 when they disagree. VALUE is a number or a Python literal such as "
                        "[1.0, 2.0] (an array). FILE is imported to call the function (its "
                        "__main__ block does not run)")
    p.add_argument("--trace", metavar="NAME=VALUE,...",
                   help="run one function's derivative at these values (numbers, or lists "
                        "of numbers for arrays) and print each statement with the values it "
                        "gave and the source line it came from")
    p.add_argument("--graph", metavar="OUT",
                   help="draw one function's computation graph (its three-address form) to "
                        "OUT.dot, OUT.svg or OUT.png (the last two need Graphviz), or '-' "
                        "for DOT on stdout")
    p.add_argument("--at", metavar="NAME=VALUE,...",
                   help="with --graph: the values the graph is drawn at (values on the nodes, "
                        "partial derivatives on the edges)")
    p.add_argument("--highlight", metavar="NAME",
                   help="with --graph: mark the paths from this input to the result")
    p.add_argument("--html", metavar="OUT.html",
                   help="write a page showing each function's source, three-address form "
                        "and derivative side by side, linked line by line, to OUT.html "
                        "('-': standard output) instead of printing the code")
    p.add_argument("--version", action="version", version=f"srcdiff {__version__}")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        kinds = _parse_args(args.arg)
        wrt = _parse_wrt(args.wrt)
        if args.check is not None:
            return check_file(args.file, args.names, wrt, kinds,
                              values.parse_pairs(args.check, "--check"))
        if any(v is not None for v in (args.trace, args.graph, args.at, args.highlight)):
            text, errors = _view(args, wrt), []
        elif args.html is not None:
            text, errors = render_page(args.file, args.names, wrt, kinds, args.mode)
            text = _written(args.html, text)
        else:
            text, errors = render(args.file, args.names, wrt, args.show, kinds, args.mode)
    except SrcdiffError as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in srcdiff: say so, without the compiler's traceback
        if os.environ.get("SRCDIFF_DEBUG"):
            raise
        print(f"{args.file}: internal error in srcdiff: {type(exc).__name__}: {exc}\n"
              "hint: this is a bug in srcdiff; please report it with this file "
              "(set SRCDIFF_DEBUG=1 to see the compiler's traceback)", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def render(path, names=(), wrt=None, show="derivative", kinds=None, mode=REVERSE):
    """The printed code of the named functions (all with parameters, by default), and the
    errors of those that failed when several were asked for."""
    source = parse.read_file(path)
    scope = StaticScope(source)
    functions = _chosen(source, path, list(dict.fromkeys(names)))
    kinds = kinds or {}
    _check_kinds(functions, kinds, source)
    blocks, imports, errors = [], [], []
    for node in functions:
        try:
            fn_ir = lower.lower(source, node, scope)
            if show in ("lowered", "both"):
                blocks.append(printer.lowered_source(fn_ir))
            if show in ("derivative", "both"):
                wanted = _wanted(fn_ir, wrt, source)
                own = {name: kind for name, kind in kinds.items() if name in fn_ir.param_names}
                emitted = pipeline.derive(fn_ir, scope, assumed_avals(fn_ir, scope, own),
                                          Options(wanted, mode=mode))
                imports += [i for i in emitted.all_imports if i not in imports]
                blocks.append(emitted.full_text)
        except SrcdiffError as error:
            if names or len(functions) == 1:
                raise
            errors.append(error)
    text = "\n\n".join(blocks)
    if show == "lowered":
        return text, errors
    return standalone.module_text(text, imports, source, path), errors


def check_file(path, names, wrt, kinds, given):
    """``--check``: the gradient check of the one function chosen, printed; exit status 1
    when the derivatives disagree."""
    source = parse.read_file(path)
    functions = _chosen(source, path, list(dict.fromkeys(names)))
    if len(functions) != 1:
        raise SrcdiffError(f"--check checks one function; {path} has "
                           f"{len(functions)}", hint="name it: srcdiff FILE NAME --check ... "
                           f"(functions: {', '.join(f.name for f in functions)})")
    _check_kinds(functions, kinds, source)
    fn = getattr(_imported(path), functions[0].name, None)
    if not inspect.isfunction(fn):
        raise source.located.error(functions[0], f"{functions[0].name} is not a plain "
                                   "function once the file has run (a decorator replaced "
                                   "it)", "check the undecorated function")
    fn_ir, scope = dispatch.lowered(fn)
    assumed = assumed_avals(fn_ir, scope, kinds)
    args = []
    for p in dispatch.parameters(fn):
        if p.kind == "keyword_only":
            continue
        if p.name in given:
            args.append(as_kind(given[p.name], assumed[p.name], f"--check {p.name}"))
        elif dispatch.signature_of(fn).parameters[p.name].default is inspect.Parameter.empty:
            raise SrcdiffError(f"--check: {fn.__name__} needs a value for {p.name}",
                               hint="give every parameter without a default, e.g. --check "
                                    + ",".join(f"{q}=1.0" for q in fn_ir.param_names))
        else:
            break
    unknown = sorted(set(given) - set(fn_ir.param_names))
    if unknown:
        raise SrcdiffError(f"--check {unknown[0]}: {fn.__name__} has no parameter named "
                           f"{unknown[0]!r}", hint="its parameters are: "
                           + ", ".join(fn_ir.param_names))
    try:
        result = check.check_grad(fn, tuple(args), wrt)
    except Exception as exc:
        where = _raised_in(path, exc)
        if where is None:
            raise
        raise SrcdiffError(f"{where}: {fn.__name__} raised {type(exc).__name__}: {exc}",
                           hint="check the gradient at a point where the function runs"
                           ) from None
    sys.stdout.write(str(result))
    return 0 if result.ok else 1


def as_kind(value, aval, what):
    """A literal from the command line as a value of the kind ``aval`` says: an int for an
    int parameter, an array for lists of numbers, floats for other numbers (``a=2`` is
    2.0), containers item by item."""
    if aval.kind == avals.OTHER and aval.container and isinstance(value, (list, tuple, dict)):
        if aval.pytype is dict and isinstance(value, dict):
            inner = dict(aval.items)
            return {k: as_kind(v, inner.get(k, avals.PY_FLOAT), what) for k, v in value.items()}
        if len(aval.elements) == len(value) and not isinstance(value, dict):
            return aval.pytype(as_kind(v, a, what) for v, a in zip(value, aval.elements))
    if isinstance(value, dict):
        return {k: as_kind(v, avals.PY_FLOAT, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or aval.kind == avals.ARRAY:
        dtype = aval.dtype if aval.kind == avals.ARRAY and aval.dtype is not None else None
        try:
            array = np.array(value, dtype=dtype)
        except (ValueError, TypeError):
            raise SrcdiffError(f"{what}: {value!r} is not an array of numbers",
                               hint="write nested lists of equal lengths") from None
        if dtype is None and array.dtype.kind in "biu":
            array = array.astype(np.float64)
        if array.dtype.kind not in "biufc":
            raise SrcdiffError(f"{what}: {value!r} is not an array of numbers",
                               hint="write numbers, such as [1.0, 2.0]")
        return array
    if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
        return value
    if aval.kind == avals.PY and aval.dtype in (int, bool):
        return value if isinstance(value, int) else aval.dtype(value)
    return value if isinstance(value, complex) else float(value)


def _imported(path):
    """FILE run as a module named after it (not ``__main__``, so that its ``if __name__ ==
    "__main__":`` block stays out), for the options that call its functions. An error
    while it runs is reported at the line of FILE that raised it."""
    name = "srcdiff_file_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        where = _raised_in(path, exc) or path
        raise SrcdiffError(f"{where}: running the file raised {type(exc).__name__}: {exc}",
                           hint="--check imports FILE to call its function; its top level "
                                "must run (its __main__ block does not)") from None
    finally:
        sys.path.remove(directory)
    return module


def _raised_in(path, exc):
    """``FILE:LINE`` where FILE's own code raised ``exc``, or ``FILE`` where the derivative
    code made from it did (srcdiff's own code not below either); else None: an error of
    srcdiff's own."""
    mine = os.path.dirname(os.path.abspath(__file__))
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(path):
            found = f"{path}:{frame.lineno}"
        elif frame.filename.startswith("<srcdiff "):
            found = f"{path} (in the derivative's code)"
        elif found is not None and os.path.abspath(frame.filename).startswith(mine):
            found = None
    return found


def _view(args, wrt):
    """``--trace`` or ``--graph``: one function's derivative run, or its graph drawn, at the
    values given (the file is still not run: its functions are made from their ``def``s).
    The views are imported here, when asked for, so that printing code starts fast."""
    from .views import graph, static, trace
    if args.trace is not None and args.graph is not None or args.graph is None and (
            args.at is not None or args.highlight is not None):
        raise SrcdiffError("give either --trace or --graph" if args.graph is not None else
                           "--at and --highlight go with --graph", hint="srcdiff FILE NAME "
                           "--trace a=2,b=1, or srcdiff FILE NAME --graph OUT.svg --at a=2,b=1")
    source = parse.read_file(args.file)
    scope = StaticScope(source)
    functions = _chosen(source, args.file, list(dict.fromkeys(args.names)))
    flag = "--trace" if args.trace is not None else "--graph"
    if len(functions) != 1:
        raise SrcdiffError(f"{flag} shows one function; name it", hint="functions in the "
                           f"file: {', '.join(f.name for f in functions)}")
    fn_ir = lower.lower(source, functions[0], scope)
    wanted = _wanted(fn_ir, wrt, source)
    counts = {p for p, kind in assumed_avals(fn_ir, scope).items() if kind == avals.PY_INT}
    given = args.trace if args.trace is not None else args.at
    flag = "--trace" if args.trace is not None else "--at"
    namespace = static.namespace(source, scope)
    at = None if given is None else values.bind(
        fn_ir.param_names, values.parse_assignments(given, flag), flag, counts,
        values.defaults_of(namespace.get(functions[0].name)))
    if args.trace is not None:
        return str(trace.trace_lowered(fn_ir, scope, namespace, at, wanted, args.mode))
    picture = graph.graph_lowered(fn_ir, scope, namespace, at, wanted, args.highlight)
    if args.graph == "-":
        return picture.dot
    picture.write(args.graph)
    return f"wrote {args.graph}\n"
def render_page(path, names=(), wrt=None, kinds=None, mode=REVERSE):
    """The side-by-side page of the named functions (all with parameters, by default), and
    the errors of those that failed when several were asked for (the page shows them too)."""
    from .views import page as side_by_side  # imported when first used: start-up stays fast
    views, errors = page_views(path, names, wrt, kinds, mode)
    return side_by_side.html_page(views, f"srcdiff: {path}", errors), errors


def page_views(path, names=(), wrt=None, kinds=None, mode=REVERSE):
    """The side-by-side views of :func:`render_page`, and the errors."""
    from .views import page  # imported when first used: start-up stays fast
    source = parse.read_file(path)
    scope = StaticScope(source)
    functions = _chosen(source, path, list(dict.fromkeys(names)))
    kinds = kinds or {}
    _check_kinds(functions, kinds, source)
    views, errors = [], []
    for node in functions:
        try:
            fn_ir = lower.lower(source, node, scope)
            own = {name: kind for name, kind in kinds.items() if name in fn_ir.param_names}
            emitted = pipeline.derive(fn_ir, scope, assumed_avals(fn_ir, scope, own),
                                      Options(_wanted(fn_ir, wrt, source), mode=mode))
            views.append(page.function_view(fn_ir, emitted, mode))
        except SrcdiffError as error:
            if names or len(functions) == 1:
                raise
            errors.append(error)
    return views, errors


def _written(out, text):
    """Write the page to ``out`` (``-``: return it, for standard output)."""
    if out == "-":
        return text
    try:
        with open(out, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise SrcdiffError(f"--html {out}: cannot write the page: {exc.strerror}",
                           hint="give a path in a directory that exists and that you can "
                                "write to") from None
    return ""


def _chosen(source, path, names):
    functions = parse.top_level_functions(source)
    if not names:
        chosen = [f for f in functions if _has_parameters(f)]
        if not chosen:
            what = "is empty" if not source.text.strip() else "has no top-level function " \
                "with parameters"
            raise SrcdiffError(f"{path}: nothing to differentiate: the file {what}",
                               hint="srcdiff differentiates functions defined with def at "
                                    "the top level of the file")
        return chosen
    by_name = {f.name: f for f in functions}
    for name in names:
        if name not in by_name:
            raise _not_a_function(source, path, name, by_name)
    return [by_name[n] for n in names]


def _not_a_function(source, path, name, functions):
    listed = f"functions in the file: {', '.join(functions) or '(none)'}"
    binding = _binding(source, name)
    if binding is not None:
        what = "a class" if isinstance(binding, gast.ClassDef) else "not a function"
        return source.located.error(binding, f"{name} is {what}; srcdiff differentiates "
                                    "functions", listed)
    return SrcdiffError(f"{path}: no top-level function named {name!r}", hint=listed)


def _binding(source, name):
    """The last top-level statement that binds ``name`` other than a ``def``."""
    found = None
    for node in source.tree.body:
        if isinstance(node, gast.ClassDef) and node.name == name:
            found = node
        elif isinstance(node, (gast.Import, gast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) == name for a in node.names):
            found = node
        elif not isinstance(node, (gast.FunctionDef, gast.ClassDef)) and any(
                isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id == name
                for n in gast.walk(node)):
            found = node
    return found


def _check_kinds(functions, kinds, source):
    """Every ``--arg`` names a parameter of a function being printed."""
    params = {p for f in functions for p in _parameter_names(f)}
    for name in kinds:
        if name not in params:
            listed = "; ".join(f"{f.name}({', '.join(_parameter_names(f))})"
                               for f in functions)
            which = functions[0].name if len(functions) == 1 else "none of the functions"
            raise source.located.error(functions[0], f"--arg {name}: {which} has no "
                                       f"parameter named {name!r}",
                                       f"the parameters are: {listed}")


def _wanted(fn_ir, wrt, source):
    """``--wrt`` as parameter names of ``fn_ir``; a bad one is located at its ``def``."""
    try:
        return normalize_wrt(fn_ir.param_names, wrt, fn_ir.name)
    except SrcdiffError as error:
        if error.filename is not None:
            raise
        raise source.located.error(fn_ir.node, f"--wrt: {error.message}",
                                   error.hint) from None


def _parameter_names(node):
    args = node.args
    return [a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)]


def _has_parameters(node):
    return bool(_parameter_names(node))


KIND_HINT = ("KIND is float, int, array, a dtype with a shape such as float64[n, 3], or a list, "
             "tuple or dict of kinds: [float64[3, 2], float64[3]], {\"w\": float64[3], "
             "\"b\": float}")


def _parse_args(items):
    kinds = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not spec.strip():
            raise values.in_argument("--arg", item, 0,
                                     "--arg: write NAME=KIND, e.g. x=float64[n]", KIND_HINT)
        if name in kinds:
            raise SrcdiffError(f"--arg {name} is given twice",
                               hint="give each parameter's kind once")
        try:
            kinds[name] = specs.parse(spec)
        except specs.SpecError as exc:
            raise values.in_argument("--arg", item, len(item) - len(spec) + exc.position,
                                     f"--arg {name}: {exc}", KIND_HINT) from None
    return kinds


def _parse_wrt(text):
    if text is None:
        return None
    parts = [t.strip() for t in text.split(",")]
    if not all(parts):
        raise SrcdiffError(f"--wrt {text!r}: write parameter names or indices separated by "
                           "commas", hint="for example --wrt a,b or --wrt 0")
    items = [int(t) if t.lstrip("-").isdigit() else t for t in parts]
    return tuple(items) if "," in text else items[0]


if __name__ == "__main__":
    sys.exit(main())
