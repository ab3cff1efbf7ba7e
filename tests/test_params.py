"""Parameter parsing through mx.nd.<op>: strings as MXNet writes them, booleans, dotted keys,
positional parameters, unknown/missing parameters, wrong types and wrong inputs."""
import numpy as np
import pytest

import pybridge as mx

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def nd():
    return mx.nd.array(X)


@pytest.mark.parametrize("value", [(1, 2), [1, 2], "(1, 2)", "[1,2]", "(1,2)"])
def test_axis_tuples_in_any_form(value):
    np.testing.assert_array_equal(mx.nd.sum(nd(), axis=value).asnumpy(), X.sum(axis=(1, 2)))


@pytest.mark.parametrize("value", ["(6, 4)", "[6, 4]", (6.0, 4.0), "(6,4)"])
def test_shape_in_any_form(value):
    assert mx.nd.reshape(nd(), shape=value).shape == (6, 4)


def test_single_int_as_shape_and_string():
    assert mx.nd.tile(mx.nd.ones((2,)), reps="3").shape == (6,)
    assert mx.nd.tile(mx.nd.ones((2,)), reps=3).shape == (6,)


@pytest.mark.parametrize("text,expected", [("True", True), ("true", True), ("1", True), (1, True),
                                           ("False", False), ("false", False), ("0", False), (False, False)])
def test_booleans(text, expected):
    out = mx.nd.sum(nd(), axis=1, keepdims=text)
    assert out.shape == ((2, 1, 4) if expected else (2, 4))


def test_dotted_keys_equal_underscored():
    a, b = mx.nd.ones((3, 4)), mx.nd.ones((5, 4))
    assert mx.nd.dot(a, b, **{"transpose.b": True}).shape == (3, 5)
    out = mx.nd.topk(nd(), **{"ret.typ": "value", "is.ascend": "True", "k": "2"})
    np.testing.assert_array_equal(out.asnumpy(), X[..., :2])
    assert mx.nd.split(nd(), **{"num.outputs": 3, "squeeze.axis": 1})[0].shape == (2, 4)


def test_numbers_as_strings_and_none():
    np.testing.assert_array_equal(mx.nd.clip(nd(), a_min="2", a_max="5.5").asnumpy(), np.clip(X, 2, 5.5))
    assert mx.nd.slice_axis(nd(), axis="2", begin="1", end="None").shape == (2, 3, 3)
    assert mx.nd.argmax(nd(), axis="None").shape == (1,)
    assert mx.nd.cast(nd(), dtype="'float64'").dtype == np.float64


def test_positional_parameters_in_schema_order():
    np.testing.assert_array_equal(mx.nd.clip(nd(), 3, 4).asnumpy(), np.clip(X, 3, 4))
    assert mx.nd.expand_dims(nd(), 0).shape == (1, 2, 3, 4)
    with pytest.raises(mx.MXNetError, match="clip: parameter 'a_min' given twice"):
        mx.nd.clip(nd(), 1, 2, a_min=1)
    with pytest.raises(mx.MXNetError, match="expand_dims: too many positional arguments"):
        mx.nd.expand_dims(nd(), 0, 1)


def test_inputs_by_keyword():
    out = mx.nd.dot(lhs=mx.nd.ones((2, 3)), rhs=mx.nd.ones((3, 4)))
    assert out.shape == (2, 4)
    out = mx.nd.take(mx.nd.array(X), indices=mx.nd.array([1]))
    assert out.shape == (1, 3, 4)


def test_unknown_parameter():
    with pytest.raises(mx.MXNetError, match="sum: unknown parameter 'axes'"):
        mx.nd.sum(nd(), axes=1)


def test_missing_parameter_and_input():
    with pytest.raises(mx.MXNetError, match="expand_dims: required parameter 'axis' is missing"):
        mx.nd.expand_dims(nd())
    with pytest.raises(mx.MXNetError, match="dot: missing input"):
        mx.nd.dot(mx.nd.ones((2, 2)))
    with pytest.raises(mx.MXNetError, match="exp: unknown input 'x'"):
        mx.nd.exp(x=mx.nd.ones((2, 2)))


