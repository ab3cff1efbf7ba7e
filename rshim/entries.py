"""The bridge's entry points: routines the R package calls with ``.Call``.

Each entry takes raw SEXP arguments and returns a SEXP.  Nothing escapes as a Python
exception: an error comes back as a character vector with attribute ``mx.cond = "error"``,
and Python warnings raised during the call come back as ``list(value, warnings)`` with
``mx.cond = "warnings"``; R/bridge.R turns both into R conditions.

``.Call`` hands the arguments over as C arguments; ``.External`` (one pairlist, walked with a
C call per step) is kept only for ``set_callback_runner``, which the package's start-up calls.
"""
import importlib
import warnings

from . import _rapi as R
from . import convert, handles
from .callbacks import set_runner

_pending_warnings = []
_callbacks = {}      # name -> cffi callback (kept alive: R holds only their addresses)
_ENTRIES = {}


def _showwarning(message, category, filename, lineno, file=None, line=None):
    _pending_warnings.append(str(message))


def _message(exc):
    from pybridge.base import MXNetError
    if isinstance(exc, (MXNetError, convert.ConversionError, LookupError)):
        msg = str(exc)
        if isinstance(exc, KeyError) and msg.startswith("'"):
            msg = msg.strip("'")
        return msg
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_sexp(exc):
    # Ctrl-C while the engine runs arrives as KeyboardInterrupt (Python's SIGINT handler);
    # R/bridge.R turns it into R's own "interrupt" condition.
    interrupted = isinstance(exc, KeyboardInterrupt)
    with R.Protect() as prot:
        v = prot(R.mk_str("interrupted by the user" if interrupted else _message(exc)))
        R.set_attr(v, "mx.cond", R.mk_str("interrupt" if interrupted else "error"))
        return v


def _with_warnings(res):
    msgs = list(_pending_warnings)
    _pending_warnings.clear()
    with R.Protect() as prot:
        prot(res)
        out = prot(R.alloc(R.VECSXP, 2))
        R.rlib.SET_VECTOR_ELT(out, 0, res)
        R.rlib.SET_VECTOR_ELT(out, 1, R.str_vector(msgs, prot))
        R.set_attr(out, "mx.cond", R.mk_str("warnings"))
        return out


def _guarded(fn):
    """``fn`` made safe to return into R: exceptions and warnings become values."""
    def run(*args):
        try:
            res = fn(*args)
            if _pending_warnings:
                res = _with_warnings(res)
            return res
        except BaseException as exc:   # noqa: B036  (nothing may unwind into R)
            _pending_warnings.clear()
            return _error_sexp(exc)
    return run


def _register(fn, signature, run):
    cb = R.ffi.callback(signature, run)
    _callbacks[fn.__name__] = cb
    _ENTRIES[fn.__name__] = cb
    return fn


def entry(fn):
    """Make ``fn(*sexp_args) -> sexp`` a ``.Call`` routine (registered in _ENTRIES)."""
    arity = fn.__code__.co_argcount
    return _register(fn, f"SEXP ({', '.join(['SEXP'] * arity) or 'void'})", _guarded(fn))


def external_entry(fn):
    """Make ``fn(*sexp_args) -> sexp`` an ``.External`` routine (arguments as a pairlist)."""
    rlib = R.rlib
    arity = fn.__code__.co_argcount
    guarded = _guarded(fn)

    def run(args):
        argv = []
        args = rlib.CDR(args)                        # skip the routine itself
        nil = R.constants()[0]
        while args != nil:
            argv.append(rlib.CAR(args))
            args = rlib.CDR(args)
        if len(argv) != arity:
            return _error_sexp(TypeError(f"{fn.__name__}: expected {arity} arguments, "
                                         f"got {len(argv)}"))
        return guarded(*argv)
    return _register(fn, "SEXP (SEXP)", run)


def _mx():
    import pybridge
    return pybridge


