"""Bad-input battery for the Python API: every public entry point called with wrong types,
None, NaN, empty values, negative and huge dimensions, mismatched shapes and wrong argument
names.

Entry points (found at test time, so new ones are covered): every public callable of
``mx.nd`` and ``mx.sym`` (each symbol is also shape-inferred, since symbol parameters are
validated when shapes are inferred), the methods of ``NDArray``, ``Symbol`` and
``mx.mod.Module``, ``mx.io``'s iterators, ``mx.metric.create``, ``mx.init.*``,
``mx.optimizer.create`` and ``mx.model.*``.

Accepted outcomes, per case:
- a value (many inputs that look bad are legal);
- ``MXNetError`` (the engine's error; its message names the function);
- ``TypeError`` / ``ValueError`` raised deliberately: by a ``raise`` statement in the engine,
  or by Python's own argument binding (``ones() got an unexpected keyword argument 'x'``),
  both of which name the function and the problem;
- ``MemoryError`` whose message names the size that could not be allocated.
A failure is any other exception (``AttributeError``, ``IndexError``, ``KeyError``,
``OverflowError``, ``ZeroDivisionError``... from inside the engine), or a ``TypeError`` /
``ValueError`` that escapes from NumPy, Chainer or the interpreter inside the engine (such
as ``unsupported operand type(s) for +: 'NoneType' and 'int'``): those name neither the
function nor the problem.
"""
import inspect
import math
import os
import pathlib
import re
import resource
import sys
import time
import traceback

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

PYBRIDGE = os.path.dirname(os.path.abspath(mx.__file__))


class _Opaque:
    """An object of a type no function expects."""


def _bad_values():
    return {
        "None": None, "nan": float("nan"), "inf": float("-inf"), "negative": -1, "zero": 0,
        "huge": 10 ** 15, "string": "not-a-valid-value", "empty_str": "", "empty_tuple": (),
        "empty_list": [], "neg_dims": (-2, 3), "huge_dims": (10 ** 7, 10 ** 7),
        "frac_dims": (2.5, 3), "bool": True, "object": _Opaque(), "lambda": lambda x: x,
        "dict": {"a": 1}, "bytes": b"\x00\xff", "complex": 1j,
        "np_empty": np.zeros((0,)), "nd_other": mx.nd.ones((4, 5)),
        "symbol": mx.sym.Variable("x"), "ctx": mx.cpu(),
    }


FEW = ("None", "string", "negative", "huge_dims", "nan", "object")


def _classify(exc, name=""):
    """'clear' or a reason the exception is not clear."""
    if name.endswith("__getitem__") and type(exc) in (IndexError, KeyError):
        # Python's item protocol (iteration stops on IndexError): fine if the engine raised it
        frames = traceback.extract_tb(exc.__traceback__)
        if frames and (frames[-1].line or "").lstrip().startswith("raise"):
            return "clear"
    if isinstance(exc, MXNetError):
        return "clear" if str(exc).strip() else "empty MXNetError message"
    if isinstance(exc, MemoryError):
        return "clear" if "allocate" in str(exc) else f"MemoryError: {exc}"
    if isinstance(exc, (TypeError, ValueError)) and type(exc) in (TypeError, ValueError):
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1] if frames else None
        if last is None or not last.filename.startswith(PYBRIDGE) and len(frames) == 1:
            return "clear"            # raised by the call itself: Python's argument binding
        if last.filename.startswith(PYBRIDGE) and (last.line or "").lstrip().startswith("raise"):
            return "clear" if str(exc).strip() else "empty message"
        return (f"{type(exc).__name__} from inside {os.path.basename(last.filename)}:"
                f"{last.lineno} ({last.line}): {exc}")
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}: {exc}"


def _public_callables(module):
    out = []
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        mod = getattr(obj, "__module__", "") or ""
        if mod and not mod.startswith("pybridge"):
            continue                       # re-exported NumPy / stdlib names
        if mod in ("pybridge.registry", "pybridge.base"):
            continue                       # engine internals imported by the module
        out.append((f"{module.__name__}.{name}", obj))
    return out


def _param_names(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]


