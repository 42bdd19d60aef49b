"""Post-passes over the generated statements, so that they read like a derivation by hand.

* ``fuse_rebinds``: ``a_bar = e`` right before ``a_bar = f(a_bar)`` becomes
  ``a_bar = f(e)``.
* ``literal_containers``: the adjoint of a tuple, list or dict whose elements were read
  is written out, ``(a_bar, b_bar)``, instead of ``add_tree(one_hot(t, 1, b_bar), ...)``.
* ``forward_copies``: forward mode's ``d_dot = b_dot`` goes where ``b_dot`` can be read
  in its place.
* ``folded_factors``: ``t8_bar = 0.5 * E_bar`` read once, by ``2.0 * t8_bar * t6``,
  becomes ``E_bar * t6``: constant factors fold across statements.
* ``unit_copies``: ``1.0 * x``, kept so that a gradient never shares an array with the
  caller's ``x``, reads ``x.copy()`` where ``x`` is a float array.
* ``adjoint_copies``: the reverse sweep's ``yhat_bar = t1`` at the top of the function
  goes where ``t1`` can be read in its place.
* ``unraising_adjoints``: adjoints that are sums, differences and products of Python
  floats cannot raise, so the compiled code needs no handler to explain an error there.
"""

from __future__ import annotations

import collections
import itertools

import gast

from .. import runtime
from ..backend.arrays import NUMPY
from ..backend.simplify import simplify
from ..ir import code, trees
from ..ir.avals import ARRAY, PY
from ..ir.code import ADJ, DEF, OBJ, TAN
from .adjoints import zero_like


def fuse_rebinds(lines):
    """``a_bar = e`` right before ``a_bar = f(a_bar)`` reads better as ``a_bar = f(e)``
    (a scalar adjoint that an array adjoint is then filled with, say)."""
    for block in _nested_blocks(lines):
        fuse_rebinds(block)
    index = 0
    while index + 1 < len(lines):
        first, second = lines[index], lines[index + 1]
        if (isinstance(first, code.Assign) and isinstance(second, code.Assign)
                and first.target == second.target and first.target[0] == ADJ
                and not isinstance(first.target[0], tuple)):
            uses = [n for n in code.ref_nodes(second.value) if n.srcdiff_ref == first.target]
            if len(uses) == 1:
                second.value = _replaced(second.value, uses[0], first.value)
                del lines[index]
                continue
        index += 1


def _replaced(tree, old, new):
    if tree is old:
        return new
    return trees.rewrite_children(tree, lambda child: _replaced(child, old, new))


def literal_containers(lines, aval_of):
    """``add_tree(one_hot(t, 1, b_bar), one_hot(t, 0, a_bar))``, the adjoint of a tuple
    whose elements were read, reads better written out: ``(a_bar, b_bar)``."""
    for block in _nested_blocks(lines):
        literal_containers(block, aval_of)
    for line in lines:
        if isinstance(line, code.Assign):
            written = written_out(line.value, aval_of)
            if written is not None:
                line.value = _container_node(*written, aval_of)


def written_out(node, aval_of):
    """``(container, {key: [adjoint expressions]})`` for one_hot/add_tree trees over one
    container of fixed length, or None."""
    if not isinstance(node, gast.Call) or node.keywords:
        return None
    target = code.ref_of(node.func)
    if target == (OBJ, runtime.one_hot) and len(node.args) == 3:
        container, key, g = node.args
        ref = code.ref_of(container)
        aval = aval_of(ref[1]) if ref is not None and ref[0] == DEF else None
        if aval is None or aval.items is None or not isinstance(key, gast.Constant):
            return None
        keys = [k for k, _ in aval.items] if aval.pytype is dict else range(len(aval.items))
        if key.value not in keys:
            return None
        return container, {key.value: [g]}
    if target == (OBJ, runtime.add_tree) and len(node.args) == 2:
        parts = [written_out(a, aval_of) for a in node.args]
        if None in parts or code.ref_of(parts[0][0]) != code.ref_of(parts[1][0]):
            return None
        merged = {k: list(v) for k, v in parts[0][1].items()}
        for k, v in parts[1][1].items():
            merged.setdefault(k, []).extend(v)
        return parts[0][0], merged
    return None


