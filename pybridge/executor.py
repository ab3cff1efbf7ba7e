"""Executor: a symbol bound to arrays, run forward and backward many times.

Binding plans once: the nodes in topological order, for each operator its parsed parameters,
the slots its inputs come from and go to, and which auxiliary arrays it updates.  A step then
costs one Python call per operator:

- ``forward(is_train=True)`` with gradients requested builds a Chainer graph: arguments become
  ``chainer.Variable``s over the argument arrays and every op computes with
  ``chainer.functions``; ``backward`` runs Chainer's backpropagation (loss layers provide their
  own gradient) and writes or adds the argument gradients into ``grad_arrays``.
- otherwise (inference, or training with every ``grad_req`` 'null') the ops run on raw arrays
  through the array backend, with no graph.

``outputs``, ``arg_arrays``, ``grad_arrays`` and ``aux_arrays`` are NDArrays that stay the
same objects for the executor's life; results are written into them.
"""
import numpy as np

from ._compat import chainer
from ._compat import F as chainer_functions
from . import inference_plan
from .backend import array_backend
from .base import MXNetError, as_dtype
from .context import Context, current_context
from .ndarray.ndarray import NDArray, _to_device
from .registry import Attrs, OpCall
from .symbol.graph import aux_variables

_REQS = ("write", "add", "null")


def _context(ctx):
    if ctx is None:
        return current_context()
    if isinstance(ctx, (list, tuple)):
        if not ctx:
            raise MXNetError("bind: ctx must be a Context, got an empty list")
        ctx = ctx[0]
    if not isinstance(ctx, Context):
        raise MXNetError(f"bind: ctx must be a Context such as mx.cpu(), got {ctx!r}")
    return ctx


def _by_name(value, names, what, where, required=True):
    """A list in ``names`` order from a list or a dict of NDArrays (None where absent)."""
    if value is None:
        if required and names:
            raise MXNetError(f"{where}: {what} are required for {', '.join(names)}")
        return [None] * len(names)
    if isinstance(value, dict):   # extra entries are ignored, as in MXNet
        out = []
        for name in names:
            array = value.get(name)
            if array is None and required:
                raise MXNetError(f"{where}: key '{name}' not found in the {what} dict")
            out.append(array)
        return out
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise MXNetError(f"{where}: {len(value)} {what} given, the symbol has "
                             f"{len(names)} ({', '.join(names)})")
        return list(value)
    raise MXNetError(f"{where}: {what} must be a list or a dict of NDArrays, "
                     f"got {type(value).__name__}")


def _grad_reqs(grad_req, names):
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise MXNetError(f"bind: grad_req has {len(grad_req)} entries for {len(names)} "
                             "arguments")
        reqs = list(grad_req)
    elif isinstance(grad_req, dict):   # as MXNet: other names are ignored, absent ones 'null'
        reqs = [grad_req.get(n, "null") for n in names]
    else:
        raise MXNetError(f"bind: grad_req must be a string, list or dict, got {grad_req!r}")
    for name, req in zip(names, reqs):
        if req not in _REQS:
            raise MXNetError(f"bind: invalid grad_req '{req}' for '{name}'; expected one of "
                             "write, add, null")
    return reqs