def _nd_arg(x, what):
    obj = handles.lookup(x)
    if obj is not None and isinstance(obj, _mx().nd.NDArray):
        return obj
    hid = convert.handle_id(x)
    if hid is None:
        if x.sxpinfo.type == R.EXTPTRSXP and "MXNDArray" in R.class_names(x):
            # e.g. restored by load()/readRDS(): external pointers do not survive a session
            raise LookupError(f"{what} is an MXNDArray that no longer exists (released, or "
                              "from another R session)")
        raise convert.ConversionError(f"{what} must be an MXNDArray, got an R "
                                      f"{convert._r_type_name(x)}")
    obj = handles.get(hid)
    if not isinstance(obj, _mx().nd.NDArray):
        raise convert.ConversionError(f"{what} must be an MXNDArray")
    return obj


_new_id = convert.new_handle      # the R object (handle) of a new engine NDArray


# ------------------------------------------------------------------ NDArray essentials
@entry
def nd_from_r(x, ctx):
    """R numeric vector/array -> NDArray (dimension rule, float32) on ctx."""
    mx = _mx()
    context = convert.r_context(ctx) if not R.is_null(ctx) else mx.current_context()
    host = convert.r_array_to_numpy(x)
    if host.ndim == 0 or R.is_null(R.attr(x, "dim")):
        host = host.reshape(-1)
    data = host if context.device_type == "cpu" else context.xp.asarray(host)
    return _new_id(mx.nd.NDArray(data, context))


@entry
def nd_to_r(x):
    with R.Protect() as prot:
        return convert.ndarray_to_r(_nd_arg(x, "the argument"), prot)


@entry
def nd_dim(x):
    shape = _nd_arg(x, "the argument").shape
    with R.Protect() as prot:
        return R.int_vector(list(shape[::-1]), prot)


@entry
def nd_size(x):
    return R.mk_real(_nd_arg(x, "the argument").size)


@entry
def nd_ctx(x):
    with R.Protect() as prot:
        return convert.context_to_r(_nd_arg(x, "the argument").context, prot)


