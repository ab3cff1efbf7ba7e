"""mx.autograd: record imperative NDArray computations and differentiate them, as MXNet 1.x.

Inside ``record()`` an operator whose inputs include a marked variable (``attach_grad``) or a
recorded result runs on Chainer Variables with ``chainer.functions`` (the same operator code
a bound executor runs), and its outputs keep their Variable; ``backward`` runs Chainer's
backpropagation and writes the leaves' gradients into their ``grad`` buffers by grad_req.
Operators on arrays outside any graph run on raw arrays, as without autograd (MXNet records
only operators with an input in a graph).
"""
import weakref

from ._compat import F as chainer_functions
from ._compat import chainer
from .base import MXNetError
from .ndarray import ndarray as _nd
from .ndarray.ndarray import NDArray

_STATE = _nd._AUTOGRAD
_GRAD_REQS = ("null", "write", "add")
# marked variables: id(Variable) -> the NDArray owning it (weak: the array may be dropped)
_LEAVES = weakref.WeakValueDictionary()

_NOT_IN_GRAPH = (
    "Cannot differentiate node because it is not in a computational graph. You need to set "
    "is_recording to true or use autograd.record() to save computational graphs for backward. "
    "If you want to differentiate the same graph twice, you need to pass retain_graph=True "
    "to backward.")


# ---------------------------------------------------------------------- state
def set_recording(is_recording):  # pylint: disable=redefined-outer-name
    """Set recording on or off; returns the previous state."""
    prev = _STATE.recording
    _STATE.recording = bool(is_recording)
    return prev


def set_training(train_mode):  # pylint: disable=redefined-outer-name
    """Set training mode (Dropout, BatchNorm) on or off; returns the previous state."""
    prev = _STATE.training
    _STATE.training = bool(train_mode)
    return prev


def is_recording():
    return _STATE.recording


def is_training():
    return _STATE.training


class _RecordingStateScope:
    """Sets recording/training on entry (None: unchanged) and restores them on exit."""

    def __init__(self, is_record, train_mode):  # pylint: disable=redefined-outer-name
        self._enter_is_record = is_record
        self._enter_train_mode = train_mode
        self._prev_is_record = None
        self._prev_train_mode = None

    def __enter__(self):
        if self._enter_is_record is not None:
            self._prev_is_record = set_recording(self._enter_is_record)
        if self._enter_train_mode is not None:
            self._prev_train_mode = set_training(self._enter_train_mode)

    def __exit__(self, ptype, value, trace):
        if self._enter_is_record is not None and self._prev_is_record != self._enter_is_record:
            set_recording(self._prev_is_record)
        if self._enter_train_mode is not None and self._prev_train_mode != self._enter_train_mode:
            set_training(self._prev_train_mode)


