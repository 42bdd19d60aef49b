"""The ``srcdiff`` command: print the derivative code of a file's functions.

The file is read, never executed: its imports of known modules are resolved statically and
anything else it would need to run is refused with a located error.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, avals, build, emit, lower, parse
from .api import assumed_avals, normalize_wrt
from .errors import SrcdiffError
from .scope import StaticScope

SHOW = ("derivative", "lowered", "both")


def parser():
    p = argparse.ArgumentParser(
        prog="srcdiff",
        description="Print the reverse-mode derivative of the functions in a Python file, as "
                    "readable Python source. The file is read, not executed.")
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
    p.add_argument("--show", choices=SHOW, default="derivative",
                   help="print the derivative (default), the three-address form, or both")
    p.add_argument("--version", action="version", version=f"srcdiff {__version__}")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        kinds = _parse_args(args.arg)
        text, errors = render(args.file, args.names, args.wrt, args.show, kinds)
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


def render(path, names=(), wrt=None, show="derivative", kinds=None):
    source = parse.read_file(path)
    scope = StaticScope(source)
    functions = parse.top_level_functions(source)
    if names:
        by_name = {f.name: f for f in functions}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise SrcdiffError(f"{path}: no top-level function named "
                               f"{', '.join(repr(m) for m in missing)}",
                               hint=f"functions in the file: "
                                    f"{', '.join(by_name) or '(none)'}")
        functions = [by_name[n] for n in names]
    else:
        functions = [f for f in functions if _has_parameters(f)]
    if not functions:
        raise SrcdiffError(f"{path}: no top-level functions with parameters to differentiate")
    blocks, imports, errors = [], [], []
    for node in functions:
        try:
            fn_ir = lower.lower(source, node, scope)
            if show in ("lowered", "both"):
                blocks.append(emit.lowered_source(fn_ir))
            if show in ("derivative", "both"):
                wanted = normalize_wrt(fn_ir.param_names, _parse_wrt(wrt), fn_ir.name)
                emitted = build.derive(fn_ir, scope, assumed_avals(fn_ir, scope, kinds), wanted)
                imports += [i for i in emitted.all_imports if i not in imports]
                blocks.append(emitted.full_text)
        except SrcdiffError as error:
            if names or len(functions) == 1:
                raise
            errors.append(error)
    return emit.with_imports(imports, "\n\n".join(blocks)), errors


def _has_parameters(node):
    args = node.args
    return bool(args.posonlyargs or args.args or args.kwonlyargs)


def _parse_args(items):
    kinds = {}
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip():
            raise SrcdiffError(f"--arg {item!r}: write NAME=KIND, e.g. x=float64[n]")
        try:
            kinds[name.strip()] = avals.parse_spec(spec)
        except ValueError as exc:
            raise SrcdiffError(f"--arg {item!r}: {exc}") from None
    return kinds


def _parse_wrt(text):
    if text is None:
        return None
    items = [int(t) if t.strip().lstrip("-").isdigit() else t.strip() for t in text.split(",")]
    return tuple(items) if "," in text else items[0]


if __name__ == "__main__":
    sys.exit(main())
