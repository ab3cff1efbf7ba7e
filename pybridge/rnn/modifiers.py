"""Modifier cells wrap a base cell and change what its steps return: ``ZoneoutCell`` (keep
some previous outputs/states in training) and ``ResidualCell`` (output + input).  Once wrapped,
the base cell is used through the modifier only."""
from .. import symbol
from ..base import MXNetError
from ..symbol import Symbol
from . import _checks
from .cell_base import BaseRNNCell, normalize_sequence


class ModifierCell(BaseRNNCell):
    """Base of the modifier cells: states, weights and packing are the base cell's."""

    def __init__(self, base_cell):
        if not isinstance(base_cell, BaseRNNCell):
            raise MXNetError(f"{type(self).__name__}: 'base_cell' must be an RNN cell "
                             f"(BaseRNNCell), got {type(base_cell).__name__}")
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        self._check_unmodified(f"{type(self).__name__}.begin_state")
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args):
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args):
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError(f"{type(self).__name__} must define __call__")


class ZoneoutCell(ModifierCell):
    """Zoneout: in training, each output (state) unit keeps its previous value with probability
    ``zoneout_outputs`` (``zoneout_states``); at inference the base cell's values pass."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        from .fused import FusedRNNCell
        from .stack import BidirectionalCell, SequentialRNNCell
        if isinstance(base_cell, FusedRNNCell):
            raise MXNetError("ZoneoutCell: 'base_cell' is a FusedRNNCell, which has no steps; "
                             "unfuse() it first")
        if isinstance(base_cell, BidirectionalCell) or (
                isinstance(base_cell, SequentialRNNCell) and
                any(isinstance(c, BidirectionalCell) for c in base_cell._cells)):
            raise MXNetError("ZoneoutCell: 'base_cell' is bidirectional, which cannot be "
                             "stepped; wrap the cells underneath instead")
        super().__init__(base_cell)
        self.zoneout_outputs = _checks.probability("ZoneoutCell", "zoneout_outputs",
                                                   zoneout_outputs)
        self.zoneout_states = _checks.probability("ZoneoutCell", "zoneout_states",
                                                  zoneout_states)
        self.prev_output = None

    def reset(self):
        super().reset()
        self.prev_output = None

    def __call__(self, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, like):   # 1 where the new value is kept, 0 where it is zoned out
            return symbol.Dropout(symbol.ones_like(like), p=p)

        prev_output = self.prev_output if self.prev_output is not None else \
            symbol.zeros((0, 0))
        output = next_output
        if self.zoneout_outputs != 0.:
            output = symbol.where(keep_new(self.zoneout_outputs, next_output), next_output,
                                  prev_output)
        if self.zoneout_states != 0.:
            next_states = [symbol.where(keep_new(self.zoneout_states, new), new, old)
                           for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """Adds the input to the base cell's output (Wu et al. 2016); the output is named
    ``<base output name>_plus_residual``."""

    def __call__(self, inputs, states):
        output, states = self.base_cell(inputs, states)
        return symbol.elemwise_add(output, inputs, name=f"{output.name}_plus_residual"), states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, Symbol)
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs,
                                       where="ResidualCell.unroll")
        if merge_outputs:
            return symbol.elemwise_add(outputs, inputs,
                                       name=f"{outputs.name}_plus_residual"), states
        return [symbol.elemwise_add(o, x, name=f"{o.name}_plus_residual")
                for o, x in zip(outputs, inputs)], states
