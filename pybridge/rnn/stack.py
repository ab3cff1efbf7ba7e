"""Cells made of cells: ``SequentialRNNCell`` (a stack), ``BidirectionalCell`` (one cell forward
in time, one backward, outputs concatenated) and ``DropoutCell`` (dropout between layers)."""
from .. import symbol
from ..base import MXNetError
from ..symbol import Symbol
from . import _checks
from .cell_base import BaseRNNCell, normalize_sequence


def _check_cell(where, name, cell):
    if not isinstance(cell, BaseRNNCell):
        raise MXNetError(f"{where}: '{name}' must be an RNN cell (BaseRNNCell), "
                         f"got {type(cell).__name__}")
    return cell


def _share_params(where, owner, cells):
    """Children's variables become the owner's; an owner created with ``params`` hands its
    variables to the children instead (then the children must own theirs)."""
    if owner._override_cell_params:
        if not all(c._own_params for c in cells):
            raise MXNetError(f"{where}: 'params' given both to {where} and to a child cell; "
                             "give it to one of them")
        for cell in cells:
            cell.params._params.update(owner.params._params)
    for cell in cells:
        owner.params._params.update(cell.params._params)


def _split_states(cells, states):
    """``states`` cut into one slice per cell, by each cell's number of states."""
    out, p = [], 0
    for cell in cells:
        n = len(cell.state_info)
        out.append(states[p:p + n])
        p += n
    return out


class _CellGroup(BaseRNNCell):
    """A cell over child cells (``self._cells``): their states in order, their weights."""

    @property
    def state_info(self):
        return sum((c.state_info for c in self._cells), [])

    def begin_state(self, **kwargs):
        self._check_unmodified(f"{type(self).__name__}.begin_state")
        return sum((c.begin_state(**kwargs) for c in self._cells), [])

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


class SequentialRNNCell(_CellGroup):
    """Cells applied one after the other, each on the previous one's output."""

    def __init__(self, params=None):
        super().__init__(prefix="", params=params)
        self._override_cell_params = params is not None
        self._cells = []

    def add(self, cell):
        """Append ``cell`` to the stack."""
        _check_cell("SequentialRNNCell.add", "cell", cell)
        _share_params("SequentialRNNCell", self, [cell])
        self._cells.append(cell)

    def __call__(self, inputs, states):
        self._counter += 1
        next_states = []
        for cell, state in zip(self._cells, _split_states(self._cells, states)):
            if isinstance(cell, BidirectionalCell):
                raise MXNetError("SequentialRNNCell: a BidirectionalCell in the stack cannot "
                                 "be stepped; use unroll")
            inputs, state = cell(inputs, state)
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        last = len(self._cells) - 1
        next_states = []
        for i, (cell, states) in enumerate(zip(self._cells,
                                               _split_states(self._cells, begin_state))):
            inputs, states = cell.unroll(length, inputs=inputs, begin_state=states, layout=layout,
                                         merge_outputs=merge_outputs if i == last else None)
            next_states.extend(states)
        return inputs, next_states


class DropoutCell(BaseRNNCell):
    """Dropout (fraction ``dropout``) on the input; no state, no weights."""

    def __init__(self, dropout, prefix="dropout_", params=None):
        super().__init__(prefix, params)
        self.dropout = _checks.probability("DropoutCell", "dropout", dropout)

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs,
                                       where="DropoutCell.unroll")
        if isinstance(inputs, Symbol):   # one Dropout over the whole sequence
            return self(inputs, [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs)


class BidirectionalCell(_CellGroup):
    """``l_cell`` over the sequence, ``r_cell`` over it reversed; the outputs of each step are
    concatenated on the feature axis (``<output_prefix>t<i>``, or ``<output_prefix>out``
    merged)."""

    def __init__(self, l_cell, r_cell, params=None, output_prefix="bi_"):
        _check_cell("BidirectionalCell", "l_cell", l_cell)
        _check_cell("BidirectionalCell", "r_cell", r_cell)
        super().__init__("", params=params)
        self._output_prefix = _checks.string("BidirectionalCell", "output_prefix", output_prefix)
        self._override_cell_params = params is not None
        _share_params("BidirectionalCell", self, [l_cell, r_cell])
        self._cells = [l_cell, r_cell]

    def __call__(self, inputs, states):
        raise NotImplementedError("BidirectionalCell cannot be stepped; use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        where = "BidirectionalCell.unroll"
        length = _checks.positive_int(where, "length", length)
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, False, where=where)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        n_left = len(l_cell.state_info)
        l_out, l_states = l_cell.unroll(length, inputs=inputs, begin_state=begin_state[:n_left],
                                        layout=layout, merge_outputs=merge_outputs)
        r_out, r_states = r_cell.unroll(length, inputs=list(reversed(inputs)),
                                        begin_state=begin_state[n_left:],
                                        layout=layout, merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = isinstance(l_out, Symbol) and isinstance(r_out, Symbol)
            if not merge_outputs:
                l_out, r_out = [self._steps(o, axis, length) for o in (l_out, r_out)]
        if merge_outputs:
            out = symbol.Concat(l_out, symbol.reverse(r_out, axis=axis), dim=2,
                                name=f"{self._output_prefix}out")
            return out, [l_states, r_states]
        outputs = [symbol.Concat(lo, ro, dim=1, name=f"{self._output_prefix}t{i}")
                   for i, (lo, ro) in enumerate(zip(l_out, reversed(r_out)))]
        return outputs, [l_states, r_states]

    @staticmethod
    def _steps(outputs, axis, length):
        if isinstance(outputs, Symbol):
            return list(symbol.SliceChannel(outputs, axis=axis, num_outputs=length,
                                            squeeze_axis=1))
        return outputs