def _cases(name, fn, first_valid):
    bad = _bad_values()
    yield "no arguments", (), {}
    for b, v in bad.items():
        yield f"first={b}", (v,), {}
    params = _param_names(fn)
    for p in params[:12]:
        for b in FEW:
            args = () if first_valid is None or p == (params[0] if params else None) \
                else (first_valid(),)
            if args and params and p == params[0]:
                continue
            yield f"{p}={b}", args, {p: bad[b]}
    yield "wrong keyword", (), {"no_such_argument": 1}
    if first_valid is not None:
        yield "valid + wrong keyword", (first_valid(),), {"no_such_argument": 1}
        for b in FEW:
            yield f"valid, second={b}", (first_valid(), bad[b]), {}


def _nd():
    return mx.nd.ones((2, 3))


def _sym():
    return mx.sym.Variable("data")


def _use_symbol(out):
    """Symbols validate their parameters when shapes are inferred: exercise that."""
    if isinstance(out, mx.sym.Symbol):
        out.list_arguments()
        out.infer_shape_partial(data=(2, 3))
        out.tojson()


def _entry_points():
    eps = []
    for name, fn in _public_callables(mx.nd):
        if name.endswith(("NDArray", "waitall")):
            continue
        eps.append((name, fn, _nd, None))
    for name, fn in _public_callables(mx.nd.random):
        eps.append((name, fn, None, None))
    for name, fn in _public_callables(mx.sym):
        if name.endswith(("Symbol", "AttrScope", "NameManager", "Prefix")):
            continue
        eps.append((name, fn, _sym, _use_symbol))
    for meth in ("reshape", "astype", "copyto", "as_in_context", "asscalar", "__getitem__",
                 "__setitem__", "__add__", "__mul__", "__truediv__", "__pow__", "__matmul__"):
        if hasattr(mx.nd.NDArray, meth):
            eps.append((f"NDArray.{meth}", getattr(_nd(), meth), None, None))
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=2, name="fc")
    for meth in ("infer_shape", "infer_type", "simple_bind", "bind", "get_internals",
                 "__getitem__", "attr", "save", "eval", "__call__", "__add__"):
        if hasattr(mx.sym.Symbol, meth):
            eps.append((f"Symbol.{meth}", getattr(net, meth), None, None))
    for cls in (mx.io.NDArrayIter, mx.io.CSVIter, mx.io.MNISTIter):
        eps.append((f"mx.io.{cls.__name__}", cls, None, None))
    eps.append(("mx.metric.create", mx.metric.create, None, None))
    for name in ("Uniform", "Normal", "Xavier", "MSRAPrelu", "Constant", "Orthogonal", "Mixed",
                 "Load", "Bilinear", "create"):
        if hasattr(mx.init, name):
            eps.append((f"mx.init.{name}", getattr(mx.init, name), None, None))
    eps.append(("mx.optimizer.create", mx.optimizer.create, None, None))
    eps.append(("mx.optimizer.get_updater", mx.optimizer.get_updater, None, None))
    for name in ("save_checkpoint", "load_checkpoint", "load_params", "FeedForward"):
        if hasattr(mx.model, name):
            eps.append((f"mx.model.{name}", getattr(mx.model, name), None, None))
    eps.append(("mx.mod.Module", mx.mod.Module, None, None))
    return eps


def _module_methods():
    """(name, bound method, first valid arg) of a Module that is bound and initialized."""
    data = mx.sym.Variable("data")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3, name="fc"),
                               name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
    mod.init_params()
    mod.init_optimizer()
    it = mx.io.NDArrayIter(np.ones((8, 5), np.float32), np.zeros((8,), np.float32), 4)
    out = []
    for meth in ("fit", "score", "predict", "forward", "backward", "update_metric",
                 "set_params", "init_params", "init_optimizer", "reshape", "save_params",
                 "load_params", "save_checkpoint", "get_outputs", "iter_predict",
                 "forward_backward", "bind"):
        if hasattr(mod, meth):
            first = (lambda: it) if meth in ("fit", "score", "predict", "iter_predict") else None
            out.append((f"Module.{meth}", getattr(mod, meth), first, None))
    return out


