"""The module-level names of a file the command line reads without running it.

The views run a function's derivative, so they need what its code refers to: the modules
and literal constants the static reader resolved, and the file's own functions, which
the derivative calls (``t1 = h(x)``). Those functions are made from their ``def``
statements alone (decorators left out); nothing else at the file's top level runs.
"""

from __future__ import annotations

import ast
import builtins

from ..frontend.scope import Live


def namespace(source, scope):
    """Names for running the derivatives of functions in ``source`` (a file read by
    :mod:`srcdiff.frontend.parse`), resolved by ``scope`` (its static scope)."""
    names = {"__builtins__": builtins, "__name__": "__srcdiff_static__"}
    names.update((name, found.value) for name, found in scope.names.items()
                 if isinstance(found, Live))
    tree = ast.parse(source.text, source.filename)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        node.decorator_list = []
        module = ast.Module(body=[node], type_ignores=[])
        try:
            exec(compile(module, source.filename, "exec"), names)  # noqa: S102
        except Exception:  # noqa: BLE001,S112 - a default it cannot compute: left out
            continue
    return names
