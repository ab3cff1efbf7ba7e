"""Checkpoints of networks built from RNN cells: parameters are saved unpacked (one array per
gate, readable and independent of fusing) and packed again on loading."""
import warnings

from ..base import MXNetError
from ..model import load_checkpoint, save_checkpoint
from .cell_base import BaseRNNCell


def _cell_list(where, cells):
    if isinstance(cells, BaseRNNCell):
        return [cells]
    if not isinstance(cells, (list, tuple)) or not all(isinstance(c, BaseRNNCell) for c in cells):
        raise MXNetError(f"{where}: 'cells' must be an RNN cell or a list of RNN cells")
    return list(cells)


def rnn_unroll(cell, length, inputs=None, begin_state=None, input_prefix="", layout="NTC"):
    """Deprecated: ``cell.unroll(...)``."""
    warnings.warn("rnn_unroll is deprecated. Please call cell.unroll directly.")
    return cell.unroll(length=length, inputs=inputs, begin_state=begin_state, layout=layout)


def save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params, aux_params):
    """``save_checkpoint`` with each cell's weights unpacked first."""
    for cell in _cell_list("save_rnn_checkpoint", cells):
        arg_params = cell.unpack_weights(arg_params)
    save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells, prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of a checkpoint, the cells' weights packed again."""
    cells = _cell_list("load_rnn_checkpoint", cells)
    sym, arg, aux = load_checkpoint(prefix, epoch)
    for cell in cells:
        arg = cell.pack_weights(arg)
    return sym, arg, aux


def do_rnn_checkpoint(cells, prefix, period=1):
    """An epoch-end callback ``(iter_no, sym, arg, aux)`` saving an RNN checkpoint every
    ``period`` epochs (as epoch ``iter_no + 1``)."""
    cells = _cell_list("do_rnn_checkpoint", cells)
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