def _describe(exc):
    """An exception's message; its type where the message alone says little (KeyError('x'))."""
    text = str(exc)
    if isinstance(exc, (ValueError, TypeError, IndexError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _completed_shape_param(node, shapes):
    """The node's parameters; an operator without inputs whose ``shape`` parameter has
    unknown (0) dimensions, such as zeros((0, H)) (mx.rnn's default begin states), makes the
    shape inference completed (MXNet's InitShape), or MXNetError when it could not."""
    attrs = node.strict_attrs()
    shape = attrs.get("shape")
    if node.num_inputs() or not shape or 0 not in tuple(shape):
        return attrs
    full = shapes.values.get((id(node), 0))
    if full is None or 0 in full:
        raise MXNetError(f"bind: the shape {tuple(shape)} of '{node.name}' ({node.opdef.name}) "
                         "has unknown (0) dimensions that shape inference could not decide")
    return Attrs(attrs, shape=full)


class Executor:
    """A bound symbol (see the module docstring); made by ``Symbol.bind``/``simple_bind``."""

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        self._symbol = symbol
        self._ctx = ctx = _context(ctx)
        arg_names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        for names, kind in ((arg_names, "argument"), (aux_names, "auxiliary state")):
            if len(set(names)) != len(names):
                dup = sorted({n for n in names if names.count(n) > 1})
                raise MXNetError(f"bind: duplicate {kind} name(s) {', '.join(dup)}")
        self.arg_arrays = _by_name(args, arg_names, "args", "bind")
        self.aux_arrays = _by_name(aux_states, aux_names, "aux_states", "bind")
        if args_grad is None:
            self.grad_arrays = [None] * len(arg_names)
            reqs = ["null"] * len(arg_names)
        else:
            self.grad_arrays = _by_name(args_grad, arg_names, "args_grad", "bind", required=False)
            reqs = _grad_reqs(grad_req, arg_names)
            reqs = [r if g is not None else "null" for r, g in zip(reqs, self.grad_arrays)]
        self._grad_req = dict(zip(arg_names, reqs))
        self._reqs = reqs
        for name, array in zip(arg_names + aux_names, self.arg_arrays + self.aux_arrays):
            if not isinstance(array, NDArray):
                raise MXNetError(f"bind: '{name}' must be an NDArray, got {type(array).__name__}")
        for name, array in zip(arg_names, self.grad_arrays):
            if array is not None and not isinstance(array, NDArray):
                raise MXNetError(f"bind: gradient of '{name}' must be an NDArray")
        for name, array in zip(arg_names * 2 + aux_names,
                               self.arg_arrays + self.grad_arrays + self.aux_arrays):
            if array is not None and array.context.xp is not np and array.context != ctx or \
                    array is not None and (array.context.xp is np) != (ctx.device_type == "cpu"):
                raise MXNetError(f"bind: array '{name}' is on {array.context}, the executor is "
                                 f"bound to {ctx}")
        self._xp = ctx.xp
        self.arg_dict = dict(zip(arg_names, self.arg_arrays))
        self.aux_dict = dict(zip(aux_names, self.aux_arrays))
        self.grad_dict = {n: g for n, g in zip(arg_names, self.grad_arrays) if g is not None}
        self._plan(arg_names, aux_names)
        self._monitor = None
        self._graph = None

    # ------------------------------------------------------------------ planning
    def _plan(self, arg_names, aux_names):
        sym = self._symbol
        known = {n: a.shape for n, a in zip(arg_names, self.arg_arrays)}
        known.update({n: a.shape for n, a in zip(aux_names, self.aux_arrays)})
        from .symbol.infer import infer_shapes, infer_types
        order, shapes = infer_shapes(sym._heads, known)
        for node in order:   # the arrays must have the shapes the graph implies
            if node.is_variable:
                inferred = shapes.values.get((id(node), 0))
                if inferred is not None and inferred != known[node.name]:
                    raise MXNetError(f"bind: shape of '{node.name}' is {known[node.name]}, "
                                     f"the symbol requires {inferred}")
        types = infer_types(sym._heads, {n: a._data.dtype.name for n, a in
                                         zip(arg_names + aux_names,
                                             self.arg_arrays + self.aux_arrays)})[1]
        aux_ids = aux_variables(order)
        slot = {}
        arg_slots = []
        name_to_arg = {n: i for i, n in enumerate(arg_names)}
        name_to_aux = {n: i for i, n in enumerate(aux_names)}
        for node in order:
            if node.is_variable and id(node) not in aux_ids:
                slot[(id(node), 0)] = len(slot)
                arg_slots.append((name_to_arg[node.name], slot[(id(node), 0)]))
        steps = []
        for node in order:
            if node.is_variable:
                continue
            attrs = _completed_shape_param(node, shapes)
            n_in = node.num_inputs()
            ins = []
            for src, index, _ in node.inputs[:n_in]:
                key = (id(src), index)
                if key not in slot:
                    raise MXNetError(f"bind: input {index} of '{src.name}' used by '{node.name}' "
                                     "is not computed")
                ins.append(slot[key])
            aux = []
            for src, _, _ in node.inputs[n_in:]:
                if not src.is_variable or src.name not in name_to_aux:
                    raise MXNetError(f"bind: auxiliary state of '{node.name}' must be a variable")
                aux.append(name_to_aux[src.name])
            n_out = len(node.output_names())
            outs = []
            for i in range(n_out):
                slot[(id(node), i)] = len(slot)
                outs.append(slot[(id(node), i)])
            steps.append((node.opdef, attrs, tuple(ins), tuple(aux), tuple(outs), node.name))
        self._steps = steps
        self._slot_shapes = {s: shapes.values.get(key) for key, s in slot.items()}
        self._inference = None   # (plan, release lists, pool): built by the first CPU inference
        self._arg_slots = arg_slots
        self._n_slots = len(slot)
        self._head_slots = []
        self.outputs = []
        for node, index, _ in sym._heads:
            key = (id(node), index)
            if key not in slot:
                raise MXNetError(f"bind: output {index} of '{node.name}' is not computed")
            self._head_slots.append(slot[key])
            shape = shapes.values.get(key)
            if shape is None:
                raise MXNetError(f"bind: cannot infer the shape of output '{node.name}'")
            dtype = as_dtype(types.values.get(key) or "float32")
            self.outputs.append(NDArray(self._xp.zeros(shape, dtype), self._ctx))
        self._output_names = sym.list_outputs()
        self._needs_grad = any(r != "null" for r in self._grad_req.values())

    @property
    def output_dict(self):
        return dict(zip(self._output_names, self.outputs))

    # ------------------------------------------------------------------ running
    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; keyword NDArrays/arrays are copied into arguments first."""
        for name, value in kwargs.items():
            target = self.arg_dict.get(name)
            if target is None:
                raise MXNetError(f"forward: unknown argument '{name}'; arguments are "
                                 f"{', '.join(self.arg_dict)}")
            self._assign(target, value, name)
        graph = bool(is_train) and self._needs_grad
        xp = self._ctx.xp   # (a GPU context also makes its device current: CuPy allocates there)
        values = [None] * self._n_slots
        arg_vars = None
        if graph:
            arg_vars = []
            reqs = self._reqs
            for i, s in self._arg_slots:
                var = chainer.Variable(self.arg_arrays[i]._data, requires_grad=reqs[i] != "null")
                values[s] = var
                arg_vars.append((i, var))
            F = chainer_functions
        else:
            for i, s in self._arg_slots:
                values[s] = self.arg_arrays[i]._data
            F = array_backend(xp)
        aux_data = [a._data for a in self.aux_arrays]
        monitor = self._monitor
        # CPU inference runs the fused plan (see inference_plan); the monitor wants every op
        if not is_train and not graph and xp is np and monitor is None:
            steps, release, pool = self._inference_plan()
        else:
            steps, release, pool = self._steps, None, None
        try:
            self._run(steps, release, pool, values, aux_data, is_train, graph, xp, F)
            heads = [values[s] for s in self._head_slots]
            for out, value in zip(self.outputs, heads):
                array = value.array if isinstance(value, chainer.Variable) else value
                if array.shape != out._data.shape:
                    out._data = xp.empty(array.shape, out._data.dtype)
                out._data[...] = array
        finally:
            if pool is not None:
                pool.reclaim()
        self._graph = (heads, arg_vars) if graph else None
        return self.outputs

    def _inference_plan(self):
        if self._inference is None:
            pool = inference_plan.BufferPool()
            plan, release = inference_plan.build(self._steps, self._head_slots,
                                                 self._slot_shapes, pool)
            self._inference = plan, release, pool
        return self._inference

    def _run(self, steps, release, pool, values, aux_data, is_train, graph, xp, F):
        monitor = self._monitor
        # type_check off: the operators check their own inputs (saves ~10 us per node)
        with chainer.using_config("train", bool(is_train)), \
                chainer.using_config("enable_backprop", graph), \
                chainer.using_config("type_check", False):
            for i, (op, attrs, ins, aux, outs, name) in enumerate(steps):
                call = OpCall(F, xp, attrs, is_train, [aux_data[j] for j in aux])
                try:
                    result = op.compute(call, *[values[s] for s in ins])
                except MXNetError as exc:
                    raise MXNetError(f"{exc} (in operator '{name}')") from None
                except MemoryError as exc:
                    raise MXNetError(f"{op.name}: out of memory ({exc}) (in operator "
                                     f"'{name}')") from None
                except Exception as exc:   # never a raw Python error from an operator
                    raise MXNetError(f"{op.name}: {_describe(exc)} (in operator "
                                     f"'{name}')") from None
                if len(outs) == 1:
                    values[outs[0]] = result[0] if isinstance(result, (tuple, list)) else result
                else:
                    for s, r in zip(outs, result):
                        values[s] = r
                if not graph:   # an op may hand back a Variable; keep raw arrays flowing
                    for s in outs:
                        if isinstance(values[s], chainer.Variable):
                            values[s] = values[s].array
                if monitor is not None:
                    self._call_monitor(name, op, attrs, [values[s] for s in outs])
                if release is not None:
                    for s in release[i]:
                        pool.give_back(values[s])
                        values[s] = None

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (seeded with ``out_grads``, default ones) into grad_arrays."""
        if not self._needs_grad:
            return
        if self._graph is None:
            raise MXNetError("backward: call forward(is_train=True) before backward()")
        heads, arg_vars = self._graph
        self._ctx.xp    # (a GPU context: make its device current)
        seeds = self._seeds(out_grads, heads)
        outputs, grads = [], []
        for head, seed in zip(heads, seeds):
            if isinstance(head, chainer.Variable) and head.requires_grad:
                outputs.append(head)
                grads.append(chainer.Variable(seed))
        for _, var in arg_vars:
            var.grad_var = None
        if outputs:
            try:
                chainer.backward(outputs, grads)
            except MXNetError:
                raise
            except MemoryError as exc:
                raise MXNetError(f"backward: out of memory ({exc})") from None
            except Exception as exc:   # (a loss layer's or Chainer's own gradient code)
                raise MXNetError(f"backward: {_describe(exc)}") from None
        for i, var in arg_vars:
            req = self._reqs[i]
            if req == "null":
                continue
            target = self.grad_arrays[i]._data
            grad = var.grad
            leaf_seed = [s for h, s in zip(heads, seeds) if h is var]
            if grad is None and leaf_seed:   # an argument that is itself an output
                grad = sum(leaf_seed[1:], leaf_seed[0])
            if req == "write":
                if grad is None:
                    target[...] = 0
                else:
                    target[...] = grad
            elif grad is not None:
                target += grad

    def _seeds(self, out_grads, heads):
        xp = self._xp
        if out_grads is None:
            return [xp.ones(h.shape, h.dtype) for h in heads]
        if isinstance(out_grads, (NDArray, np.ndarray)):
            out_grads = [out_grads]
        out_grads = list(out_grads)
        if len(out_grads) != len(heads):
            raise MXNetError(f"backward: {len(out_grads)} out_grads given for {len(heads)} "
                             "output(s)")
        seeds = []
        for g, h, name in zip(out_grads, heads, self._output_names):
            data = g._data if isinstance(g, NDArray) else xp.asarray(g)
            if tuple(data.shape) != tuple(h.shape):
                raise MXNetError(f"backward: out_grad for '{name}' has shape {tuple(data.shape)}, "
                                 f"expected {tuple(h.shape)}")
            seeds.append(data.astype(h.dtype, copy=False))
        return seeds

    @staticmethod
    def _assign(target, value, name):
        if isinstance(value, NDArray):
            if value.shape != target.shape:
                raise MXNetError(f"forward: '{name}' has shape {value.shape}, the executor was "
                                 f"bound with {target.shape}")
            value.copyto(target)
            return
        array = np.asarray(value) if not hasattr(value, "__cuda_array_interface__") else value
        if tuple(array.shape) != target.shape:
            raise MXNetError(f"forward: '{name}' has shape {tuple(array.shape)}, the executor was "
                             f"bound with {target.shape}")
        target._data[...] = _to_device(array, target._ctx) if isinstance(array, np.ndarray) \
            else array

    # ------------------------------------------------------------------ parameters
    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy named arrays into the arguments and auxiliary states (shapes must match)."""
        for params, targets, kind in ((arg_params, self.arg_dict, "arg_params"),
                                      (aux_params or {}, self.aux_dict, "aux_params")):
            for name, array in params.items():
                target = targets.get(name)
                if target is None:
                    if allow_extra_params:
                        continue
                    raise MXNetError(f'copy_params_from: find name "{name}" in {kind} that is '
                                     f"not in the {'arguments' if kind == 'arg_params' else 'auxiliary states'}")
                shape = tuple(getattr(array, "shape", ()))
                if shape != target.shape:
                    raise MXNetError(f"copy_params_from: parameter '{name}' has shape {shape} in "
                                     f"{kind}, the symbol requires {target.shape}")
                if isinstance(array, NDArray):
                    array.copyto(target)
                else:
                    target._data[...] = _to_device(np.asarray(array), target._ctx)

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes, sharing arrays whose shape is unchanged."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape_partial(**kwargs)
        names = self._symbol.list_arguments() + self._symbol.list_auxiliary_states()
        old = dict(self.arg_dict, **self.aux_dict)
        for name, shape in zip(names, arg_shapes + aux_shapes):
            if name not in kwargs and not partial_shaping and shape and \
                    tuple(shape) != old[name].shape:
                raise MXNetError(f"reshape: shape of unspecified array arg:{name} changed; this "
                                 "can cause the new executor to not share parameters with the "
                                 "old one; set partial_shaping=True if this is intended")
        return simple_bind(self._symbol, self._ctx, dict(self._grad_req), None, self, kwargs)

    def set_monitor_callback(self, callback, monitor_all=False):
        """``callback(name, NDArray)`` for every operator output after each forward."""
        self._monitor = callback

    def _call_monitor(self, name, op, attrs, values):
        names = op.output_names(attrs)
        for label, value in zip(names, values):
            array = value.array if isinstance(value, chainer.Variable) else value
            self._monitor(f"{name}_{label}", NDArray(array.copy(), self._ctx))

    def debug_str(self):
        return self._symbol.debug_str()


def simple_bind(symbol, ctx, grad_req="write", type_dict=None, shared_exec=None, shapes=None):
    """Bind ``symbol`` with new zero arrays of the shapes implied by ``shapes``."""
    ctx = _context(ctx)
    shapes = dict(shapes or {})
    arg_names = symbol.list_arguments()
    aux_names = symbol.list_auxiliary_states()
    arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
    missing = [n for n, s in zip(arg_names + aux_names, arg_shapes + aux_shapes)
               if not s or 0 in s]   # (0: a dimension inference could not decide)
    if missing:
        raise MXNetError(f"simple_bind: cannot infer the shape of {', '.join(missing)}; give "
                         "their shapes as keyword arguments")
    types = dict.fromkeys(arg_names + aux_names, "float32")
    if type_dict:
        known = {k: as_dtype(v, "simple_bind: type_dict").name for k, v in type_dict.items()}
        arg_types, _, aux_types = symbol.infer_type_partial(**known)
        for name, t in zip(arg_names + aux_names, arg_types + aux_types):
            if t is not None:
                types[name] = np.dtype(t).name
    xp = ctx.xp

    def reuse(pool, name, shape, dtype):
        old = pool.get(name) if pool else None
        if old is not None and old.shape == tuple(shape) and old._data.dtype == dtype:
            return old
        return NDArray(xp.zeros(shape, dtype), ctx)

    arg_pool = shared_exec.arg_dict if shared_exec is not None else None
    grad_pool = shared_exec.grad_dict if shared_exec is not None else None
    aux_pool = shared_exec.aux_dict if shared_exec is not None else None
    args = [reuse(arg_pool, n, s, np.dtype(types[n])) for n, s in zip(arg_names, arg_shapes)]
    reqs = _grad_reqs(grad_req, arg_names)
    grads = [None if r == "null" else reuse(grad_pool, n, s, np.dtype(types[n]))
             for n, s, r in zip(arg_names, arg_shapes, reqs)]
    aux = [reuse(aux_pool, n, s, np.dtype(types[n])) for n, s in zip(aux_names, aux_shapes)]
    return Executor(symbol, ctx, args, grads, reqs, aux)
