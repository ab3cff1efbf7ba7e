"""Hand the bridge to an R process: the entry points become ``getOption("mxnet.bridge")``.

Two callers, one behaviour:
- plain R: the package's ``.onLoad`` starts Python with reticulate and calls ``attach()``;
  rpy2 then shares the R process reticulate runs in (its warning about R being initialised
  outside of it is expected and silenced);
- Python hosting R (``python -m rshim``): ``host.start_r()`` embeds R first, then calls
  ``attach()`` before the script runs, so ``.onLoad`` finds the option and skips reticulate.
"""
import logging
import warnings

_state = {"attached": False}


def init_rpy2():
    """Make rpy2 usable in this process, whether R is already running or not."""
    import rpy2.rinterface as ri
    from rpy2.rinterface_lib import embedded
    if embedded.isinitialized():
        return ri
    from rpy2.rinterface_lib import openrlib
    if openrlib.rlib.R_NilValue != openrlib.ffi.NULL:      # R started outside rpy2 (reticulate)
        log = logging.getLogger("rpy2.rinterface_lib.embedded")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                embedded._initr()
        finally:
            log.setLevel(level)
        ri._rinterface._register_external_symbols()
        ri._post_initr_setup()
        return ri
    raise RuntimeError("R is not running in this process: use rshim.host.start_r() first")


def attach():
    """Set ``options(mxnet.bridge = <named list of .External routines>)`` in the running R."""
    ri = init_rpy2()
    import pybridge  # noqa: F401  (the engine must import; fail here with its own error)
    from . import _rapi as R
    from . import entries
    from rpy2.rinterface_lib import conversion
    entries.install_warning_hook()
    table = entries.entries()
    with R.Protect() as prot:
        lst = prot(R.alloc(R.VECSXP, len(table)))
        for i, cb in enumerate(table.values()):
            R.rlib.SET_VECTOR_ELT(lst, i, R.native_symbol(cb))
        R.set_attr(lst, "names", R.str_vector(list(table), prot))
        robj = conversion._cdata_to_rinterface(lst)
    ri.baseenv["options"](**{"mxnet.bridge": robj})
    _state["attached"] = True
    return True
