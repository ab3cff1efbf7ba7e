"""Shape and type inference over a symbol graph.

Known shapes (from the caller, or a variable's ``__shape__`` attribute) are propagated through
every operator's ``infer_shape`` until nothing changes: forward (outputs from inputs) and
backward (weights from data, completed by the operator).  Disagreements raise MXNetError naming
the operator node and the input, as MXNet's "Shape inconsistent" error.

Shapes follow MXNet 1.x's legacy rule: a 0 is an unknown dimension (``zeros((0, H))``, the
default begin states of mx.rnn cells; a variable's ``__shape__``).  Such partial shapes merge
with what the graph says elsewhere (MXNet's shape_assign).  The operators' inference functions
only ever see fully known shapes: ``_Solver._partial_node`` runs them with probe sizes for the
unknown dimensions and completes inputs backward from known outputs.
"""
import numpy as np

from ..base import MXNetError, as_dtype, literal
from ..ops._util import infer_same_as_first
from ..registry import _same_shape
from .graph import topo_order

_SAME_SHAPE = (_same_shape, infer_same_as_first)

# MXNet's dtype flags (``__dtype__`` attributes store these numbers).
DTYPE_FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
               "int64": 6, "bool": 7}
FLAG_DTYPES = {v: k for k, v in DTYPE_FLAGS.items()}


def _as_shape(value, where):
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise MXNetError(f"{where}: a shape must be a tuple of integers, got {value!r}") from None
    if any(d < 0 for d in shape):
        raise MXNetError(f"{where}: invalid shape {shape}")
    return shape


def _var_shape(node):
    text = node.attrs.get("__shape__")
    if text is None:
        return None
    value = literal(text)
    if isinstance(value, int):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise MXNetError(f"variable '{node.name}': invalid __shape__ attribute {text!r}")
    shape = _as_shape(value, f"variable '{node.name}'")
    return shape or None   # MXNet: () is an unknown shape, a 0 an unknown dimension


def _var_dtype(node):
    text = node.attrs.get("__dtype__")
    if text is None:
        return None
    try:
        return FLAG_DTYPES[int(text)]
    except (ValueError, KeyError):
        return as_dtype(text, f"variable '{node.name}'").name


def _partial(shape):
    """A shape with an unknown dimension: MXNet 1.x's legacy rule, 0 means unknown."""
    return shape is not None and 0 in shape


def _merge(old, new):
    """Two shapes of which either may have unknown (0) dimensions as one, or None where they
    disagree (MXNet's shape_assign)."""
    if len(old) != len(new) or any(a and b and a != b for a, b in zip(old, new)):
        return None
    return tuple(a or b for a, b in zip(old, new))


# Sizes (primes) that stand for an unknown dimension while an operator infers shapes.
_PROBES = (7919, 7907)


def _shapes(values):
    return [None if s is None else tuple(int(d) for d in s) for s in values]


def _agreed(a, b):
    """Shapes from two probe runs: dimensions that differ are unknown (0)."""
    return [None if x is None or y is None or len(x) != len(y) else
            tuple(p if p == q else 0 for p, q in zip(x, y)) for x, y in zip(a, b)]


