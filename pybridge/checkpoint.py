"""Checkpoints: ``prefix-symbol.json`` + ``prefix-%04d.params``, as MXNet's
``mx.model.save_checkpoint`` / ``load_checkpoint``.

The params file is an MXNet NDArray file whose keys are ``arg:<name>`` and ``aux:<name>``.
Both files are written atomically (``Symbol.save`` and ``mx.nd.save`` write a temporary file and
rename it), so an interrupted save never leaves a half-written checkpoint behind.
"""
import logging
import numbers

from .base import MXNetError
from .context import cpu
from .ndarray import NDArray
from .ndarray import load as nd_load
from .ndarray import save as nd_save


def _epoch(epoch, where):
    if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
        if isinstance(epoch, float) and epoch.is_integer() and epoch >= 0:
            return int(epoch)   # R passes numbers as doubles
        raise MXNetError(f"{where}: epoch must be a non-negative integer, got {epoch!r}")
    return int(epoch)


def _prefix(prefix, where):
    if not isinstance(prefix, str) or not prefix:
        raise MXNetError(f"{where}: prefix must be a non-empty string, got {prefix!r}")
    return prefix


def param_file(prefix, epoch):
    return "%s-%04d.params" % (prefix, epoch)


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (if ``symbol`` is given) and ``prefix-%04d.params``."""
    where = "save_checkpoint"
    prefix, epoch = _prefix(prefix, where), _epoch(epoch, where)
    save_dict = {}
    for kind, params in (("arg", arg_params), ("aux", aux_params)):
        if params is None:
            continue
        if not isinstance(params, dict):
            raise MXNetError(f"{where}: {kind}_params must be a dict of name -> NDArray")
        for name, value in params.items():
            if not isinstance(value, NDArray):
                raise MXNetError(f"{where}: {kind}_params['{name}'] must be an NDArray, got "
                                 f"{type(value).__name__}")
            save_dict[f"{kind}:{name}"] = value.as_in_context(cpu())
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json")
    fname = param_file(prefix, epoch)
    nd_save(fname, save_dict)
    logging.info('Saved checkpoint to "%s"', fname)


def load_params(prefix, epoch):
    """(arg_params, aux_params) from ``prefix-%04d.params``."""
    where = "load_checkpoint"
    prefix, epoch = _prefix(prefix, where), _epoch(epoch, where)
    fname = param_file(prefix, epoch)
    save_dict = nd_load(fname)
    if not isinstance(save_dict, dict):
        raise MXNetError(f"{where}: '{fname}' holds an unnamed list of arrays, not a checkpoint "
                         "(keys 'arg:<name>' / 'aux:<name>')")
    arg_params, aux_params = {}, {}
    for key, value in save_dict.items():
        kind, sep, name = key.partition(":")
        if not sep or kind not in ("arg", "aux") or not name:
            raise MXNetError(f"{where}: invalid key '{key}' in '{fname}'; expected "
                             "'arg:<name>' or 'aux:<name>'")
        (arg_params if kind == "arg" else aux_params)[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """(symbol, arg_params, aux_params) of a checkpoint written by MXNet or by us."""
    from .symbol import load as sym_load
    prefix = _prefix(prefix, "load_checkpoint")
    symbol = sym_load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
