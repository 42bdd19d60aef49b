"""Shrinking a failing program by statements: delete a statement, unwrap a compound one into
its body, keep one term of a returned sum; keep every change after which the program still
runs and still fails the same way. What is left is a starting point for a hand-made repro.
"""

import ast
import dataclasses
import re


def reduce(program, same_failure, budget=300):
    """The smallest program found (within ``budget`` trials) for which
    ``same_failure(program)`` still holds; greedy, restarting after every cut."""
    trials = 0
    progress = True
    while progress and trials < budget:
        progress = False
        for candidate in _candidates(program.text):
            trials += 1
            trial = _with_text(program, candidate)
            if trial and same_failure(trial):
                program, progress = trial, True
                break
            if trials >= budget:
                break
    return program


def _with_text(program, text):
    try:
        ast.parse(text)
    except SyntaxError:
        return None
    constants = [n for n in program.constants if re.search(rf"^{n} = ", text, re.M)]
    return dataclasses.replace(program, text=text, constants=constants)


def _candidates(text):
    """Smaller versions of ``text``, the largest cuts first."""
    lines = text.splitlines()
    tree = ast.parse(text)
    statements = sorted(_statements(tree), key=lambda n: n.end_lineno - n.lineno, reverse=True)
    for node in statements:
        if isinstance(node, ast.FunctionDef) and node.name == "f":
            continue
        start, end = node.lineno - 1, node.end_lineno
        if node.decorator_list if isinstance(node, ast.FunctionDef) else False:
            start = node.decorator_list[0].lineno - 1
        indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
        yield "\n".join(lines[:start] + lines[end:]) + "\n"
        if indent and not isinstance(node, ast.Pass):
            yield "\n".join(lines[:start] + [indent + "pass"] + lines[end:]) + "\n"
        if isinstance(node, (ast.If, ast.For, ast.While)):
            body = lines[node.body[0].lineno - 1:node.body[-1].end_lineno]
            extra = len(body[0]) - len(body[0].lstrip()) - len(indent)
            yield "\n".join(lines[:start] + [line[extra:] for line in body]
                            + lines[end:]) + "\n"
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.BinOp) and isinstance(
                node.value.op, ast.Add):
            for term in _terms(node.value):
                line = lines[node.lineno - 1]
                indent = line[:len(line) - len(line.lstrip())]
                shorter = lines[:node.lineno - 1] + [f"{indent}return {ast.unparse(term)}"]
                yield "\n".join(shorter + lines[node.end_lineno:]) + "\n"


def _statements(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.Return, ast.Import)):
            yield node


def _terms(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _terms(node.left) + _terms(node.right)
    return [node]