class _Solver:
    """Propagates one attribute (shape or dtype) through the graph."""

    def __init__(self, order, kind):
        self.order, self.kind = order, kind
        self.values = {}   # (id(node), index) -> value

    def set(self, node, index, value, where):
        key = (id(node), index)
        old = self.values.get(key)
        if value is None:
            return False
        if old is None:
            self.values[key] = value
            return True
        if self.kind == "shape" and old != value and (_partial(old) or _partial(value)):
            merged = _merge(old, value)
            if merged is not None:
                self.values[key] = merged
                return merged != old
        if old != value:
            what = "Shape" if self.kind == "shape" else "Type"
            raise MXNetError(f"Error in operator {where}: {what} inconsistent, "
                             f"Provided={_fmt(old)}, inferred {self.kind}={_fmt(value)}")
        return False

    def get(self, entry):
        return self.values.get((id(entry[0]), entry[1]))

    def run(self):
        """Alternate forward and backward sweeps until nothing changes (as MXNet does); a
        backward sweep carries shapes known at the end of a chain back to its start."""
        ops = [n for n in self.order if not n.is_variable]
        sweeps = (ops, ops[::-1])
        for i in range(100):
            changed = False
            for node in sweeps[i % 2]:
                changed |= self._node(node)
            if not changed and i > 0:
                return

    def _elementwise(self, op):
        if self.kind == "shape":
            return op._infer_shape in _SAME_SHAPE
        return op._infer_type is None

    def _same(self, ins, out):
        """A same-shape operator's inputs completed from each other and the output (known
        dimensions of partial shapes merged); unchanged where they disagree (the operator
        reports that)."""
        known = [v for v in list(ins) + [out] if v is not None]
        if self.kind != "shape" or not known:
            return [out if v is None else v for v in ins] if out is not None else ins
        merged = known[0]
        for v in known[1:]:
            merged = merged and _merge(merged, v)
        if merged is None:
            return [out if v is None else v for v in ins] if out is not None else ins
        return [merged if v is None or _partial(v) else v for v in ins]

    def _complete(self, node, op, attrs, ins, full):
        """Unknown (0) dimensions of partial inputs that the rest of the operator decides, as
        MXNet's operators fill them in (FullyConnected: the batch size from its output; RNN:
        a state's batch size from the data).  A value is taken from the dimensions of the
        known inputs and outputs when it alone fits (the operator accepts it and its outputs
        agree with the known ones) and a size no shape has (_PROBES[0]) does not fit: the
        operator constrains that dimension."""
        outs = [self.values.get((id(node), i)) for i in range(len(node.output_names()))]

        def fits(i, shape):
            trial = list(full)
            trial[i] = shape
            try:
                got = _shapes(op.infer_shape(attrs, trial)[1])
            except Exception:
                return False
            return all(o is None or g is None or _merge(o, g) is not None
                       for o, g in zip(outs, got))

        sizes = sorted({d for v in full + outs if v is not None for d in v if d})
        found = {}
        for i, shape in enumerate(ins):
            if not _partial(shape) or shape.count(0) != 1:
                continue
            fill = lambda c: tuple(c if d == 0 else d for d in shape)   # noqa: E731
            good = [c for c in sizes if fits(i, fill(c))]
            if len(good) == 1 and not fits(i, fill(_PROBES[0])):
                found[i] = fill(good[0])
        return found

    def _partial_node(self, node, op, attrs, ins, entries, n_in):
        """One operator with partial input shapes.  Operators compute with known sizes only, so
        the unknown dimensions are given two sizes no shape has (_PROBES): what comes out the
        same both times does not depend on them and is known, the rest stays unknown (0).
        Inputs are also completed backward from known outputs (``_complete``)."""
        changed = False
        if self._elementwise(op):   # (ins already merged with each other and the output)
            merged = next(v for v in ins if v is not None)
            for entry in entries[:n_in]:
                changed |= self.set(entry[0], entry[1], merged, node.name)
            return self.set(node, 0, merged, node.name) or changed
        full = [None if _partial(v) else v for v in ins]
        for i, shape in self._complete(node, op, attrs, ins, full).items():
            changed |= self.set(entries[i][0], entries[i][1], shape, node.name)
        runs = []
        for size in _PROBES:
            trial = [tuple(size if d == 0 else d for d in v) if _partial(v) else v for v in ins]
            try:
                new_in, outs, aux = op.infer_shape(attrs, trial)
            except Exception:   # (a real inconsistency is reported once the sizes are known)
                return changed
            runs.append([_shapes(new_in), _shapes(outs), _shapes(aux or [])])
        (new_in, outs, aux), other = runs
        new_in, outs, aux = (_agreed(a, b) for a, b in zip((new_in, outs, aux), other))
        for entry, value in zip(entries[:n_in], new_in):
            changed |= self.set(entry[0], entry[1], value, node.name)
        for entry, value in zip(entries[n_in:], aux):
            changed |= self.set(entry[0], entry[1], value, node.name)
        for i, value in enumerate(outs):
            changed |= self.set(node, i, value, node.name)
        return changed

    def _blame(self, node, op, attrs, ins, entries):
        """Name the input whose known value contradicts the others, MXNet-style."""
        infer = op.infer_shape if self.kind == "shape" else op.infer_type
        for i, (value, entry) in enumerate(zip(ins, entries)):
            if value is None:
                continue
            trial = list(ins)
            trial[i] = None
            try:
                inferred = infer(attrs, trial)[0][i]
            except Exception:
                continue
            if inferred is not None:
                inferred = tuple(inferred) if self.kind == "shape" else np.dtype(inferred).name
                if inferred != value:
                    what = "Shape" if self.kind == "shape" else "Type"
                    raise MXNetError(
                        f"Error in operator {node.name}: {what} inconsistent for input "
                        f"'{entry[0].name}', Provided={_fmt(value)}, inferred "
                        f"{self.kind}={_fmt(inferred)}")

    def _node(self, node):
        op = node.opdef
        attrs = node.strict_attrs()
        n_in = node.num_inputs()
        entries = node.inputs
        ins = [self.get(e) for e in entries[:n_in]]
        if self._elementwise(op):   # same-shape ops infer backward too, and merge partials
            ins = self._same(ins, self.values.get((id(node), 0)))
        if self.kind == "shape" and any(_partial(v) for v in ins):
            return self._partial_node(node, op, attrs, ins, entries, n_in)
        try:
            if self.kind == "shape":
                new_in, outs, aux = op.infer_shape(attrs, ins)
            else:
                new_in, outs, aux = op.infer_type(attrs, ins)
        except MXNetError as exc:
            self._blame(node, op, attrs, ins, entries[:n_in])
            raise MXNetError(f"Error in operator {node.name}: {exc}") from None
        except Exception as exc:   # an inference function that needs more known inputs
            if any(s is None for s in ins):
                return False
            raise MXNetError(f"Error in operator {node.name}: {self.kind} inference failed: "
                             f"{exc}") from None
        changed = False
        if self.kind == "shape":
            new_in = [None if s is None else tuple(int(d) for d in s) for s in new_in]
            outs = [None if s is None else tuple(int(d) for d in s) for s in outs]
            aux = [None if s is None else tuple(int(d) for d in s) for s in (aux or [])]
        else:
            new_in = [None if t is None else np.dtype(t).name for t in new_in]
            outs = [None if t is None else np.dtype(t).name for t in outs]
            aux = [None if t is None else np.dtype(t).name for t in (aux or [])]
        for entry, value in zip(entries[:n_in], new_in):
            changed |= self.set(entry[0], entry[1], value, f"{node.name}")
        for entry, value in zip(entries[n_in:], aux):
            changed |= self.set(entry[0], entry[1], value, f"{node.name}")
        for i, value in enumerate(outs):
            changed |= self.set(node, i, value, node.name)
        return changed


def _fmt(value):
    if isinstance(value, tuple):
        return "(" + ",".join(str(d) for d in value) + ")"
    return str(value)


def infer_shapes(heads, known):
    """{(id(node), index): shape} for the graph under ``heads``; ``known``: {var name: shape}."""
    order = topo_order([e[0] for e in heads])
    solver = _Solver(order, "shape")
    for node in order:
        if node.is_variable:
            shape = known.get(node.name)
            shape = _var_shape(node) if shape is None else shape
            if shape is not None:
                solver.set(node, 0, shape, node.name)
    solver.run()
    return order, solver


def infer_types(heads, known):
    """{(id(node), index): dtype name}; ``known``: {var name: dtype name}."""
    order = topo_order([e[0] for e in heads])
    solver = _Solver(order, "type")
    for node in order:
        if node.is_variable:
            dtype = known.get(node.name) or _var_dtype(node)
            if dtype is not None:
                solver.set(node, 0, dtype, node.name)
    solver.run()
    return order, solver
