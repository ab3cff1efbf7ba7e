"""R functions called from the engine (training callbacks, custom metrics, R iterators).

An R closure reaching Python becomes an ``RFunction``: calling it converts the Python
arguments to R (engine objects become their R classes), runs the closure through the
package's helper ``.mx.callback.run`` (which catches R errors) and converts the result back.
An R error becomes ``RCallbackError`` in the engine, which travels back to R as an R error.
"""
from . import _rapi as R

_helper = {"run": None}


class RCallbackError(RuntimeError):
    pass


def set_runner(closure):
    """Register the package's R helper that runs a callback (called at attach)."""
    old = _helper["run"]
    R.rlib.R_PreserveObject(closure)
    _helper["run"] = closure
    if old is not None:
        R.rlib.R_ReleaseObject(old)


class RFunction:
    """A Python callable over an R function (kept alive while this object lives)."""

    def __init__(self, sexp):
        R.rlib.R_PreserveObject(sexp)
        self._sexp = sexp

    def __del__(self):
        try:
            R.rlib.R_ReleaseObject(self._sexp)
        except Exception:
            pass

    def __call__(self, *args, **kwargs):
        from . import convert
        runner = _helper["run"]
        if runner is None:
            raise RCallbackError("the mxnet R package is not attached; cannot call R")
        with R.Protect() as prot:
            values = list(args) + list(kwargs.values())
            arglist = prot(R.alloc(R.VECSXP, len(values)))
            for i, value in enumerate(values):
                R.rlib.SET_VECTOR_ELT(arglist, i, convert.to_r(value, prot))
            R.set_attr(arglist, "names",
                       R.str_vector([""] * len(args) + list(kwargs), prot))
            call = prot(R.rlib.Rf_lang3(runner, self._sexp, arglist))
            res, failed = R.try_eval(call, R.rlib.R_GlobalEnv)
            if failed:
                raise RCallbackError("R callback failed")
            prot(res)
            ok, value = R.list_items(res)
            if not R.scalar(ok):
                raise RCallbackError(f"error in R callback: {R.string(value, 0)}")
            return convert.from_r(value)