def record(train_mode=True):  # pylint: disable=redefined-outer-name
    """Scope in which computations are recorded for ``backward`` (training mode by default)."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):  # pylint: disable=redefined-outer-name
    """Scope in which nothing is recorded (inside a ``record`` scope)."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """Scope in which operators run in training mode (recording unchanged)."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """Scope in which operators run in inference mode (recording unchanged)."""
    return _RecordingStateScope(None, False)


# ---------------------------------------------------------------------- variables
def mark_variables(variables, gradients, grad_reqs="write"):
    """Mark NDArrays as variables; their gradients go into ``gradients`` by ``grad_reqs``."""
    if isinstance(variables, NDArray):
        if not isinstance(gradients, NDArray):
            raise MXNetError("mark_variables: 'gradients' must be an NDArray when 'variables' "
                             f"is one, got {type(gradients).__name__}")
        variables, gradients = [variables], [gradients]
    variables, gradients = list(variables), list(gradients)
    if len(variables) != len(gradients):
        raise MXNetError(f"mark_variables: {len(variables)} variables but {len(gradients)} "
                         "gradients")
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if len(reqs) != len(variables):
        raise MXNetError(f"mark_variables: {len(reqs)} grad_reqs for {len(variables)} variables")
    for i, (x, g, req) in enumerate(zip(variables, gradients, reqs)):
        if not isinstance(x, NDArray) or not isinstance(g, NDArray):
            raise MXNetError(f"mark_variables: variable and gradient {i} must be NDArrays")
        if req not in _GRAD_REQS:
            raise MXNetError(f"mark_variables: invalid grad_req '{req}'; expected one of "
                             "'write', 'add', 'null'")
        if g.shape != x.shape:
            raise MXNetError(f"mark_variables: gradient {i} has shape {g.shape}, its variable "
                             f"{x.shape}")
        var = chainer.Variable(x._data, requires_grad=req != "null")
        x._var, x._grad, x._grad_req = var, (None if req == "null" else g), req
        _LEAVES[id(var)] = x


def _is_leaf(var):
    owner = _LEAVES.get(id(var))
    return owner is not None and owner._var is var


# ---------------------------------------------------------------------- recording
def _run(op, attrs, inputs, out):
    """run_op while recording or in training mode (installed into the NDArray module)."""
    training = _STATE.training
    graph = False
    if _STATE.recording:
        for x in inputs:
            if getattr(x, "_var", None) is not None:
                graph = True
                break
    with chainer.using_config("train", training):
        if not graph:
            return _nd.run_op(op, attrs, inputs, out, training)
        values = []
        for x in inputs:
            var = getattr(x, "_var", None)
            if var is None:
                var = chainer.Variable(x._data, requires_grad=False)
            elif var.creator is None and var.array is not x._data:
                var.array = x._data   # a leaf whose array was replaced (copyto keeps it)
            values.append(var)
        with chainer.using_config("enable_backprop", True), \
                chainer.using_config("type_check", False):
            return _nd.run_op(op, attrs, inputs, out, training, chainer_functions, values)


_STATE.run = _run


# ---------------------------------------------------------------------- differentiation
def _parse_head(heads, head_grads, where):
    if isinstance(heads, NDArray):
        heads = [heads]
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    heads = list(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    head_grads = list(head_grads)
    if len(heads) != len(head_grads):
        raise MXNetError(f"{where}: heads and head_grads must be lists of the same length "
                         f"({len(heads)} vs {len(head_grads)})")
    vars_, seeds = [], []
    for i, (h, g) in enumerate(zip(heads, head_grads)):
        if not isinstance(h, NDArray):
            raise MXNetError(f"{where}: head {i} must be an NDArray, got {type(h).__name__}")
        var = getattr(h, "_var", None)
        if var is None or (var.creator is None and not _is_leaf(var)):
            raise MXNetError(f"{where}: {_NOT_IN_GRAPH}")
        xp = h._ctx.xp
        if g is None:
            seed = xp.ones(h.shape, h._data.dtype)
        else:
            if not isinstance(g, NDArray):
                raise MXNetError(f"{where}: head_grads[{i}] must be an NDArray or None, got "
                                 f"{type(g).__name__}")
            if g.shape != h.shape:
                raise MXNetError(f"{where}: head_grads[{i}] has shape {g.shape}, its head "
                                 f"{h.shape}")
            seed = g._data.astype(h._data.dtype, copy=False)
        vars_.append(var)
        seeds.append(seed)
    return heads, vars_, seeds


def _reachable_leaves(vars_):
    """The marked variables the graph of ``vars_`` reaches (each once)."""
    seen, leaves, stack = set(), [], [v.node for v in vars_]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        creator = node.creator_node
        if creator is None:
            var = node.get_variable_or_none()
            if var is not None and _is_leaf(var):
                leaves.append(var)
        else:
            stack.extend(n for n in creator.inputs if n is not None)
    return leaves


def _release(heads, vars_):
    """Free the recorded graph behind ``heads`` (MXNet clears it after backward)."""
    for h, var in zip(heads, vars_):
        if var.creator is not None:
            var.unchain_backward()
            h._var = None


def _chainer_backprop(run, where):
    try:
        return run()
    except MXNetError:
        raise
    except MemoryError as exc:
        raise MXNetError(f"{where}: out of memory ({exc})") from None
    except Exception as exc:   # (an operator's or Chainer's own gradient code)
        raise MXNetError(f"{where}: {type(exc).__name__}: {exc}") from None


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):  # pylint: disable=redefined-outer-name
    """Gradients of ``heads`` w.r.t. the marked variables, written into their ``grad``."""
    heads, vars_, seeds = _parse_head(heads, head_grads, "backward")
    leaves = _reachable_leaves(vars_)
    for leaf in leaves:
        leaf.grad_var = None
    outputs = [v for v in vars_ if v.creator is not None and v.requires_grad]
    if outputs:
        grads = [chainer.Variable(s) for v, s in zip(vars_, seeds)
                 if v.creator is not None and v.requires_grad]
        with chainer.using_config("train", bool(train_mode)):
            _chainer_backprop(lambda: chainer.backward(outputs, grads), "backward")
    for leaf in leaves:
        owner = _LEAVES[id(leaf)]
        grad = leaf.grad
        for v, s in zip(vars_, seeds):   # a head that is itself a variable
            if v is leaf:
                grad = s if grad is None else grad + s
        leaf.grad_var = None
        if owner._grad is None:    # grad_req 'null'
            continue
        target = owner._grad._data
        if owner._grad_req == "write":
            target[...] = 0 if grad is None else grad
        elif owner._grad_req == "add" and grad is not None:
            target += grad
    if not retain_graph:
        _release(heads, vars_)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):  # pylint: disable=redefined-outer-name
    """Gradients of ``heads`` w.r.t. ``variables``, returned as new NDArrays (the variables'
    ``grad`` buffers are left alone). ``create_graph`` records them for higher order.
    A list even for a single NDArray in ``variables``, as MXNet 1.9.1 returns."""
    heads, vars_, seeds = _parse_head(heads, head_grads, "grad")
    variables = [variables] if isinstance(variables, NDArray) else list(variables)
    if not variables:
        raise MXNetError("grad: variables cannot be an empty list.")
    inputs = []
    for i, x in enumerate(variables):
        var = getattr(x, "_var", None) if isinstance(x, NDArray) else None
        if var is None or not _is_leaf(var) or not var.requires_grad:
            raise MXNetError(f"grad: Cannot differentiate with respect to the {i + 1}-th "
                             "variable because it does not require gradient.")
        inputs.append(var)
    retain_graph = create_graph if retain_graph is None else retain_graph
    pairs = [(v, s) for v, s in zip(vars_, seeds) if v.creator is not None and v.requires_grad]
    if pairs:
        def run():
            return chainer.grad([v for v, _ in pairs], inputs,
                                [chainer.Variable(s) for _, s in pairs],
                                enable_double_backprop=bool(create_graph))
        with chainer.using_config("train", bool(train_mode)):
            gvars = _chainer_backprop(run, "grad")
    else:
        gvars = [None] * len(inputs)
    out = []
    for x, var, g in zip(variables, inputs, gvars):
        for v, s in zip(vars_, seeds):   # a head that is itself one of the variables
            if v is var:
                g = chainer.Variable(s) if g is None else g + s
        xp = x._ctx.xp
        if g is None:
            out.append(NDArray(xp.zeros_like(x._data), x._ctx))
        else:
            nd = NDArray(g.array, x._ctx)
            if create_graph and g.creator is not None:
                nd._var = g
            out.append(nd)
    if not retain_graph:
        _release(heads, vars_)
    return out



# ---------------------------------------------------------------------- custom functions
class Function:
    """A differentiable function with a hand-written gradient: subclass it and define
    ``forward(*inputs)`` and ``backward(*output_grads)`` on NDArrays (both run unrecorded);
    ``backward`` returns one gradient per input.  Each instance may be called once."""

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError("Function: Each Function instance can only be called once. "
                             "Please create another instance.")
        self._used = True
        prev = set_recording(False)
        try:
            outputs = self.forward(*inputs)
        finally:
            set_recording(prev)
        if not prev or not any(getattr(x, "_var", None) is not None for x in inputs):
            return outputs
        outs = (outputs,) if isinstance(outputs, NDArray) else tuple(outputs)
        in_vars = [x._var if getattr(x, "_var", None) is not None
                   else chainer.Variable(x._data, requires_grad=False) for x in inputs]
        out_vars = _CustomNode(self, outs).apply(in_vars)
        for out, var in zip(outs, out_vars):
            out._var = var
        return outputs

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def backward(self, *output_grads):
        raise NotImplementedError(f"{type(self).__name__}.backward is not defined")


class _CustomNode(chainer.FunctionNode):
    """A Function's call in a Chainer graph: forward hands back the outputs computed already,
    backward calls the Function's ``backward`` on NDArrays."""

    def __init__(self, function, outs):
        super().__init__()
        self._function, self._outs = function, outs

    def forward(self, inputs):
        self._ins = [(x.shape, x.dtype) for x in inputs]
        return tuple(o._data for o in self._outs)

    def backward(self, indexes, grad_outputs):
        name = type(self._function).__name__
        ctx = self._outs[0]._ctx
        xp = ctx.xp
        ograds = [NDArray(g.array if g is not None else xp.zeros(o.shape, o._data.dtype), ctx)
                  for g, o in zip(grad_outputs, self._outs)]
        prev = set_recording(False)
        try:
            rets = self._function.backward(*ograds)
        finally:
            set_recording(prev)
        rets = (rets,) if isinstance(rets, NDArray) else tuple(rets)
        if len(rets) != len(self._ins):
            raise MXNetError(f"{name}.backward must return exactly the same number of NDArrays "
                             "as the number of NDArrays arguments to forward. Expecting "
                             f"{len(self._ins)} got {len(rets)}")
        for r, (shape, _) in zip(rets, self._ins):
            if not isinstance(r, NDArray):
                raise MXNetError("autograd.Function.backward must return NDArrays, not "
                                 f"{type(r).__name__}")
            if r.shape != tuple(shape):
                raise MXNetError(f"{name}.backward: a gradient has shape {r.shape}, its input "
                                 f"{tuple(shape)}")
        return tuple(chainer.Variable(rets[i]._data.astype(self._ins[i][1], copy=False))
                     for i in indexes)
