"""The ``srcdiff`` command: print the derivative code of a file's functions.

The file is read, never executed: its imports of known modules are resolved statically and
anything else it would need to run is refused with a located error. Every error, whether in
the file or in the command's own arguments, is a message on stderr (located in the file
where it has a place there) and exit status 1; a bug in srcdiff says so, without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

import gast

from . import __version__
from .api import assumed_avals, normalize_wrt
from .backend import printer, standalone
from .driver import pipeline
from .driver.options import FORWARD, REVERSE, Options
from .errors import SrcdiffError
from .frontend import lower, parse
from .frontend.scope import StaticScope
from .ir import avals
from .views import page as side_by_side

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
                   help="what a parameter holds, for specializing the printed code: float "
                        "(the default), int, array, or a dtype with a shape such as "
                        "float64[n, 3] (sizes or names; equal names are equal sizes)")
    p.add_argument("--mode", choices=(REVERSE, FORWARD), default=REVERSE,
                   help="reverse mode prints the gradient (default); forward mode the value "
                        "and its tangent, which takes one tangent per --wrt parameter")
    p.add_argument("--show", choices=SHOW, default="derivative",
                   help="print the derivative (default), the three-address form, or both")
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
        if args.html is not None:
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


def render_page(path, names=(), wrt=None, kinds=None, mode=REVERSE):
    """The side-by-side page of the named functions (all with parameters, by default), and
    the errors of those that failed when several were asked for (the page shows them too)."""
    views, errors = page_views(path, names, wrt, kinds, mode)
    return side_by_side.html_page(views, f"srcdiff: {path}", errors), errors


def page_views(path, names=(), wrt=None, kinds=None, mode=REVERSE):
    """The side-by-side views of :func:`render_page`, and the errors."""
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
            views.append(side_by_side.function_view(fn_ir, emitted, mode))
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


def _parse_args(items):
    kinds = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not spec.strip():
            raise SrcdiffError(f"--arg {item!r}: write NAME=KIND, e.g. x=float64[n]",
                               hint="KIND is float, int, array, or a dtype with a shape "
                                    "such as float64[n, 3]")
        if name in kinds:
            raise SrcdiffError(f"--arg {name} is given twice",
                               hint="give each parameter's kind once")
        try:
            kinds[name] = avals.parse_spec(spec)
        except ValueError as exc:
            raise SrcdiffError(f"--arg {item!r}: {exc}", hint="KIND is float, int, array, or "
                               "a dtype with a shape such as float64[n, 3]") from None
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