def _container_node(container, parts, aval_of):
    aval = aval_of(code.ref_of(container)[1])
    if aval.pytype is dict:
        keys, items = [k for k, _ in aval.items], [v for _, v in aval.items]
    else:
        keys, items = list(range(len(aval.items))), list(aval.items)
    values = []
    for key, item in zip(keys, items):
        exprs = parts.get(key)
        if not exprs:
            element = gast.Subscript(value=code.clone(container), slice=code.const(key),
                                     ctx=gast.Load())
            values.append(zero_like(item, element) if item.known_shape is None
                          or item.kind != ARRAY else _zeros(item))
            continue
        value = exprs[0]
        for extra in exprs[1:]:
            value = gast.BinOp(left=value, op=gast.Add(), right=extra)
        values.append(value)
    if aval.pytype is dict:
        return gast.Dict(keys=[code.const(k) for k in keys], values=values)
    node = gast.Tuple if aval.pytype is tuple else gast.List
    return node(elts=values, ctx=gast.Load())


def _zeros(aval):
    return NUMPY.zeros(aval.known_shape, aval.dtype)


def forward_copies(lines, given, name_of):
    """``d_dot = b_dot``, where each of the two tangents is given one value in the whole
    function (``given`` are the tangents passed in) and neither is changed in place: every
    later read of ``d_dot`` reads ``b_dot`` instead, and the copy goes (forward mode prints
    a copy for each ``d = b + 1``, whose tangent is ``b_dot`` itself). Values are counted
    by the variable that holds them (``name_of(key)``): two variables of one name are one."""
    _copies_read_through(lines, lines, given, name_of, (TAN,), (TAN,))


def adjoint_copies(lines, name_of, temporary):
    """``t7_bar = t8_bar`` (or ``= t1``): every later read of ``t7_bar`` reads ``t8_bar``,
    and the copy goes, where the target is given no other value and is not changed in
    place, and the copy's value is the source's wherever the target is read: the target is
    read only after the copy in its block (so in the same run of a loop's body), before the
    source is bound anew. Only the adjoints of temporaries go (``temporary(target)``):
    ``yhat_bar = t1`` stays, the δ of the seed's rule, named."""
    if not any(_copy_source(line, (ADJ,), (ADJ, DEF), temporary)
               for line in code.walk_lines(lines)):
        return
    counts = _counts(lines, name_of)
    renamed = {}
    uses = _Uses(lines, name_of)

    def goes(block, index):
        line = block[index]
        source = _copy_source(line, (ADJ,), (ADJ, DEF), temporary)
        if source is None:
            return False
        source = renamed.get(source, source)
        target = name_of(line.target)
        if counts.get(target) != 1 or not _same_value_where_read(
                block, index, name_of(source), target, uses):
            return False
        renamed[line.target] = source
        return True
    _drop_lines(lines, uses, goes)
    _renamed_refs(uses.all_ref_nodes(), renamed)


def _drop_lines(block, uses, goes):
    """Each line of ``block`` and of the blocks inside it, the inner ones first, deleted
    where ``goes(block, index)`` says so."""
    index = 0
    while index < len(block):
        line = block[index]
        for nested in ("body", "orelse"):
            inner = getattr(line, nested, None)
            if isinstance(inner, list):
                _drop_lines(inner, uses, goes)
        if goes(block, index):
            uses.forget(line)
            del block[index]
            continue
        index += 1


