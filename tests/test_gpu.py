"""mx.gpu(): the no-GPU errors, the CuPy/Chainer adaptations, and GPU-vs-CPU results.

Three kinds of machine run this file:
- no CuPy (the default install): computing on mx.gpu() raises "no GPU available: ...";
- CuPy installed, no usable GPU (a CPU machine with the 'gpu' extra): the same errors, and
  Chainer's GPU code must import next to a modern CuPy (see pybridge/_gpu.py);
- a GPU: every registry operator, the deck's LeNet and a short training run on the GPU must
  agree with the CPU.  These tests skip elsewhere, saying why.
The R side of the no-GPU error is tested in tests/testthat/test_deck.R ("GPU slide").
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pybridge as mx
from pybridge import _gpu

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import gpu_check  # noqa: E402  (the case tables and comparisons of the device check)


def _gpu_usable():
    try:
        mx.nd.zeros((1,), ctx=mx.gpu(0)).wait_to_read()
        return True, ""
    except mx.MXNetError as exc:
        return False, str(exc)


HAVE_GPU, WHY_NOT = _gpu_usable()
HAVE_CUPY = importlib.util.find_spec("cupy") is not None

needs_gpu = pytest.mark.skipif(not HAVE_GPU, reason=f"needs a usable GPU: {WHY_NOT}")
needs_no_gpu = pytest.mark.skipif(HAVE_GPU, reason="a GPU is present: the no-GPU errors "
                                                    "cannot happen here")
needs_cupy = pytest.mark.skipif(not HAVE_CUPY, reason="CuPy is not installed (pip install "
                                                      ".[gpu] / .[gpu13] to run this check)")


# ---------------------------------------------------------------------------- no GPU
def _small_mlp():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def test_gpu_context_is_a_value_anywhere():
    g = mx.gpu()
    assert (g.device_type, g.device_id, g.device_typeid) == ("gpu", 0, 2)
    assert repr(mx.gpu(3)) == "gpu(3)" and mx.gpu(1) == mx.Context("gpu", 1)
    assert mx.gpu(0) != mx.cpu(0) and len({mx.gpu(0), mx.gpu(0), mx.cpu(0)}) == 2
    with mx.gpu(1) as ctx:     # a default context may be set without computing
        assert mx.current_context() == ctx
    assert mx.current_context() == mx.cpu()


@needs_no_gpu
@pytest.mark.parametrize("what", ["ones", "zeros", "array", "arange", "copyto", "as_in_context",
                                  "copyto_ndarray", "default_context", "random"])
def test_computing_on_gpu_without_one_raises(what):
    cpu_arr = mx.nd.ones((2, 3))
    calls = {
        "ones": lambda: mx.nd.ones((2, 3), ctx=mx.gpu()),
        "zeros": lambda: mx.nd.zeros((2,), ctx=mx.gpu(1)),
        "array": lambda: mx.nd.array([1, 2, 3], ctx=mx.gpu()),
        "arange": lambda: mx.nd.arange(5, ctx=mx.gpu()),
        "copyto": lambda: cpu_arr.copyto(mx.gpu()),
        "as_in_context": lambda: cpu_arr.as_in_context(mx.gpu()),
        "copyto_ndarray": lambda: cpu_arr.copyto(mx.nd.NDArray(np.zeros((2, 3), np.float32),
                                                               mx.gpu())),
        "default_context": lambda: _with_default_gpu(lambda: mx.nd.ones((2,))),
        "random": lambda: mx.nd.random.uniform(shape=(2,), ctx=mx.gpu()),
    }
    with pytest.raises(mx.MXNetError, match=r"no GPU available: \S"):
        calls[what]()
    assert cpu_arr.asnumpy().sum() == 6    # the CPU array is untouched


def _with_default_gpu(fn):
    with mx.gpu():
        return fn()


@needs_no_gpu
def test_simple_bind_on_gpu_without_one_raises():
    with pytest.raises(mx.MXNetError, match="no GPU available"):
        _small_mlp().simple_bind(mx.gpu(), data=(4, 5))


@needs_no_gpu
def test_module_on_gpu_without_one_raises():
    mod = mx.mod.Module(_small_mlp(), context=mx.gpu())   # constructing is fine
    with pytest.raises(mx.MXNetError, match="no GPU available"):
        mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])


@needs_no_gpu
def test_feedforward_on_gpu_without_one_raises():
    x = np.random.default_rng(0).random((20, 5)).astype(np.float32)
    y = (np.arange(20) % 3).astype(np.float32)
    model = mx.model.FeedForward(_small_mlp(), ctx=mx.gpu(), num_epoch=1)
    with pytest.raises(mx.MXNetError, match="no GPU available"):
        model.fit(x, y)


@needs_no_gpu
def test_waitall_and_num_gpus_without_gpu():
    mx.nd.waitall()
    assert mx.context.num_gpus() == 0
    mx.nd.ones((2,)).wait_to_read()


@needs_no_gpu
def test_no_gpu_message_says_why():
    msg = WHY_NOT
    if not HAVE_CUPY:
        assert "CuPy is not installed" in msg and "pip install .[gpu]" in msg
    else:   # CuPy is there: the CUDA runtime's own words (no driver, no device, ...)
        assert re.search(r"CUDA|Chainer cannot use CuPy|device", msg), msg


# ------------------------------------------ the checks of _gpu, with a stand-in for CuPy
class _FakeRuntime:
    def __init__(self, count=None, error=None):
        self.count, self.error, self.current = count, error, 0

    def getDeviceCount(self):
        if self.error:
            raise RuntimeError(self.error)
        return self.count

    def setDevice(self, i):
        self.current = i


class _FakeCupy:
    """Just enough of CuPy for _gpu's checks: cuda.runtime.getDeviceCount/setDevice."""
    def __init__(self, **kw):
        self.cuda = type("cuda", (), {})()
        self.cuda.runtime = _FakeRuntime(**kw)


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install a stand-in 'cupy' module and an available Chainer CUDA backend."""
    from chainer.backends import cuda

    def install(chainer_ok=True, **kw):
        fake = _FakeCupy(**kw)
        monkeypatch.setitem(sys.modules, "cupy", fake)
        monkeypatch.setattr(_gpu, "_installed", True)
        monkeypatch.setattr(_gpu, "_ready", {})
        monkeypatch.setattr(cuda, "available", chainer_ok)
        if not chainer_ok:
            monkeypatch.setattr(cuda, "_resolution_error", "libcublasLt.so.13 not found",
                                raising=False)
        return fake
    return install


def test_gpu_checks_report_the_runtime_error(fake_cupy):
    fake_cupy(error="cudaErrorNoDevice: no CUDA-capable device is detected")
    with pytest.raises(mx.MXNetError, match="no GPU available: CUDA reports cudaErrorNoDevice"):
        mx.gpu().xp


def test_gpu_checks_zero_devices_and_device_out_of_range(fake_cupy):
    fake_cupy(count=0)
    with pytest.raises(mx.MXNetError, match="no GPU available: CUDA finds no device"):
        mx.gpu().xp
    fake_cupy(count=2)
    with pytest.raises(mx.MXNetError, match=r"gpu\(2\) requested, 2 device\(s\) present "
                                            r"\(gpu\(0\) to gpu\(1\)\)"):
        mx.gpu(2).xp


def test_gpu_checks_chainer_without_cuda_libraries(fake_cupy):
    fake_cupy(count=1, chainer_ok=False)
    with pytest.raises(mx.MXNetError, match=r"Chainer cannot use CuPy \(libcublasLt"):
        mx.gpu(0).xp


def test_gpu_module_is_cached_and_device_made_current(fake_cupy):
    fake = fake_cupy(count=2)
    assert mx.gpu(0).xp is fake
    assert mx.gpu(1).xp is fake and fake.cuda.runtime.current == 1
    fake.cuda.runtime.error = "must not be asked again"     # both devices are checked now
    assert mx.gpu(0).xp is fake and fake.cuda.runtime.current == 0
    assert mx.gpu(1).xp is fake and fake.cuda.runtime.current == 1


# ------------------------------------------------------ Chainer next to a modern CuPy
def test_import_is_quiet_and_survives_python312_removals():
    """``import pybridge`` warns about nothing (no cuDNN/NCCL noise when CuPy is installed),
    and works when numpy.distutils and pkg_resources are gone (Python 3.12, setuptools>=81),
    which Chainer's own environment check imports."""
    code = textwrap.dedent("""
        import sys, warnings
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name in ("numpy.distutils", "pkg_resources"):
                    raise ImportError(f"{name} is blocked by the test")
        sys.meta_path.insert(0, Block())
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="SciPy is not available")
        import pybridge as mx
        print(float(mx.nd.ones((2, 3)).sum().asscalar()))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                              filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "6.0"


@needs_cupy
def test_chainer_sees_cupy_and_cudnn_is_off():
    from chainer.backends import cuda
    import cupy
    if not cuda.available:
        pytest.skip(f"CuPy {cupy.__version__} is installed without its CUDA libraries "
                    f"({' '.join(str(cuda._resolution_error).split())}); CuPy 14: "
                    "pip install 'cupy-cuda13x[ctk]', older CuPy: a CUDA toolkit")
    assert cuda.cupy is cupy
    if os.environ.get("CHAINER_CUDNN") == "0":
        assert not cuda.cudnn_enabled


@needs_cupy
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # (resolving deprecated names)
def test_chainer_cupy_names():
    """Every ``cupy.X.Y`` name Chainer 7.8.1's code uses resolves in the installed CuPy,
    except the ones _gpu.py documents (cuDNN, removed in CuPy 14 and off by default;
    cupy.util, which Chainer only tries after cupy._util)."""
    import chainer
    import cupy
    root = pathlib.Path(chainer.__file__).parent
    names = set()
    for path in root.rglob("*.py"):
        if "testing" in path.parts:
            continue
        names.update(re.findall(r"\bcupy(?:\.[A-Za-z_]\w*)+", path.read_text(errors="replace")))
    allowed_missing = re.compile(r"cupy\.(cudnn|cuda\.cudnn|util)\b|cupy\.chainer\.org|cupy\.dev"
                                 r"|cupy\.linalg\.einsum")   # (the last: a comment in einsum.py)
    missing = []
    for name in sorted(names):
        if allowed_missing.match(name):
            continue
        obj, parts = cupy, name.split(".")
        for i, part in enumerate(parts[1:], 1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                try:
                    obj = __import__(".".join(parts[:i + 1]), fromlist=["_"])
                except ImportError:
                    missing.append(name)
                    break
            except Exception:    # resolving needs CUDA libraries: the name exists
                break
    assert not missing, f"CuPy {cupy.__version__} lacks names Chainer uses: {missing}"


@needs_cupy
def test_chainer_gpu_function_modules_import():
    """Chainer's GPU code paths (convolution via im2col + cuBLAS, pooling, batch norm, ...)
    import with the installed CuPy, cuDNN or not."""
    from chainer.backends import cuda
    if not cuda.available:
        pytest.skip(f"Chainer cannot use CuPy here: "
                    f"{' '.join(str(cuda._resolution_error).split())}")
    import chainer.functions.connection.convolution_2d as conv
    import chainer.functions.connection.deconvolution_2d  # noqa: F401
    import chainer.functions.normalization.batch_normalization  # noqa: F401
    import chainer.functions.pooling.max_pooling_nd  # noqa: F401
    import chainer.utils.conv as conv_utils
    assert hasattr(conv_utils, "im2col_gpu") and hasattr(conv, "Convolution2DFunction")
    assert conv.Convolution2DFunction.forward_gpu is not None


@needs_cupy
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_engine_array_module_names_exist_in_cupy():
    """Every ``xp.<name>`` the engine calls (its operators are written once against the
    array module) exists in the installed CuPy.  nn_fast.py is CPU-only (its ``xp`` is an
    array there)."""
    import cupy
    names = set()
    for path in (ROOT / "pybridge").rglob("*.py"):
        if path.name == "nn_fast.py":
            continue
        names.update(re.findall(r"\b(?:call\.|self\.|ctx\.)?_?xp\.([A-Za-z_][\w.]*)",
                                path.read_text()))
    assert len(names) > 30
    missing = []
    for name in sorted(names):
        obj = cupy
        for part in name.split("."):
            if not hasattr(obj, part):
                missing.append(name)
                break
            obj = getattr(obj, part)
    assert not missing, f"CuPy {cupy.__version__} lacks: {missing}"


@needs_cupy
def test_random_generator_calls_fit_cupy_randomstate():
    """pybridge.random.Generator calls these CuPy RandomState methods with these arguments."""
    import inspect
    import cupy
    calls = {"random_sample": ((3,), {"dtype": np.float32}),
             "standard_normal": ((3,), {"dtype": np.float32}),
             "randint": ((0, 5), {"size": (3,), "dtype": np.dtype("int32")}),
             "exponential": ((1.0,), {"size": (3,)}), "gamma": ((2.0, 1.0), {"size": (3,)}),
             "poisson": ((3.0,), {"size": (3,)}), "permutation": ((10,), {})}
    for name, (args, kwargs) in calls.items():
        inspect.signature(getattr(cupy.random.RandomState, name)).bind(None, *args, **kwargs)


# ---------------------------------------------------------------------------- with a GPU
@needs_gpu
def test_gpu_arrays_are_cupy_and_copy_both_ways():
    import cupy
    a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3), ctx=mx.gpu())
    assert isinstance(a._data, cupy.ndarray) and a.context == mx.gpu(0)
    b = a.as_in_context(mx.cpu())
    assert isinstance(b._data, np.ndarray) and b.context == mx.cpu()
    assert a.as_in_context(mx.gpu()) is a
    c = mx.nd.zeros((2, 3), ctx=mx.gpu())
    b.copyto(c)
    np.testing.assert_array_equal(c.asnumpy(), np.arange(6).reshape(2, 3))
    assert isinstance(c._data, cupy.ndarray)
    with pytest.raises(mx.MXNetError, match="one context"):
        a + b


@needs_gpu
def test_gpu_ops_are_async_and_synchronize_on_read():
    import cupy
    a = mx.nd.ones((4096, 4096), ctx=mx.gpu())
    c = mx.nd.dot(a, a)
    for _ in range(5):
        c = mx.nd.dot(c, a) * (1.0 / 4096)
    assert not cupy.cuda.get_current_stream().done     # queued, not finished
    c.wait_to_read()
    assert cupy.cuda.get_current_stream().done
    np.testing.assert_allclose(c.asnumpy()[:2, :2], 4096.0, rtol=1e-5)
    mx.nd.waitall()


@needs_gpu
@pytest.mark.parametrize("case", gpu_check.all_cases(), ids=repr)
def test_every_operator_gpu_vs_cpu(case):
    from pybridge.registry import get_op
    op = get_op(case.op)
    for dt in case.dtypes:
        rng = np.random.default_rng(0)
        arrays = [make(rng, dt) for make in case.inputs]
        want = gpu_check._imperative(mx, case, arrays, mx.cpu())
        got = gpu_check._imperative(mx, case, arrays, mx.gpu())
        tol = gpu_check.TOL.get(dt, 0.0)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            assert gpu_check.rel_err(g, w) <= tol, f"{case} [{dt}] imperative"
        if op.symbolic and op.name not in gpu_check.RANDOM_IN_TRAINING:
            params = dict(case.params)
            if op.num_args_key:
                params[op.num_args_key] = len(arrays)
            try:
                want = gpu_check._symbolic(mx, op, params, arrays, mx.cpu(), 1)
            except Exception:
                continue    # not differentiable on the CPU either: forward checked above
            got = gpu_check._symbolic(mx, op, params, arrays, mx.gpu(), 1)
            for g, w in zip(got, want):
                assert gpu_check.rel_err(g, w) <= tol, f"{case} [{dt}] forward/backward"


@needs_gpu
def test_random_samplers_and_coverage_on_gpu():
    results = gpu_check.check_ops(mx, mx.gpu())
    bad = {k: v for k, v in results.items() if v[1].startswith("FAIL")}
    assert not bad, bad


@needs_gpu
def test_lenet_forward_backward_gpu_vs_cpu():
    worst, errs = gpu_check.check_lenet(mx, mx.gpu())
    assert worst <= 1e-4, errs


@needs_gpu
def test_short_training_run_on_gpu():
    rng = np.random.default_rng(0)
    templates = rng.random((3, 8)).astype(np.float32)
    y = rng.integers(0, 3, 600)
    x = (templates[y] + 0.1 * rng.standard_normal((600, 8))).astype(np.float32)
    train = mx.io.NDArrayIter(x, y.astype(np.float32), 50, shuffle=True)
    mod = mx.mod.Module(_small_mlp(), context=mx.gpu())
    mod.fit(train, optimizer="sgd", optimizer_params={"learning_rate": 0.5},
            initializer=mx.init.Xavier(), num_epoch=5, eval_metric="acc")
    arg_params, _ = mod.get_params()
    assert all(p.context == mx.cpu() for p in arg_params.values())
    assert mod._exec.arg_dict["fc_weight"].context == mx.gpu()
    acc = dict(mod.score(mx.io.NDArrayIter(x, y.astype(np.float32), 50), "acc"))["accuracy"]
    assert acc > 0.9


# ------------------------------------------------ found by gpu_check's sweep (on the CPU)
@pytest.mark.parametrize("op,fn", [("_maximum_scalar", np.maximum), ("_minimum_scalar", np.minimum)])
def test_max_min_scalar_in_a_graph(op, fn):
    """mx.sym.maximum(x, 3) trained: Chainer's F.maximum refused an array and a scalar."""
    x = np.array([[1.0, 4.0], [5.0, 2.0]], np.float32)
    sym = getattr(mx.sym, op)(mx.sym.Variable("x"), scalar=3.0)
    grad = mx.nd.zeros((2, 2))
    exe = sym.bind(mx.cpu(), args={"x": mx.nd.array(x)}, args_grad={"x": grad})
    out = exe.forward(is_train=True)[0]
    exe.backward(mx.nd.ones((2, 2)))
    np.testing.assert_array_equal(out.asnumpy(), fn(x, 3.0))
    picked = (x > 3.0) if fn is np.maximum else (x < 3.0)
    np.testing.assert_array_equal(grad.asnumpy(), picked.astype(np.float32))
