"""``FusedRNNCell``: all layers and time steps in one ``RNN`` operator over one flat parameter
vector (MXNet's layout: every layer's and direction's weights gate by gate, i2h then h2h, then
all the biases in the same order).  ``unfuse()`` gives the equivalent stack of stepping cells,
and ``unpack_weights``/``pack_weights`` convert between the two parameter forms."""
import warnings

from .. import ndarray, symbol
from ..base import MXNetError
from . import _checks
from .cell_base import BaseRNNCell, normalize_sequence
from .cells import GRUCell, LSTMCell, RNNCell
from .init import FusedRNN
from .stack import BidirectionalCell, DropoutCell, SequentialRNNCell

_GATES = {"rnn_relu": [""], "rnn_tanh": [""], "lstm": ["_i", "_f", "_c", "_o"],
          "gru": ["_r", "_z", "_o"]}


class FusedRNNCell(BaseRNNCell):
    """``num_layers`` layers of ``mode`` ('rnn_relu', 'rnn_tanh', 'lstm', 'gru') run by the RNN
    operator; ``get_next_state`` adds the final states as outputs.  Prefix default: ``mode_``."""

    def __init__(self, num_hidden, num_layers=1, mode="lstm", bidirectional=False,
                 dropout=0., get_next_state=False, forget_bias=1.0, prefix=None, params=None):
        where = "FusedRNNCell"
        if mode not in _GATES:
            raise MXNetError(f"{where}: 'mode' must be one of {', '.join(_GATES)}, got {mode!r}")
        _checks.positive_int(where, "num_hidden", num_hidden)
        _checks.positive_int(where, "num_layers", num_layers)
        super().__init__(prefix=f"{mode}_" if prefix is None else prefix, params=params)
        self._num_hidden = int(num_hidden)
        self._num_layers = int(num_layers)
        self._mode = mode
        self._bidirectional = bool(bidirectional)
        self._dropout = _checks.probability(where, "dropout", dropout)
        self._get_next_state = bool(get_next_state)
        self._directions = ["l", "r"] if bidirectional else ["l"]
        init = FusedRNN(None, num_hidden, num_layers, mode, bidirectional, forget_bias)
        self._parameter = self.params.get("parameters", init=init)

    @property
    def state_info(self):
        shape = ((1 + self._bidirectional) * self._num_layers, 0, self._num_hidden)
        return [{"shape": shape, "__layout__": "LNC"}
                for _ in range(1 + (self._mode == "lstm"))]

    @property
    def _gate_names(self):
        return _GATES[self._mode]

    def _slices(self, arr, num_input):
        """{unpacked name: view of ``arr``} in the RNN operator's parameter order."""
        h, b, gates = self._num_hidden, len(self._directions), self._gate_names
        views, p = {}, 0

        def take(name, size, shape):
            nonlocal p
            if p + size > arr.size:
                raise MXNetError(f"FusedRNNCell: the parameter vector of size {arr.size} is too "
                                 f"small for this cell (at '{name}')")
            views[name] = arr[p:p + size].reshape(shape) if shape else arr[p:p + size]
            p += size

        for layer in range(self._num_layers):
            width = num_input if layer == 0 else b * h
            for d in self._directions:
                for gate in gates:
                    take(f"{self._prefix}{d}{layer}_i2h{gate}_weight", h * width, (h, width))
                for gate in gates:
                    take(f"{self._prefix}{d}{layer}_h2h{gate}_weight", h * h, (h, h))
        for layer in range(self._num_layers):
            for d in self._directions:
                for group in ("i2h", "h2h"):
                    for gate in gates:
                        take(f"{self._prefix}{d}{layer}_{group}{gate}_bias", h, None)
        if p != arr.size:
            raise MXNetError(f"FusedRNNCell: invalid parameter vector size {arr.size} for this "
                             f"cell (expected {p})")
        return views

    def unpack_weights(self, args):
        args = self._check_args("unpack_weights", args)
        arr = self._pop("unpack_weights", args, self._parameter.name)
        b, m, h = len(self._directions), len(self._gate_names), self._num_hidden
        # size = b*m*h*(num_input + h + 2) + (layers-1)*b*m*h*(b*h + h + 2)
        num_input = arr.size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2
        if num_input <= 0:
            raise MXNetError(f"FusedRNNCell.unpack_weights: invalid parameter vector size "
                             f"{arr.size} for this cell (too small)")
        args.update({name: view.copy() for name, view in self._slices(arr, num_input).items()})
        return args

    def pack_weights(self, args):
        args = self._check_args("pack_weights", args)
        first = f"{self._prefix}l0_i2h{self._gate_names[0]}_weight"
        if first not in args:
            raise MXNetError(f"FusedRNNCell.pack_weights: 'args' has no '{first}'")
        w0 = args[first]
        b, m, h = len(self._directions), len(self._gate_names), self._num_hidden
        num_input = w0.shape[1]
        total = (num_input + h + 2) * h * m * b + \
            (self._num_layers - 1) * m * h * (h + b * h + 2) * b
        arr = ndarray.zeros((total,), ctx=w0.context, dtype=w0.dtype)
        for name, view in self._slices(arr, num_input).items():
            view[:] = self._pop("pack_weights", args, name)
        args[self._parameter.name] = arr
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError("FusedRNNCell cannot be stepped; use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        where = "FusedRNNCell.unroll"
        length = _checks.positive_int(where, "length", length)
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, True, where=where)
        if axis == 1:
            warnings.warn("NTC layout detected. Consider using TNC for FusedRNNCell for "
                          "faster speed")
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        if begin_state is None:
            begin_state = self.begin_state()
        states = {"state": begin_state[0]}
        if self._mode == "lstm":
            states["state_cell"] = begin_state[1]
        rnn = symbol.RNN(data=inputs, parameters=self._parameter, state_size=self._num_hidden,
                         num_layers=self._num_layers, bidirectional=self._bidirectional,
                         p=self._dropout, state_outputs=self._get_next_state, mode=self._mode,
                         name=f"{self._prefix}rnn", **states)
        if not self._get_next_state:
            outputs, states = rnn, []
        else:
            n_states = 2 if self._mode == "lstm" else 1
            states = [rnn[1 + k] for k in range(n_states)]
            for state in states:
                state._set_attr(__layout__="LNC")
            outputs = rnn[0]
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs, where=where)
        return outputs, states

    def unfuse(self):
        """The same network as a ``SequentialRNNCell`` of stepping cells (named
        ``<prefix>l<k>_`` / ``<prefix>r<k>_``, so unpacked weights fit it)."""
        def make(prefix):
            if self._mode.startswith("rnn_"):
                return RNNCell(self._num_hidden, activation=self._mode[4:], prefix=prefix)
            klass = LSTMCell if self._mode == "lstm" else GRUCell
            return klass(self._num_hidden, prefix=prefix)

        stack = SequentialRNNCell()
        for i in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make(f"{self._prefix}l{i}_"),
                                            make(f"{self._prefix}r{i}_"),
                                            output_prefix=f"{self._prefix}bi_l{i}_"))
            else:
                stack.add(make(f"{self._prefix}l{i}_"))
            if self._dropout > 0 and i != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix=f"{self._prefix}_dropout{i}_"))
        return stack
