"""Every registered operator must have a NumPy comparison case.

The cases live in the ``CASES`` tables of the tests/test_ops_*.py modules listed below (and
``COVERED_OPS`` where a NumPy formula does not apply, as for random sampling).  Operators of
the nn and loss families are covered by their own test files, named by the rule below.
A new operator without a case makes this test fail.
"""
import importlib
import pathlib

import pybridge  # noqa: F401  (registers every operator)
from pybridge.registry import all_ops

CASE_MODULES = ["test_ops_arith", "test_ops_math", "test_ops_reduce", "test_ops_shape",
                "test_ops_indexing", "test_ops_slice_assign", "test_ops_linalg", "test_ops_random",
                "test_ops_rnn"]

# Operator families tested elsewhere: module prefix of the op's computation -> test file.
EXCLUDED_FAMILIES = {"pybridge.ops.nn": "test_ops_nn.py", "pybridge.ops.loss": "test_ops_loss.py"}


def _covered_ops():
    covered = set()
    for name in CASE_MODULES:
        module = importlib.import_module(name)
        covered.update(case.op for case in getattr(module, "CASES", []))
        covered.update(getattr(module, "COVERED_OPS", []))
    return covered


def _family_test(op):
    for prefix, test_file in EXCLUDED_FAMILIES.items():
        if op.compute.__module__.startswith(prefix):
            return test_file
    return None


def test_every_operator_has_a_numpy_case():
    ops = all_ops()
    covered = {id(ops[name]) for name in _covered_ops() if name in ops}
    unknown = sorted(name for name in _covered_ops() if name not in ops)
    assert not unknown, f"cases name operators that are not registered: {unknown}"
    missing = sorted({op.name for op in ops.values()
                      if id(op) not in covered and _family_test(op) is None})
    assert not missing, f"operators without a NumPy comparison case: {missing}"


def test_excluded_families_name_existing_test_files():
    here = pathlib.Path(__file__).parent
    needed = {_family_test(op) for op in all_ops().values()} - {None}
    absent = sorted(f for f in needed if not (here / f).exists())
    assert not absent, f"operator families excluded here have no test file: {absent}"


def _all_cases():
    for name in CASE_MODULES:
        yield from getattr(importlib.import_module(name), "CASES", [])


def test_shape_and_type_inference_agree_with_computation():
    """For every NumPy case: infer_shape/infer_type (used by symbols) predict what the
    imperative call produces."""
    import numpy as np
    import pybridge as mx
    from pybridge.registry import get_op
    problems = []
    for case, dt in ((c, dt) for c in _all_cases() for dt in c.dtypes):
        rng = np.random.default_rng(0)
        arrays = [make(rng, dt) for make in case.inputs]
        op = get_op(case.op)
        params = dict(case.params)
        if op.num_args_key:
            params[op.num_args_key] = len(arrays)
        attrs = op.parse_attrs({k: (np.dtype(v).name if k == "dtype" and not isinstance(v, str) else v)
                                for k, v in params.items()})
        got = getattr(mx.nd, case.op)(*[mx.nd.array(a, dtype=a.dtype) for a in arrays], **case.params)
        got = got if isinstance(got, list) else [got]
        _, shapes, _ = op.infer_shape(attrs, [a.shape for a in arrays])
        if [tuple(s) for s in shapes] != [g.shape for g in got]:
            problems.append(f"{case} [{dt}]: infer_shape {shapes} vs {[g.shape for g in got]}")
        _, types, _ = op.infer_type(attrs, [a.dtype.name for a in arrays])
        if [np.dtype(t).name for t in types] != [np.dtype(g.dtype).name for g in got]:
            problems.append(f"{case} [{dt}]: infer_type {types} vs {[g.dtype for g in got]}")
        partial = op.infer_shape(attrs, [None] * len(arrays))[1]
        if len(partial) != len(got):
            problems.append(f"{case}: {len(partial)} outputs inferred without shapes, {len(got)} computed")
    assert not problems, "\n".join(problems)
