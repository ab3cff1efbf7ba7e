"""Gradients of operators in a Chainer graph (``call.F`` = chainer.functions, Variables in)
against finite differences (chainer.gradient_check, float64)."""
import numpy as np
import pytest

from pybridge._compat import F, chainer
from chainer import gradient_check
from pybridge.registry import OpCall, get_op
import pybridge  # noqa: F401  (registers operators)

rng = np.random.default_rng(1)


def arr(*shape, lo=None):
    x = rng.standard_normal(shape)
    return np.abs(x) + lo if lo is not None else x


def distinct(*shape):
    """Values far apart (max/min/sort are not differentiable at ties)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64) * 0.5


# (op, params, differentiable inputs, constant inputs appended after them)
GRAD_CASES = [
    ("exp", {}, [arr(3, 4)], []), ("log", {}, [arr(3, 4, lo=0.5)], []),
    ("sigmoid", {}, [arr(3, 4)], []), ("tanh", {}, [arr(3, 4)], []),
    ("rsqrt", {}, [arr(3, 4, lo=0.5)], []), ("arcsin", {}, [np.tanh(arr(5)) * 0.9], []),
    ("softmax", {"axis": 0, "temperature": 2.0}, [arr(3, 4)], []),
    ("log_softmax", {}, [arr(3, 4)], []),
    ("gammaln", {}, [arr(3, 4, lo=0.3)], []), ("gamma", {}, [arr(6, lo=0.3)], []),
    ("gammaln", {}, [-arr(6, lo=0.1) - 0.0], []),
    ("cbrt", {}, [arr(3, 4, lo=0.2)], []), ("softsign", {}, [arr(3, 4)], []),
    ("reciprocal", {}, [arr(3, 4, lo=0.5)], []),
    ("clip", {"a_min": -0.5, "a_max": 0.5}, [np.array([-1.0, -0.2, 0.1, 0.9])], []),
    ("sum", {"axis": 1}, [arr(3, 4)], []), ("mean", {"axis": (0, 2), "keepdims": True}, [arr(2, 3, 4)], []),
    ("max", {"axis": 1}, [distinct(3, 4)], []), ("prod", {"axis": 0}, [arr(3, 4, lo=0.5)], []),
    ("norm", {}, [arr(3, 4)], []), ("norm", {"ord": 1, "axis": 1}, [arr(3, 4, lo=0.1)], []),
    ("nansum", {"axis": 0}, [arr(3, 4)], []),
    ("dot", {}, [arr(3, 4), arr(4, 5)], []),
    ("dot", {"transpose_a": True}, [arr(2, 3, 4), arr(2, 5)], []),
    ("dot", {"transpose_b": True}, [arr(3, 4), arr(5, 4)], []),
    ("batch_dot", {"transpose_b": True}, [arr(2, 3, 4), arr(2, 5, 4)], []),
    ("Reshape", {"shape": (0, -1)}, [arr(2, 3, 4)], []),
    ("transpose", {"axes": (2, 0, 1)}, [arr(2, 3, 4)], []),
    ("Concat", {"num_args": 2, "dim": 0}, [arr(2, 3), arr(1, 3)], []),
    ("stack", {"num_args": 2, "axis": 1}, [arr(2, 3), arr(2, 3)], []),
    ("SliceChannel", {"num_outputs": 2, "axis": 1, "squeeze_axis": True}, [arr(3, 2)], []),
    ("slice", {"begin": (None, 1), "end": (None, None), "step": (2, 1)}, [arr(4, 3)], []),
    ("slice_axis", {"axis": 0, "begin": 1, "end": None}, [arr(4, 3)], []),
    ("take", {"axis": 1}, [arr(3, 4)], [np.array([[0.0, 3.0], [3.0, 1.0]])]),
    ("pick", {"axis": 1}, [arr(3, 4)], [np.array([0.0, 3.0, 1.0])]),
    ("tile", {"reps": (2, 1)}, [arr(2, 3)], []), ("repeat", {"repeats": 2, "axis": 0}, [arr(2, 3)], []),
    ("broadcast_to", {"shape": (4, 3)}, [arr(1, 3)], []),
    ("broadcast_axis", {"axis": 0, "size": 4}, [arr(1, 3)], []),
    ("reverse", {"axis": (0, 1)}, [arr(2, 3)], []), ("SwapAxis", {"dim1": 0, "dim2": 2}, [arr(2, 3, 4)], []),
    ("expand_dims", {"axis": 1}, [arr(2, 3)], []), ("squeeze", {}, [arr(2, 1, 3)], []),
    ("Flatten", {}, [arr(2, 3, 4)], []),
    ("Cast", {"dtype": "float32"}, [arr(2, 3)], []),
    ("add_n", {"num_args": 3}, [arr(2, 3), arr(2, 3), arr(2, 3)], []),
    ("_copy", {}, [arr(2, 3)], []),
    ("broadcast_like", {}, [arr(1, 3)], [np.ones((4, 3))]),
    ("reshape_like", {}, [arr(2, 6)], [np.ones((3, 4))]),
]


@pytest.mark.parametrize("name,params,inputs,consts", GRAD_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(GRAD_CASES)])
def test_gradient_matches_finite_differences(name, params, inputs, consts):
    op = get_op(name)
    call = OpCall(F, np, op.parse_attrs(params), True)

    def func(*xs):
        out = op.compute(call, *xs, *consts)
        outs = out if isinstance(out, (list, tuple)) else [out]
        # Cast makes float32; compare in float64
        return tuple(F.cast(o, np.float64) if o.dtype != np.float64 else o for o in outs)

    outs = func(*[chainer.Variable(x) for x in inputs])
    grads = tuple(rng.standard_normal(o.shape) for o in outs)
    assert all(isinstance(o, chainer.Variable) for o in outs), "output is not differentiable"
    # Cast goes through float32: a linear map, so a large step keeps rounding out of the way
    eps, tol = (1e-1, 1e-4) if name == "Cast" else (1e-6, 1e-5)
    gradient_check.check_backward(func, tuple(inputs), grads, eps=eps, atol=tol, rtol=tol,
                                          dtype=np.float64)


def test_graph_forward_equals_imperative():
    """The same compute, in a graph and imperatively, gives the same values."""
    import pybridge as mx
    x = arr(3, 4)
    for name, params in [("softmax", {"axis": 0}), ("norm", {"axis": 1}), ("topk", {"k": 2, "ret_typ": "value"}),
                         ("sum", {}), ("sort", {})]:
        op = get_op(name)
        out = op.compute(OpCall(F, np, op.parse_attrs(params), False), chainer.Variable(x))
        out = out.array if isinstance(out, chainer.Variable) else out
        want = getattr(mx.nd, name)(mx.nd.array(x, dtype="float64"), **params).asnumpy()
        np.testing.assert_allclose(out, want, rtol=1e-12, err_msg=name)