def _run_battery(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)                       # functions that write files write here
    tried, clear, values, failures = 0, 0, 0, []
    try:
        for name, fn, first_valid, post in _entry_points() + _module_methods():
            for label, args, kwargs in _cases(name, fn, first_valid):
                tried += 1
                try:
                    out = fn(*args, **kwargs)
                    if post is not None:
                        post(out)
                    values += 1
                except Exception as exc:  # noqa: BLE001  (classified below)
                    verdict = _classify(exc, name)
                    if verdict == "clear":
                        clear += 1
                    else:
                        failures.append(f"{name}({label}): {verdict}")
    finally:
        os.chdir(cwd)
    return tried, clear, values, failures


def test_python_battery_gives_clear_errors(tmp_path, recwarn):
    t0 = time.monotonic()
    # An address-space limit for the battery: an allocation that would not fit becomes a
    # MemoryError here instead of the kernel's OOM killer (whatever the overcommit policy).
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + (6 << 30), hard))
    try:
        tried, clear, values, failures = _run_battery(tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print(f"\nbattery (Python): {tried} cases, {clear} clear errors, {values} values, "
          f"{len(failures)} unclear errors, 0 crashes ({time.monotonic() - t0:.0f} s)")
    assert tried > 5000
    assert not failures, f"{len(failures)} unclear errors:\n" + "\n".join(failures[:60])


@pytest.mark.parametrize("exc, verdict", [
    (MXNetError("ones: shape must be ..."), "clear"),
    (MemoryError("Unable to allocate 364. TiB"), "clear"),
    (KeyError("x"), "KeyError"),
    (AttributeError("'NoneType' object has no attribute 'shape'"), "AttributeError"),
])
def test_classifier_rejects_leaks(exc, verdict):
    """The battery can fail: bare engine errors are classified as unclear."""
    assert _classify(exc).startswith(verdict)


def test_classifier_accepts_argument_binding_errors():
    with pytest.raises(TypeError) as info:
        mx.sym.Group()
    assert _classify(info.value) == "clear"


def test_nan_and_inf_reach_no_integer_conversion():
    """Found by the battery: inf/nan for an integer parameter raised OverflowError."""
    for v in (math.inf, math.nan):
        with pytest.raises(MXNetError, match="randint"):
            mx.nd.random.randint(v, 3, shape=(2,))


# ---------------------------------------------------------------- hostile model files
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1")


def _copy_pair(tmp_path, sym_name, params_name, prefix="x"):
    import shutil
    shutil.copy(os.path.join(FIXTURES, sym_name), tmp_path / f"{prefix}-symbol.json")
    shutil.copy(os.path.join(FIXTURES, params_name), tmp_path / f"{prefix}-0000.params")
    return str(tmp_path / prefix)


def test_truncated_checkpoint_pair_is_a_clear_error(tmp_path):
    prefix = _copy_pair(tmp_path, "mlp-symbol.json", "mlp-0000.params")
    params = pathlib.Path(prefix + "-0000.params")
    symbol = pathlib.Path(prefix + "-symbol.json")
    full_params, full_symbol = params.read_bytes(), symbol.read_bytes()
    rng = np.random.RandomState(0)
    for cut in sorted(set(rng.randint(1, len(full_params), 40))) + [0]:
        params.write_bytes(full_params[:cut])
        with pytest.raises(MXNetError, match="x-0000.params"):
            mx.model.load_checkpoint(prefix, 0)
    params.write_bytes(full_params)
    for cut in sorted(set(rng.randint(0, len(full_symbol), 40))):
        symbol.write_bytes(full_symbol[:cut])
        with pytest.raises(MXNetError):
            mx.model.load_checkpoint(prefix, 0)


def test_mismatched_checkpoint_pair_is_a_clear_error_when_used(tmp_path):
    # LeNet's graph with the MLP's parameters: loads (as in MXNet), refused when used
    prefix = _copy_pair(tmp_path, "lenet-symbol.json", "mlp-0000.params")
    sym, arg, aux = mx.model.load_checkpoint(prefix, 0)
    mod = mx.mod.Module(sym, context=mx.cpu())
    mod.bind(data_shapes=[("data", (2, 1, 28, 28))], for_training=False)
    with pytest.raises(MXNetError, match="convolution0_bias is not presented"):
        mod.set_params(arg, aux)
    with pytest.raises(MXNetError, match="'fc1_weight' is not a parameter"):
        mod.set_params(arg, aux, allow_missing=True)
    # same names, wrong shapes: the MLP's symbol with its weights transposed
    sym, arg, aux = mx.model.load_checkpoint(_copy_pair(tmp_path, "mlp-symbol.json",
                                                        "mlp-0000.params", "y"), 0)
    name = next(k for k, v in arg.items() if len(v.shape) == 2 and v.shape[0] != v.shape[1])
    arg[name] = mx.nd.array(arg[name].asnumpy().T)
    mod = mx.mod.Module(sym, context=mx.cpu(), label_names=None)
    data_shape = (2,) + tuple(arg[sym.list_arguments()[1]].shape[1:])
    mod.bind(data_shapes=[("data", data_shape)], for_training=False)
    with pytest.raises(MXNetError, match=name):
        mod.set_params(arg, aux)


def test_huge_num_args_in_a_symbol_file_is_refused_without_allocating():
    """Found by the battery: a Concat with num_args 10**15 built a list of 10**15 names."""
    text = mx.sym.Concat(mx.sym.Variable("a"), mx.sym.Variable("b"), dim=1).tojson()
    text = text.replace('"num_args": "2"', '"num_args": "1000000000000000"')
    assert "1000000000000000" in text
    with pytest.raises(MXNetError, match="num_args"):
        mx.sym.load_json(text)


def test_structure_aware_symbol_json_fuzz_short_run():
    """scripts/fuzz_json.py for a fixed seed and 150 inputs (the long run is the script)."""
    sys.path.insert(0, os.path.join(os.path.dirname(PYBRIDGE), "scripts"))
    import fuzz_json
    res = fuzz_json.run(seconds=60, seed=7, max_inputs=150)
    print(f"\nfuzz_json: {res['inputs']} inputs, {res['outcomes']}, "
          f"{len(res['crashes'])} crashes, slowest {res['slowest_s'] * 1000:.0f} ms")
    assert not res["crashes"], res["crashes"][:3]
    assert res["outcomes"].get("rejected", 0) > 0 and res["outcomes"].get("loaded", 0) > 0


# Calls that could run code found in a file.
_CODE_FROM_DATA = re.compile(r"\b(pickle|cPickle|marshal|shelve|dill)\b|(?<![\w.])(eval|exec)\(|"
                             r"allow_pickle\s*=\s*True|__import__\(|yaml\.load\(|"
                             r"(?<![\w.])compile\(|\bimportlib\.import_module\(")


def test_engine_never_runs_code_from_files():
    """The engine and the bridge use no pickle/marshal/eval/exec (ast.literal_eval, which only
    reads literals, is the one parser outside json); the bridge's import of engine functions
    by dotted name (rshim's entry points) takes names from the R package's code, not files."""
    offenders = []
    root = os.path.dirname(PYBRIDGE)
    for pkg in ("pybridge", "rshim"):
        for dirpath, _, files in os.walk(os.path.join(root, pkg)):
            for fn in files:
                if not fn.endswith(".py"):
                    continue
                path = os.path.join(dirpath, fn)
                with open(path, encoding="utf-8") as f:
                    for no, line in enumerate(f, 1):
                        code = line.split("#", 1)[0]
                        if code.lstrip().startswith("def "):
                            continue
                        if _CODE_FROM_DATA.search(code) and "literal_eval" not in code:
                            offenders.append(f"{os.path.relpath(path, root)}:{no}: {line.strip()}")
    # by design: the entry point that imports an engine function named by the R package's own
    # code, and `python -m rshim script.R` evaluating the R script the user runs
    allowed = [o for o in offenders
               if o.startswith("rshim/entries.py") and "import_module" in o
               or o.startswith("rshim/host.py") and "eval(e, envir = globalenv())" in o]
    assert sorted(set(offenders) - set(allowed)) == [], "\n".join(offenders)
    # the .params / .nd readers parse with struct and NumPy frombuffer only
    ser = open(os.path.join(PYBRIDGE, "ndarray", "serialization.py"), encoding="utf-8").read()
    assert "np.load(" not in ser and "pickle" not in ser


def test_grep_catches_a_pickle_load(tmp_path):
    assert _CODE_FROM_DATA.search("obj = pickle.loads(data)")
    assert _CODE_FROM_DATA.search("np.load(f, allow_pickle=True)")
    assert _CODE_FROM_DATA.search("value = eval(text)")
    assert not _CODE_FROM_DATA.search("value = ast.literal_eval(text)")