def folded_factors(lines, name_of, temporary, is_scalar):
    """``t8_bar = 0.5 * E_bar`` whose one read, later in its block, multiplies it by a
    constant (``t6_bar = 2.0 * t8_bar * t6``): the factor goes into the read, where the
    constants fold (``t6_bar = E_bar * t6``), and the temporary goes. ``E_bar`` must keep
    its binding up to the read."""
    if not any(_scaled_temporary(line, temporary) for line in code.walk_lines(lines)):
        return
    counts = _counts(lines, name_of)
    uses = _Uses(lines, name_of)
    _drop_lines(lines, uses, lambda block, index: _folds_forward(
        block, index, uses, name_of, temporary, is_scalar, counts))


def _scaled_temporary(line, temporary):
    """Whether ``line`` is ``t8_bar = c * x``: a temporary's adjoint, a constant times a
    name."""
    return (isinstance(line, code.Assign) and not isinstance(line.target[0], tuple)
            and line.target[0] == ADJ and temporary(line.target)
            and isinstance(line.value, gast.BinOp) and isinstance(line.value.op, gast.Mult)
            and code.is_const(line.value.left) and isinstance(line.value.right, gast.Name))


def _folds_forward(block, index, uses, name_of, temporary, is_scalar, counts):
    line = block[index]
    if not _scaled_temporary(line, temporary):
        return False
    target = name_of(line.target)
    factor = code.ref_of(line.value.right)
    if counts.get(target) != 1 or factor is None or uses.total(target) != 1:
        return False
    for use in block[index + 1:]:
        if uses.reads(use)[target]:
            break
        if name_of(factor) in uses.binds(use):
            return False
    else:
        return False
    if not isinstance(use, code.Assign) or isinstance(use.target[0], tuple):
        return False
    copied = code.clone(use.value)
    trial = simplify(_replaced(copied, _the_read(copied, line.target), code.clone(line.value)),
                     is_scalar)
    if _constants(trial) >= _constants(use.value) + _constants(line.value):
        return False
    use.value = trial
    uses.refresh(use)
    return True


def _the_read(tree, key):
    return next(node for node in trees.walk(tree) if code.ref_of(node) == key)


def _constants(tree):
    return sum(1 for node in trees.walk(tree) if code.is_const(node))


def _same_value_where_read(block, index, variable, target, uses):
    """Every read of the target follows the copy in its block, and the source (``variable``)
    keeps its binding from the copy to the last of them (a read in a later run of a loop's
    body would find the source's next value, a read after a rebinding the new one)."""
    copy = uses.order[id(block[index])]
    last = None
    for reader in uses.readers(target):
        top = uses.ancestor_in(reader, block)
        if top is None or uses.order[id(top)] <= copy:
            return False
        if last is None or uses.order[id(top)] > uses.order[id(last)]:
            last = top
    if last is None:
        return True
    between = list(itertools.takewhile(lambda line: line is not last, block[index + 1:]))
    if not isinstance(last, code.Assign):
        between.append(last)  # a loop or branch may rebind the source before reading
    return not any(variable in uses.binds(line) for line in between)


