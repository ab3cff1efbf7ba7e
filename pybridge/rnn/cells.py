"""The stepping cells: ``RNNCell`` (Elman), ``LSTMCell`` and ``GRUCell`` (cuDNN's GRU variant).

Each step is two FullyConnected layers (input-to-hidden ``i2h`` and hidden-to-hidden ``h2h``,
gates stacked along the output axis in MXNet's order) followed by the gate arithmetic.
"""
from .. import symbol
from ..base import MXNetError
from . import _checks
from .cell_base import BaseRNNCell
from .init import LSTMBias


class _GatedCell(BaseRNNCell):
    """Holds ``num_hidden`` and the four weight variables shared by the stepping cells."""

    def __init__(self, num_hidden, prefix, params, i2h_bias_init=None):
        _checks.positive_int(type(self).__name__, "num_hidden", num_hidden)
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = int(num_hidden)
        get = self.params.get
        if i2h_bias_init is None:
            self._iW, self._iB = get("i2h_weight"), get("i2h_bias")
            self._hW, self._hB = get("h2h_weight"), get("h2h_bias")
        else:   # LSTMCell creates both weights first (the container's order, as MXNet's)
            self._iW, self._hW = get("i2h_weight"), get("h2h_weight")
            self._iB, self._hB = get("i2h_bias", init=i2h_bias_init), get("h2h_bias")

    def _hidden_state(self):
        return {"shape": (0, self._num_hidden), "__layout__": "NC"}

    def _projections(self, inputs, state, gates, name_i2h, name_h2h):
        n = self._num_hidden * gates
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=n, name=name_i2h)
        h2h = symbol.FullyConnected(data=state, weight=self._hW, bias=self._hB,
                                    num_hidden=n, name=name_h2h)
        return i2h, h2h

    def _step_name(self):
        self._counter += 1
        return f"{self._prefix}t{self._counter}_"


class RNNCell(_GatedCell):
    """``h' = activation(W_i x + b_i + W_h h + b_h)``; ``activation`` a name ('tanh', 'relu',
    ...) or a function of ``(symbol, name=...)``."""

    def __init__(self, num_hidden, activation="tanh", prefix="rnn_", params=None):
        if not (isinstance(activation, str) or callable(activation)):
            raise MXNetError(f"RNNCell: 'activation' must be an activation name or a callable, "
                             f"got {type(activation).__name__}")
        super().__init__(num_hidden, prefix, params)
        self._activation = activation

    @property
    def state_info(self):
        return [self._hidden_state()]

    @property
    def _gate_names(self):
        return ("",)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._projections(inputs, states[0], 1, f"{name}i2h", f"{name}h2h")
        output = self._get_activation(i2h + h2h, self._activation, name=f"{name}out")
        return output, [output]


class LSTMCell(_GatedCell):
    """LSTM with gates in MXNet's order input, forget, cell, output; ``forget_bias`` is the
    initial value of the forget gate's part of ``i2h_bias`` (through ``LSTMBias``)."""

    def __init__(self, num_hidden, prefix="lstm_", params=None, forget_bias=1.0):
        super().__init__(num_hidden, prefix, params, LSTMBias(forget_bias=forget_bias))

    @property
    def state_info(self):
        return [self._hidden_state(), self._hidden_state()]

    @property
    def _gate_names(self):
        return ["_i", "_f", "_c", "_o"]

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._projections(inputs, states[0], 4, f"{name}i2h", f"{name}h2h")
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name=f"{name}slice")
        in_gate = symbol.Activation(gates[0], act_type="sigmoid", name=f"{name}i")
        forget_gate = symbol.Activation(gates[1], act_type="sigmoid", name=f"{name}f")
        in_transform = symbol.Activation(gates[2], act_type="tanh", name=f"{name}c")
        out_gate = symbol.Activation(gates[3], act_type="sigmoid", name=f"{name}o")
        next_c = symbol._plus(forget_gate * states[1], in_gate * in_transform,
                              name=f"{name}state")
        next_h = symbol._mul(out_gate, symbol.Activation(next_c, act_type="tanh"),
                             name=f"{name}out")
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """GRU as cuDNN computes it: the reset gate scales ``W_h h + b_h`` (gates reset, update,
    new)."""

    def __init__(self, num_hidden, prefix="gru_", params=None):
        super().__init__(num_hidden, prefix, params)

    @property
    def state_info(self):
        return [self._hidden_state()]

    @property
    def _gate_names(self):
        return ["_r", "_z", "_o"]

    def __call__(self, inputs, states):
        name = self._step_name()
        prev_h = states[0]
        i2h, h2h = self._projections(inputs, prev_h, 3, f"{name}_i2h", f"{name}_h2h")
        i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3, name=f"{name}_i2h_slice")
        h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3, name=f"{name}_h2h_slice")
        reset = symbol.Activation(i2h_r + h2h_r, act_type="sigmoid", name=f"{name}_r_act")
        update = symbol.Activation(i2h_z + h2h_z, act_type="sigmoid", name=f"{name}_z_act")
        candidate = symbol.Activation(i2h + reset * h2h, act_type="tanh", name=f"{name}_h_act")
        next_h = symbol._plus((1. - update) * candidate, update * prev_h, name=f"{name}out")
        return next_h, [next_h]