# ------------------------------------------------------------------ operators
# R's Ops generic -> (array op, scalar op with the NDArray on the left, ... on the right)
_OPS = {
    "+": ("_plus", "_plus_scalar", "_plus_scalar"),
    "-": ("_minus", "_minus_scalar", "_rminus_scalar"),
    "*": ("_mul", "_mul_scalar", "_mul_scalar"),
    "/": ("_div", "_div_scalar", "_rdiv_scalar"),
    "%%": ("_mod", "_mod_scalar", "_rmod_scalar"),
    "^": ("_power", "_power_scalar", "_rpower_scalar"),
    "==": ("_equal", "_equal_scalar", "_equal_scalar"),
    "!=": ("_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    ">": ("_greater", "_greater_scalar", "_lesser_scalar"),
    ">=": ("_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "<": ("_lesser", "_lesser_scalar", "_greater_scalar"),
    "<=": ("_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
    "&": ("_logical_and", "_logical_and_scalar", "_logical_and_scalar"),
    "|": ("_logical_or", "_logical_or_scalar", "_logical_or_scalar"),
}
_UNARY = {"-": ("_rminus_scalar", 0.0), "+": ("_plus_scalar", 0.0), "!": ("_equal_scalar", 0.0)}


_objects = handles._objects
_rlib = R.rlib


def _operand(x, generic):
    t = x.sxpinfo.type
    if t == R.EXTPTRSXP:
        obj = handles.lookup(x)
        if obj is None:
            return _nd_arg(x, "an operand"), True        # raises the reason
        if not isinstance(obj, _mx().nd.NDArray):
            raise convert.ConversionError(
                f"`{generic}`: MXNDArray operations only support MXNDArray and numeric scalar "
                f"operands, got an R {convert._r_type_name(x)}")
        return obj, True
    elif t == R.REALSXP and _rlib.Rf_xlength(x) == 1:
        return _rlib.REAL(x)[0], False
    elif t in (R.INTSXP, R.LGLSXP) and _rlib.Rf_xlength(x) == 1:
        v = R.scalar(x)
        return (float("nan") if v is None else float(v)), False
    raise convert.ConversionError(
        f"`{generic}`: MXNDArray operations only support MXNDArray and numeric scalar operands, "
        f"got an R {convert._r_type_name(x)}" + (f" of length {R.length(x)}"
                                                  if t in (R.REALSXP, R.INTSXP, R.LGLSXP) else ""))


_op_cache = {}


def _cached_op(name):
    entry_ = _op_cache.get(name)
    if entry_ is None:
        from pybridge.registry import get_op
        op = get_op(name)
        entry_ = _op_cache[name] = (op, op.parse_attrs({}) if "scalar" not in op.params else None)
    return entry_


def _generic_name(x):
    return R.ffi.string(R.rlib.R_CHAR(R.rlib.STRING_ELT(x, 0))).decode()


_engine = []


def _engine_ops():
    if not _engine:
        from pybridge.ndarray.ndarray import NDArray, run_op
        from pybridge.registry import Attrs
        _engine.append((run_op, Attrs, NDArray))
    return _engine[0]


# The common case, `MXNDArray <op> number` and `MXNDArray <op> MXNDArray`, by the address of
# the generic's name (a CHARSXP in R's global string cache, alive as long as R): CHARSXP ->
# (generic, array op, scalar op).  Filled on first use of each generic.
_fast_ops = {}
_STRING_ELT = _rlib.STRING_ELT
_extptr_addr = _rlib.R_ExternalPtrAddr
_xlength = _rlib.Rf_xlength
_REAL = _rlib.REAL
_EXTPTRSXP, _REALSXP = R.EXTPTRSXP, R.REALSXP


@entry
def nd_ops(generic, e1, e2):
    """R's Ops group generic on MXNDArray (elementwise, as the real package: no broadcast)."""
    run_op, Attrs, NDArray = _engine[0] if _engine else _engine_ops()
    fast = _fast_ops.get(_STRING_ELT(generic, 0))
    if fast is not None and e1.sxpinfo.type == _EXTPTRSXP:
        a = _objects.get(_extptr_addr(e1))
        if a.__class__ is NDArray:
            t2 = e2.sxpinfo.type
            if t2 == _REALSXP and _xlength(e2) == 1:
                return _new_id(run_op(fast[2], Attrs(scalar=_REAL(e2)[0]), [a]))
            if t2 == _EXTPTRSXP:
                b = _objects.get(_extptr_addr(e2))
                if b.__class__ is NDArray and a.shape == b.shape:
                    return _new_id(run_op(fast[1][0], fast[1][1], [a, b]))
    return _nd_ops_any(generic, e1, e2)


def _nd_ops_any(generic, e1, e2):
    """Every case of nd_ops, with its checks and error messages."""
    run_op, Attrs, _ = _engine_ops()
    op = _generic_name(generic)
    if e2 == R.constants()[0]:                       # unary
        if op not in _UNARY:
            raise convert.ConversionError(f"unary `{op}` is not supported for MXNDArray")
        name, scalar = _UNARY[op]
        return _new_id(run_op(_cached_op(name)[0], Attrs(scalar=scalar), [_operand(e1, op)[0]]))
    names = _OPS.get(op)
    if names is None:
        raise convert.ConversionError(f"operator `{op}` is not supported for MXNDArray")
    _fast_ops.setdefault(_STRING_ELT(generic, 0),
                         (op, _cached_op(names[0]), _cached_op(names[1])[0]))
    a, a_nd = _operand(e1, op)
    b, b_nd = _operand(e2, op)
    if a_nd and b_nd:
        if a.shape != b.shape:
            raise convert.ConversionError(
                f"`{op}`: the operands' dimensions differ: c({', '.join(map(str, a.shape[::-1]))}) "
                f"and c({', '.join(map(str, b.shape[::-1]))})")
        opdef, attrs = _cached_op(names[0])
        return _new_id(run_op(opdef, attrs, [a, b]))
    if a_nd:
        return _new_id(run_op(_cached_op(names[1])[0], Attrs(scalar=b), [a]))
    return _new_id(run_op(_cached_op(names[2])[0], Attrs(scalar=a), [b]))


def _strip_op_prefix(exc, names):
    msg = str(exc)
    for name in names:
        if msg.startswith(name + ": "):
            return msg[len(name) + 2:]
    return msg


@entry
def nd_invoke(opname, inputs, params, out):
    """Run registry operator ``opname``: inputs (named list of MXNDArray / list / NULL),
    params (named list of R values), out (NULL, MXNDArray or list).  Ids back."""
    from pybridge.base import MXNetError
    from pybridge.registry import get_op, normalize_key
    name = R.string(opname, 0)
    op = get_op(name)
    func = _mx().nd.ops_namespace[name]
    positional, named, gap = [], {}, False
    in_names = R.names(inputs) or []
    for key, x in zip(in_names, R.list_items(inputs)):
        if R.is_null(x):
            gap = True
            continue
        if R.typeof(x) == R.VECSXP and not convert.is_context(x):
            arrays = [_nd_arg(e, f"input '{key}'") for e in R.list_items(x)]
            if gap or positional:
                raise convert.ConversionError(f"input '{key}': a list of arrays is only "
                                              "accepted as the first input")
            positional.extend(arrays)
            continue
        nd = _nd_arg(x, f"input '{key}'")
        if gap:
            named[key] = nd
        else:
            positional.append(nd)
    kwargs = {}
    p_names = R.names(params) or []
    for i, x in enumerate(R.list_items(params)):
        key = p_names[i] if i < len(p_names) else ""
        if not key:
            raise convert.ConversionError("too many positional arguments")
        if R.is_null(x):
            continue
        kwargs[normalize_key(key)] = convert.op_param(normalize_key(key), x)
    kwargs.update(named)
    out_arg = None
    if not R.is_null(out):
        out_arg = [_nd_arg(e, "out") for e in R.list_items(out)] if R.typeof(out) == R.VECSXP \
            else _nd_arg(out, "out")
    try:
        res = func(*positional, out=out_arg, **kwargs)
    except MXNetError as exc:
        raise MXNetError(_strip_op_prefix(exc, (op.name, name))) from None
    if out_arg is not None:
        return R.rlib.R_NilValue
    if not isinstance(res, (list, tuple)):
        return _new_id(res)
    with R.Protect() as prot:
        lst = prot(R.alloc(R.VECSXP, len(res)))
        for i, r in enumerate(res):
            R.rlib.SET_VECTOR_ELT(lst, i, _new_id(r))
        return lst


# ------------------------------------------------------------------ generic calls
_functions = {}


def _resolve(path):
    fn = _functions.get(path)
    if fn is None:
        module, _, attr = path.rpartition(".")
        if not module:
            raise LookupError(f"'{path}' is not a dotted Python path")
        obj = importlib.import_module(module)
        fn = getattr(obj, attr)
        _functions[path] = fn
    return fn


@entry
def call(path, args, kwargs):
    """Call the Python function at dotted ``path`` with converted arguments (see
    ``convert.from_r``); the result is converted back (``convert.to_r``)."""
    fn = _resolve(R.string(path, 0))
    pargs = [convert.from_r(x) for x in R.list_items(args)] if not R.is_null(args) else []
    pkw = {}
    if not R.is_null(kwargs):
        for key, x in zip(R.names(kwargs) or [], R.list_items(kwargs)):
            pkw[key] = convert.from_r(x)
    res = fn(*pargs, **pkw)
    with R.Protect() as prot:
        return convert.to_r(res, prot)


@entry
def method(obj, name, args, kwargs):
    """Call method ``name`` of the engine object held by ``obj`` (e.g. ``iter$reset()``)."""
    target = convert.r_object(obj)
    fn = getattr(target, R.string(name, 0))
    pargs = [convert.from_r(x) for x in R.list_items(args)] if not R.is_null(args) else []
    pkw = {k: convert.from_r(x) for k, x in zip(R.names(kwargs) or [], R.list_items(kwargs))} \
        if not R.is_null(kwargs) else {}
    res = fn(*pargs, **pkw)
    with R.Protect() as prot:
        return convert.to_r(res, prot)


@entry
def handle_count():
    return R.mk_int(handles.count())


@external_entry
def set_callback_runner(closure):
    set_runner(closure)
    return R.rlib.R_NilValue


def install_warning_hook():
    warnings.showwarning = _showwarning


def entries():
    """{name: cffi callback} of every entry point."""
    return dict(_ENTRIES)