class _Uses:
    """Which lines read each variable, where each line sits, and what each binds (nested
    lines included), found once: the tidy passes ask of every candidate about the lines
    after it."""

    def __init__(self, lines, name_of):
        self.name_of = name_of
        self.names = {}  # reference -> name_of(reference), asked again and again
        self.found = {}
        self.direct = {}
        self.refs = {}  # id(line) -> the nodes of its own expressions that hold a reference
        self.place = {}  # id(line) -> (the block holding it, the line holding that block)
        self.by_name = collections.defaultdict(list)
        self.order = {}  # id(line) -> its rank in the order lines are written out
        self._index(lines, None)

    def _index(self, block, parent):
        for line in block:
            key = id(line)
            self.place[key] = (block, parent)
            self.order[key] = len(self.order)
            reads = self.direct[key] = self._direct_reads(line)
            for name in reads:
                self.by_name[name].append(line)
            values = line.__dict__
            if "body" in values:
                self._index(values["body"], line)
                if "orelse" in values:
                    self._index(values["orelse"], line)

    def _direct_reads(self, line):
        """The number of times ``line``'s own expressions read each variable."""
        nodes = self.refs[id(line)] = [node for value in line.__dict__.values()
                                       if isinstance(value, gast.AST)
                                       for node in code.ref_nodes(value)]
        reads, names = {}, self.names
        for node in nodes:
            ref = node.srcdiff_ref
            if ref[0] != OBJ:
                name = names.get(ref)
                if name is None:
                    name = names[ref] = self.name_of(ref)
                reads[name] = reads.get(name, 0) + 1
        return reads

    def all_ref_nodes(self):
        return [node for nodes in self.refs.values() for node in nodes]

    def total(self, name):
        return sum(self.direct[id(line)][name] for line in self.by_name[name])

    def readers(self, name):
        return list(self.by_name[name])

    def ancestor_in(self, line, block):
        """The line of ``block`` that holds ``line`` (itself, or a loop or branch around
        it); None where ``block`` does not hold it."""
        while line is not None:
            holder, parent = self.place[id(line)]
            if holder is block:
                return line
            line = parent
        return None

    def reads(self, line):
        found = self.found.get(id(line))
        if found is None:
            found = collections.Counter()
            for inner in code.walk_lines([line]):
                found.update(self.direct.get(id(inner)) or self._direct_reads(inner))
            self.found[id(line)] = found
        return found

    def binds(self, line):
        return {self.name_of(t) for inner in code.walk_lines([line]) for t in _targets(inner)}

    def forget(self, line):
        """``line`` is deleted: its reads no longer count."""
        for name in self.direct[id(line)]:
            self.by_name[name] = [other for other in self.by_name[name] if other is not line]

    def refresh(self, line):
        """``line``'s expression changed."""
        self.forget(line)
        self.found.pop(id(line), None)
        reads = self.direct[id(line)] = self._direct_reads(line)
        for name in reads:
            self.by_name[name].append(line)


def _copy_source(line, targets, sources, removable=lambda target: True):
    if not (isinstance(line, code.Assign) and not isinstance(line.target[0], tuple)
            and line.target[0] in targets and isinstance(line.value, gast.Name)
            and removable(line.target)):
        return None
    source = code.ref_of(line.value)
    return source if source is not None and source[0] in sources else None


def _counts(lines, name_of):
    counts = {}
    for line in code.walk_lines(lines):
        for target in _targets(line):
            name = name_of(target)
            counts[name] = counts.get(name, 0) + 1
    return counts


def _rename(lines, renamed):
    if renamed:
        _renamed_refs([node for line in code.walk_lines(lines) for value in vars(line).values()
                       if isinstance(value, gast.AST) for node in code.ref_nodes(value)],
                      renamed)


def _renamed_refs(nodes, renamed):
    for node in nodes:
        ref = node.srcdiff_ref
        if ref in renamed:
            node.srcdiff_ref = renamed[ref]


def _copies_read_through(lines, candidates, given, name_of, targets, sources):
    counts = _counts(lines, name_of)
    renamed = {}
    for line in candidates:
        source = _copy_source(line, targets, sources)
        if source is None:
            continue
        source = renamed.get(source, source)
        expected = 0 if source[1] in given else 1
        if counts.get(name_of(line.target)) == 1 and counts.get(name_of(source), 0) == expected:
            renamed[line.target] = source
            lines.remove(line)
    _rename(lines, renamed)


def _nested_blocks(lines):
    """The blocks (``body``, ``orelse``) of the lines that hold any."""
    found = []
    for line in lines:
        values = line.__dict__
        if "body" in values:
            found.append(values["body"])
            if "orelse" in values:
                found.append(values["orelse"])
    return found


