"""The CPU inference plan of a bound executor: operator chains fused into single steps, and
their results written into buffers reused from one forward pass to the next.

``forward(is_train=False)`` on the CPU runs this plan instead of one step per operator:

- a 2-D Convolution followed, as long as each intermediate result has the next operator as its
  only reader and is not an output of the symbol, by any of (in this order) a BatchNorm, an
  elemwise_add and a relu Activation: one im2col + sgemm pass (``ops.nn_infer.conv2d``).  The
  BatchNorm is folded into the weights and bias: with ``s = gamma / sqrt(moving_var + eps)``,
  ``conv(x, w) * s + beta - moving_mean * s == conv(x, w * s) + (beta - moving_mean * s)``,
  equal up to float rounding; the weights the user sees are not changed;
- a BatchNorm, optionally followed by a relu Activation: one pass;
- a 2-D max Pooling, on channel-last memory.

Results of these steps come from a pool of arrays owned by the executor: taken when a step
runs, given back when the last step reading them has run (those steps never return views of
their inputs), all given back at the end of the pass.  The next pass reuses the same memory,
where fresh arrays would cost page faults that measured as much as 30% of a ResNet-18 pass.
A fused step whose inputs are not all float32 or all float64 runs the original operators
one by one.
"""
import numpy as np

from .ops.nn_conv import conv_out_size
from .ops.nn_conv import geometry as conv_geometry
from .ops.nn_infer import affine_relu, conv2d, max_pool2d
from .ops.nn_norm import inference_affine
from .ops.nn_pool import geometry as pool_geometry
from .registry import OpCall


class BufferPool:
    """Arrays lent by (shape, dtype) and given back for reuse."""

    def __init__(self):
        self._free = {}
        self._lent = {}

    def __call__(self, shape, dtype):
        dtype = np.dtype(dtype)
        stack = self._free.get((shape, dtype.str))
        array = stack.pop() if stack else np.empty(shape, dtype)
        self._lent[id(array)] = array
        return array

    def give_back(self, value):
        base = value if getattr(value, "base", None) is None else value.base
        array = self._lent.pop(id(base), None)
        if array is not None:
            self._free.setdefault((array.shape, array.dtype.str), []).append(array)

    def reclaim(self):
        for array in list(self._lent.values()):
            self.give_back(array)


# ------------------------------------------------------------------ fused steps
class _Fused:
    """One step of the plan standing for ``steps`` (original executor steps, in order).
    ``ins``: the slots it reads; ``aux``: the auxiliary-state indices of its BatchNorm."""
    op_kinds = ()

    def __init__(self, steps, ins, pool):
        self.steps, self.ins, self.pool = steps, ins, pool
        self.name = steps[0][0].name   # (error messages name the first operator)
        self.aux = tuple(j for st in steps for j in st[3])

    def compute(self, call, *values):
        arrays = dict(zip(self.ins, values))
        if call.xp is np and _same_float_dtype(values):
            return self.fast(call, arrays)
        return self.fallback(call, arrays)

    def fallback(self, call, arrays):
        """The original operators one by one (what the executor would have run)."""
        aux = list(call.aux)
        for op, attrs, ins, aux_idx, outs, _ in self.steps:
            sub = OpCall(call.F, call.xp, attrs, call.is_train, aux[:len(aux_idx)])
            aux = aux[len(aux_idx):]
            result = op.compute(sub, *[arrays[s] for s in ins])
            arrays[outs[0]] = result[0] if isinstance(result, (tuple, list)) else result
        return arrays[self.steps[-1][4][0]]


def _same_float_dtype(values):
    """All float32 or all float64 (the dtypes BLAS computes in)."""
    dtypes = {getattr(v, "dtype", None) for v in values}
    return len(dtypes) == 1 and dtypes.pop() in (np.float32, np.float64)


class FusedConv(_Fused):
    """Convolution [-> BatchNorm] [-> elemwise_add] [-> relu]."""

    def fast(self, call, arrays):
        conv = self.steps[0]
        a, ins = conv[1], conv[2]
        x, w = arrays[ins[0]], arrays[ins[1]]
        bias = arrays[ins[2]] if len(ins) == 3 else None
        scale = residual = None
        relu = False
        prev = conv[4][0]
        for op, attrs, s_ins, _, outs, _ in self.steps[1:]:
            if op.name == "BatchNorm":
                scale, shift = inference_affine(attrs, np, arrays[s_ins[1]], arrays[s_ins[2]],
                                                call.aux[0], call.aux[1], x.dtype.type)
                bias = shift if bias is None else bias * scale + shift
            elif op.name == "elemwise_add":
                residual = arrays[s_ins[1] if s_ins[0] == prev else s_ins[0]]
            else:
                relu = True
            prev = outs[0]
        kernel, stride, dilate, pad = conv_geometry("Convolution", a, x.ndim)
        out_shape = (x.shape[0], a.num_filter) + tuple(
            conv_out_size(*v) for v in zip(x.shape[2:], kernel, stride, dilate, pad))
        if residual is not None and residual.shape != out_shape:
            return self.fallback(call, arrays)   # (elemwise_add reports the mismatch)
        return conv2d(x, w, bias, stride, pad, dilate, scale=scale, residual=residual,
                      relu=relu, out=self.pool)


