"""Slice assignment (_slice_assign / _crop_assign, _slice_assign_scalar / _crop_assign_scalar)
against NumPy's own item assignment on a copy, bad input, symbols and gradients."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, normal
from chainer import gradient_check
from pybridge._compat import F, chainer
from pybridge.registry import OpCall, get_op

F_I = ("float32", "float64", "int32")


def _assigned(x, key, value):
    out = x.copy()
    out[key] = value
    return out


CASES = [
    Case("_slice_assign", lambda x, v, begin, end: _assigned(x, np.s_[1:2, 0:2], v),
         [normal(2, 3, 4), normal(1, 2, 4)], {"begin": (1, 0), "end": (2, 2)}, dtypes=F_I),
    Case("_slice_assign", lambda x, v, begin, end, step: _assigned(x, np.s_[:, ::2, 3:0:-2], v),
         [normal(2, 3, 4), normal(2, 2, 2)],
         {"begin": (None, None, 3), "end": (None, None, 0), "step": (1, 2, -2)}, id="steps"),
    Case("_slice_assign", lambda x, v, begin, end: _assigned(x, np.s_[-2:], v),
         [normal(4, 3), normal(2, 3)], {"begin": "(-2,)", "end": "(None,)"}, id="negative-strings"),
    Case("_crop_assign", lambda x, v, begin, end: _assigned(x, np.s_[0:3, 0:1, 0:2], v),
         [normal(4, 3, 2), normal(3, 1, 2)], {"begin": (0, 0, 0), "end": (3, 1, 2)}),
    Case("_slice_assign", lambda x, v, begin, end: _assigned(x, np.s_[1:9], v),
         [normal(3, 2), normal(2, 2)], {"begin": (1,), "end": (9,)}, id="end-past-the-axis"),
    Case("_slice_assign_scalar", lambda x, begin, end, scalar: _assigned(x, np.s_[:, 1:-1], scalar),
         [normal(2, 3, 4)], {"begin": (None, 1), "end": (None, -1), "scalar": 7}, dtypes=F_I),
    Case("_slice_assign_scalar", lambda x, begin, end, step, scalar: _assigned(x, np.s_[::-2], scalar),
         [normal(5)], {"begin": (None,), "end": (None,), "step": (-2,), "scalar": -1.5}),
    Case("_crop_assign_scalar", lambda x, begin, end: _assigned(x, np.s_[0:1], 0),
         [normal(2, 3)], {"begin": (0,), "end": (1,)}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_input_is_not_modified():
    x = mx.nd.ones((2, 3))
    y = mx.nd._slice_assign(x, mx.nd.zeros((1, 3)), begin=(0,), end=(1,))
    z = mx.nd._slice_assign_scalar(x, begin=(1,), end=(2,), scalar=5)
    np.testing.assert_array_equal(x.asnumpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(y.asnumpy(), [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(z.asnumpy(), [[1, 1, 1], [5, 5, 5]])


def test_integer_scalar_truncates_as_a_cast():
    x = mx.nd.array([1, 2, 3], dtype="int32")
    got = mx.nd._slice_assign_scalar(x, begin=(0,), end=(2,), scalar=-2.7).asnumpy()
    np.testing.assert_array_equal(got, np.array([-2.7, -2.7, 3]).astype(np.int32))


def test_bad_input():
    x = mx.nd.ones((2, 3, 4))
    with pytest.raises(mx.MXNetError, match=r"_slice_assign: rhs has shape \(2, 2, 4\) but the "
                       r"region .* has shape \(1, 2, 4\)"):
        mx.nd._slice_assign(x, mx.nd.zeros((2, 2, 4)), begin=(1, 0), end=(2, 2))
    with pytest.raises(mx.MXNetError, match="_slice_assign: begin .* end .* must have one length"):
        mx.nd._slice_assign(x, mx.nd.zeros((1, 2, 4)), begin=(1, 0), end=(2,))
    with pytest.raises(mx.MXNetError, match="_slice_assign: 4 axes given for an array of 3"):
        mx.nd._crop_assign(x, x, begin=(0, 0, 0, 0), end=(1, 1, 1, 1))
    with pytest.raises(mx.MXNetError, match="_slice_assign: rhs has dtype float64 but lhs has float32"):
        mx.nd._slice_assign(x, mx.nd.zeros((1, 3, 4), dtype="float64"), begin=(1,), end=(2,))
    with pytest.raises(mx.MXNetError, match="_slice_assign: required parameter 'end' is missing"):
        mx.nd._slice_assign(x, x, begin=(0,))
    with pytest.raises(mx.MXNetError, match="_slice_assign_scalar: step must not be zero"):
        mx.nd._slice_assign_scalar(x, begin=(0,), end=(1,), step=(0,))
    with pytest.raises(mx.MXNetError, match="_slice_assign_scalar: invalid value for parameter 'scalar'"):
        mx.nd._slice_assign_scalar(x, begin=(0,), end=(1,), scalar="big")


def test_symbol_shapes_and_bound_graph():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    with mx.sym.NameManager():          # the message names the node: _slice_assign0
        s = mx.sym._slice_assign(a, b, begin=(None, 1), end=(None, 3))
    args, outs, _ = s.infer_shape(a=(4, 5))
    assert args == [(4, 5), (4, 2)] and outs == [(4, 5)]
    with pytest.raises(mx.MXNetError, match=r"_slice_assign0: Shape inconsistent for input 'b', "
                       r"Provided=\(4,3\), inferred shape=\(4,2\)"):
        s.infer_shape(a=(4, 5), b=(4, 3))
    rng = np.random.default_rng(3)
    xa, xb, og = rng.standard_normal((4, 5)), rng.standard_normal((4, 2)), rng.standard_normal((4, 5))
    exe = s.simple_bind(mx.cpu(), a=(4, 5), b=(4, 2))
    exe.arg_dict["a"][:] = xa
    exe.arg_dict["b"][:] = xb
    exe.forward(is_train=True)
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), _assigned(xa, np.s_[:, 1:3], xb), rtol=1e-6)
    exe.backward(mx.nd.array(og))
    # the region's out-grad goes to the assigned values, the rest to the input
    np.testing.assert_allclose(exe.grad_dict["a"].asnumpy(), _assigned(og, np.s_[:, 1:3], 0), rtol=1e-6)
    np.testing.assert_allclose(exe.grad_dict["b"].asnumpy(), og[:, 1:3], rtol=1e-6)


@pytest.mark.parametrize("name,params,inputs", [
    ("_slice_assign", {"begin": (None, 3), "end": (None, 0), "step": (2, -2)},
     [np.random.default_rng(4).standard_normal((5, 4)), np.random.default_rng(5).standard_normal((3, 2))]),
    ("_slice_assign_scalar", {"begin": (1,), "end": (3,), "scalar": 2.0},
     [np.random.default_rng(6).standard_normal((4, 3))]),
])
def test_gradient_matches_finite_differences(name, params, inputs):
    op = get_op(name)
    call = OpCall(F, np, op.parse_attrs(params), True)
    out = op.compute(call, *[chainer.Variable(x) for x in inputs])
    assert isinstance(out, chainer.Variable), "output is not differentiable"
    grad = np.random.default_rng(7).standard_normal(out.shape)
    gradient_check.check_backward(lambda *xs: op.compute(call, *xs), tuple(inputs), grad,
                                  eps=1e-6, atol=1e-6, rtol=1e-6, dtype=np.float64)