def _targets(line):
    """The tangents and variables ``line`` gives a value, or changes in place (counted
    twice, so that a copy of them is never taken for the thing itself)."""
    if isinstance(line, code.Assign):
        return list(line.target) if isinstance(line.target[0], tuple) else [line.target]
    if isinstance(line, (code.Store, code.AddAt)):
        return [line.target, line.target]
    if isinstance(line, (code.Pop, code.Init)):
        target = (DEF, line.variable)
        return [target] if getattr(line, "index", None) is None else [target, target]
    if isinstance(line, code.For) and line.target is not None:
        targets = line.target if isinstance(line.target, list) else [(DEF, line.target)]
        return targets + targets
    if isinstance(line, code.Expr):
        changed = [code.ref_of(n.func.value) for n in trees.walk(line.value)
                   if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)]
        return [r for r in changed if r is not None] * 2
    return []


def unneeded_tapes(lines, name_of):
    """Deletes the tapes that nothing reads back: ``t2_tape``'s pushes, pops and list where
    no line of the reverse sweep reads ``t2``. The tape plan saves a value that the sweep
    may read for its shape alone (a zero adjoint made from it, where the shape is known only
    when the code runs); where the adjoints came out without that zero, the tape is dead."""
    start = next((k for k, line in enumerate(lines) if isinstance(line, code.Mark)
                  and line.name == code.ADJOINTS), None)
    if start is None or not any(isinstance(line, code.Pop)
                                for line in code.walk_lines(lines[start + 1:])):
        return
    read = set()
    for line in code.walk_lines(lines[start + 1:]):
        if isinstance(line, code.Push):
            read.add(name_of((DEF, line.variable)))
        read.update(_variables_read(*vars(line).values(), name_of=name_of))
    plain = {}
    for line in code.walk_lines(lines):
        if isinstance(line, (code.Push, code.Pop)):
            name = name_of((DEF, line.variable))
            plain[name] = plain.get(name, True) and line.index is None
    dead = {name for name, whole in plain.items() if whole and name not in read}
    if dead:
        _delete_tapes(lines, dead, name_of)


def _delete_tapes(block, dead, name_of):
    block[:] = [line for line in block if not (
        isinstance(line, (code.Push, code.Pop, code.TapeInit))
        and name_of((DEF, line.variable)) in dead)]
    for line in block:
        for nested in ("body", "orelse"):
            inner = getattr(line, nested, None)
            if isinstance(inner, list):
                _delete_tapes(inner, dead, name_of)


def unneeded_inits(lines, name_of):
    """The lines without each ``t1 = None`` that no path needs: it binds a variable that a
    path may read before assigning it (a tape push of its old value, a zero made from it
    after a loop that ran no iteration); where every read finds the variable assigned on
    every path, it goes. ``name_of`` gives the variable of a ``(kind, key)`` target."""
    if not any(isinstance(line, code.Init) for line in lines):
        return lines
    early = set()
    _assigned_after([line for line in lines if not isinstance(line, code.Init)], set(), early,
                    name_of)
    return [line for line in lines
            if not (isinstance(line, code.Init) and name_of((DEF, line.variable)) not in early)]


def _variables_read(*nodes, name_of):
    """The variables the expressions among ``nodes`` read (their current or old values)."""
    return {name_of((DEF, ref[1])) for node in nodes if isinstance(node, gast.AST)
            for sub in code.ref_nodes(node) if (ref := sub.srcdiff_ref)[0] in (DEF, "old")}