class FusedBatchNorm(_Fused):
    """BatchNorm [-> relu] without batch statistics."""

    def fast(self, call, arrays):
        _, attrs, ins, _, _, _ = self.steps[0]
        x = arrays[ins[0]]
        scale, shift = inference_affine(attrs, np, arrays[ins[1]], arrays[ins[2]], call.aux[0],
                                        call.aux[1], x.dtype.type)
        return affine_relu(x, scale, shift, relu=len(self.steps) == 2, out=self.pool)


class FusedMaxPool(_Fused):
    def fast(self, call, arrays):
        _, attrs, ins, _, _, _ = self.steps[0]
        x = arrays[ins[0]]
        kernel, stride, pad, outs = pool_geometry(attrs, tuple(x.shape[2:]))
        return max_pool2d(x, kernel, stride, pad, outs, out=self.pool)


# ------------------------------------------------------------------ matching
def _is_relu(step):
    return step[0].name == "Activation" and step[1].act_type == "relu"


def _is_bn(step):
    a = step[1]
    return step[0].name == "BatchNorm" and a.axis in (1, -3) and not a.output_mean_var and \
        len(step[3]) == 2


def _starts(step, shapes):
    """The fused kind a step can start, or None (structure only; dtypes are checked per pass)."""
    op, a, ins = step[0].name, step[1], step[2]
    if not ins or len(shapes.get(ins[0]) or ()) != 4:   # (zero-input ops: run as they are)
        return None
    if op == "Convolution" and len(a.kernel) == 2 and a.num_group == 1 and \
            a.layout in (None, "NCHW"):
        return FusedConv
    if _is_bn(step):
        return FusedBatchNorm
    if op == "Pooling" and a.pool_type == "max" and not a.global_pool and len(a.kernel) == 2 \
            and a.layout in (None, "NCHW"):
        return FusedMaxPool
    return None


def build(steps, head_slots, in_shapes, pool):
    """(plan steps, release lists): ``release[i]`` are the slots whose pool arrays go back
    after plan step i.  ``in_shapes``: {slot: shape} of every slot."""
    readers = {}
    for i, step in enumerate(steps):
        for s in step[2]:
            readers.setdefault(s, []).append(i)
    heads = set(head_slots)

    def sole_reader(slot):
        r = readers.get(slot, [])
        return r[0] if len(r) == 1 and slot not in heads else None

    taken, plan_at = set(), {}
    for i, step in enumerate(steps):
        kind = _starts(step, in_shapes)
        if kind is None or i in taken or len(step[4]) != 1:
            continue
        chain = [i]
        if kind is FusedConv:
            stages = ["BatchNorm", "elemwise_add", "relu"]
        elif kind is FusedBatchNorm:
            stages = ["relu"]
        else:
            stages = []
        while stages:
            j = sole_reader(steps[chain[-1]][4][0])
            if j is None or j in taken:
                break
            nxt, out = steps[j], steps[chain[-1]][4][0]
            name = "relu" if _is_relu(nxt) else nxt[0].name
            if name not in stages:
                break
            if name == "BatchNorm" and (not _is_bn(nxt) or nxt[2][0] != out):
                break            # (the BatchNorm must read the convolution as its data)
            if name == "elemwise_add" and nxt[2][0] == nxt[2][1]:
                break
            stages = stages[stages.index(name) + 1:]
            chain.append(j)
        taken.update(chain)
        group = [steps[k] for k in chain]
        internal = {steps[k][4][0] for k in chain[:-1]}
        ins = tuple(dict.fromkeys(s for st in group for s in st[2] if s not in internal))
        fused = kind(group, ins, pool)
        last = steps[chain[-1]]
        plan_at[chain[-1]] = (fused, None, ins, fused.aux, last[4], group[0][5])
    plan = [plan_at.get(i, step) for i, step in enumerate(steps)
            if i in plan_at or i not in taken]
    return plan, _releases(plan, heads)


def _releases(plan, heads):
    """After which plan step each fused result can go back to the pool: its last reader has
    run, every reader is a fused step (they never return views of their inputs)."""
    last, only_fused = {}, {}
    fused_out = {step[4][0] for step in plan if isinstance(step[0], _Fused)}
    for i, step in enumerate(plan):
        for s in step[2]:
            last[s] = i
            only_fused[s] = only_fused.get(s, True) and isinstance(step[0], _Fused)
    release = [[] for _ in plan]
    for s in fused_out - heads:
        if s in last and only_fused[s]:
            release[last[s]].append(s)
    return release