@pytest.mark.parametrize("op,params,message", [
    ("sum", {"axis": "one"}, "sum: invalid value for parameter 'axis'"),
    ("sum", {"keepdims": "maybe"}, "sum: invalid value for parameter 'keepdims'"),
    ("sum", {"keepdims": 2}, "sum: invalid value for parameter 'keepdims'"),
    ("Reshape", {"shape": "(2, x)"}, "Reshape: invalid value for parameter 'shape'"),
    ("Reshape", {"shape": (2.5, 4)}, "Reshape: invalid value for parameter 'shape'"),
    ("expand_dims", {"axis": 1.5}, "expand_dims: invalid value for parameter 'axis'"),
    ("expand_dims", {"axis": True}, "expand_dims: invalid value for parameter 'axis'"),
    ("clip", {"a_min": "low", "a_max": 1}, "clip: invalid value for parameter 'a_min'"),
    ("topk", {"ret_typ": 3}, "topk: invalid value for parameter 'ret_typ'"),
    ("one_hot", {"depth": 3, "dtype": "float128"}, "one_hot: invalid value for parameter 'dtype'"),
])
def test_wrong_types(op, params, message):
    with pytest.raises(mx.MXNetError, match=message):
        getattr(mx.nd, op)(nd(), **params)


def test_wrong_input_shapes():
    with pytest.raises(mx.MXNetError, match="dot: shape mismatch"):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)))
    with pytest.raises(mx.MXNetError, match="transpose: axes"):
        mx.nd.transpose(nd(), axes=(0, 1))
    with pytest.raises(mx.MXNetError, match="slice: 3 axes given"):
        mx.nd.slice(mx.nd.ones((2, 2)), begin=(0, 0, 0), end=(1, 1, 1))


def test_too_many_inputs():
    with pytest.raises(mx.MXNetError, match="exp: expected 1 input array"):
        mx.nd.exp(mx.nd.ones((2,)), mx.nd.ones((2,)))


def test_parse_attrs_from_json_strings():
    """A symbol file's attributes are all strings; they parse to the same values."""
    from pybridge.registry import get_op
    op = get_op("topk")
    attrs = op.parse_attrs({"axis": "-1", "k": "3", "ret_typ": "both", "is_ascend": "False",
                            "dtype": "float32"})
    assert attrs == {"axis": -1, "k": 3, "ret_typ": "both", "is_ascend": False, "dtype": "float32"}
    op = get_op("slice")
    attrs = op.parse_attrs({"begin": "(None, 1)", "end": "(2, None)", "step": "()"})
    assert attrs.begin == (None, 1) and attrs.end == (2, None) and attrs.step == ()


def test_parsed_parameters_are_cached_by_value_and_type():
    a = nd()
    assert mx.nd.expand_dims(a, axis=1).shape == (2, 1, 3, 4)
    with pytest.raises(mx.MXNetError, match="expand_dims: invalid value for parameter 'axis'"):
        mx.nd.expand_dims(a, axis=True)          # equal to 1, but a boolean: still rejected
    assert mx.nd.sum(a, axis=[0, 1]).shape == (4,)   # unhashable value: parsed, not cached
    assert mx.nd.sum(a, axis=[0, 1]).shape == (4,)
    for i in range(100):                          # more distinct calls than the cache holds
        assert mx.nd.slice_axis(a, axis=2, begin=0, end=1 + i % 4).shape == (2, 3, 1 + i % 4)


@pytest.mark.parametrize("call,message", [
    (lambda: mx.nd.tile(nd(), reps=(10**12,)), "tile: out of memory"),
    (lambda: mx.nd.random.uniform(shape=(10**12,)), "_random_uniform: out of memory"),
    (lambda: mx.nd.zeros((10**12,)), "zeros: out of memory"),
    (lambda: mx.nd.one_hot(nd(), depth=10**12), "one_hot: out of memory"),
    (lambda: mx.nd.softmax(nd(), temperature=0), "softmax: temperature must not be zero"),
    (lambda: mx.nd._arange(start=float("inf")), "_arange: start, stop and step must be finite"),
    (lambda: mx.nd.concat(nd(), nd(), num_args=10**12), "Concat: num_args is 1000000000000 but 2"),
    (lambda: mx.nd.add_n(nd(), num_args=3), "add_n: num_args is 3 but 1"),
])
def test_hostile_values_raise_mxnet_errors(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()