def _assigned_after(lines, assigned, early, name_of):
    """The variables certainly assigned after ``lines`` run, given those before; adds to
    ``early`` each variable read where it may not be assigned yet."""
    def read(*nodes):
        early.update(_variables_read(*nodes, name_of=name_of) - assigned)

    for line in lines:
        if isinstance(line, code.If):
            read(line.test)
            assigned = (_assigned_after(line.body, set(assigned), early, name_of)
                        & _assigned_after(line.orelse, set(assigned), early, name_of))
        elif isinstance(line, (code.For, code.While)):
            inside = set(assigned)
            if isinstance(line, code.For):
                read(line.iterable)
                inside.update(name_of(t) for t in _targets(line) if t[0] == DEF)
            else:
                read(line.test)
            _assigned_after(line.body, inside, early, name_of)
        elif isinstance(line, (code.Push, code.Pop)):
            read(line.index)
            variable = name_of((DEF, line.variable))
            if isinstance(line, code.Push) or line.index is not None:
                if variable not in assigned:
                    early.add(variable)
            else:
                assigned.add(variable)
        else:
            read(*[getattr(line, field) for field in line.own
                   if field not in ("target", "variable")])
            if isinstance(line, (code.Store, code.AddAt)):
                if line.target[0] == DEF and name_of(line.target) not in assigned:
                    early.add(name_of(line.target))
            elif isinstance(line, code.Assign):
                assigned.update(name_of(t) for t in _targets(line) if t[0] == DEF)
    return assigned


def unit_copies(lines, is_float_array):
    """``1.0 * x`` where ``x`` is a float array (``is_float_array(key)``) reads as what it
    is: ``x.copy()``, a new array with ``x``'s values (the simplifier keeps the product
    where dropping it would hand back the caller's own array)."""
    for line in code.walk_lines(lines):
        for field, value in vars(line).items():
            if isinstance(value, gast.AST) and any(
                    _is_unit_copy(node, is_float_array) for node in trees.nodes(value)
                    if type(node) is gast.BinOp):
                setattr(line, field, _unit_copied(value, is_float_array))


def _is_unit_copy(tree, is_float_array):
    return (isinstance(tree, gast.BinOp) and isinstance(tree.op, gast.Mult)
            and code.is_const(tree.left, 1) and isinstance(tree.right, gast.Name)
            and code.ref_of(tree.right) is not None and code.ref_of(tree.right)[0] == DEF
            and is_float_array(code.ref_of(tree.right)[1]))


def _unit_copied(tree, is_float_array):
    if _is_unit_copy(tree, is_float_array):
        return code.copy_of(tree.right)
    return trees.rewrite_children(tree, lambda child: _unit_copied(child, is_float_array))


def unraising_adjoints(lines, aval_of):
    """Deletes the mark where the adjoints start (``code.ADJOINTS``: the compiled code
    explains an arithmetic error raised after it, see ``srcdiff.backend.failures``) where
    no adjoint statement can raise one: each is a sum, difference or product of Python
    floats and small constants, which overflow to inf rather than raise."""
    start = next((k for k, line in enumerate(lines) if isinstance(line, code.Mark)
                  and line.name == code.ADJOINTS), None)
    if start is None:
        return
    for line in lines[start + 1:]:
        if isinstance(line, code.Comment):
            continue
        if not (isinstance(line, (code.Assign, code.Return))
                and _float_arithmetic(line.value, aval_of)):
            return
    del lines[start]


_NON_RAISING = (gast.Add, gast.Sub, gast.Mult, gast.USub, gast.UAdd)


def _float_arithmetic(tree, aval_of):
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is gast.Name:
            ref = code.ref_of(node)
            if ref is None or ref[0] not in (DEF, ADJ) or type(ref[1]) is tuple:
                return False
            aval = aval_of(ref[1])
            if aval.kind != PY or aval.dtype is not float:
                return False
        elif kind is gast.Constant:
            if type(node.value) not in (int, float) or abs(node.value) > 2 ** 53:
                return False
        elif kind is gast.BinOp or kind is gast.UnaryOp:
            if not isinstance(node.op, _NON_RAISING):
                return False
            stack += [node.left, node.right] if kind is gast.BinOp else [node.operand]
        elif kind is gast.Tuple:
            stack += node.elts
        else:
            return False
    return True
