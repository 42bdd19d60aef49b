"""Printed derivatives as a module that runs on its own: ``srcdiff FILE > d.py``.

The command line prints code that reads names of the user's file: the modules it imports
(``np``, ``math``), and its own functions and constants. A module of its own needs those
names bound, so the printed text is preceded by the file's import statements that bind
the names it reads, srcdiff's runtime helpers, and an import of the names the file itself
defines, from the file as a module (run it where the file can be imported).
"""

from __future__ import annotations

import ast
import builtins
import os


def module_text(text, imports, source, path):
    """``text`` preceded by every import it needs: the file's own (``imports`` are
    srcdiff's), then the names it reads that the file defines, from the file."""
    wanted = _free_names(ast.parse(text))
    bound, defined = _file_bindings(ast.parse(source.text))
    lines = []
    for name in sorted(wanted, key=lambda n: bound[n][0] if n in bound else 0):
        if name in bound and bound[name][1] not in lines:
            lines.append(bound[name][1])
    lines += [i for i in imports if i not in lines]
    own = sorted(name for name in wanted if name in defined and name not in bound)
    if own:
        module = os.path.splitext(os.path.basename(path))[0]
        if module.isidentifier():
            lines.append(f"from {module} import {', '.join(own)}")
        else:
            lines.append(f"# reads {', '.join(own)} from {path}")
    return ("\n".join(lines) + "\n\n\n" if lines else "") + text


def _free_names(tree):
    """The names the module's code reads and does not bind itself (nor are builtins)."""
    stored, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    return {name for name in loaded - stored if not hasattr(builtins, name)}


def _file_bindings(module):
    """The file's top-level names: those its imports bind, each with the position and the
    text of an import binding it alone, and those it defines itself."""
    bound, defined = {}, set()
    for position, node in enumerate(module.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                spelled = alias.name if alias.asname is None else (
                    f"{alias.name} as {alias.asname}")
                bound[name] = (position, f"import {spelled}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                name = alias.asname or alias.name
                spelled = alias.name if alias.asname is None else (
                    f"{alias.name} as {alias.asname}")
                bound[name] = (position, f"from {node.module} import {spelled}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(n.id for t in targets for n in ast.walk(t)
                           if isinstance(n, ast.Name))
    return bound, defined
