"""The common ground of ``mx.rnn`` cells: ``RNNParams`` (shared weight variables), ``BaseRNNCell``
(begin states, unrolling, per-gate weight packing) and the sequence normalisation of ``unroll``.

Every symbol a cell creates is named as MXNet 1.9.1 names it (``<prefix>t<step>_i2h``,
``<prefix>begin_state_<k>``...), so graphs, checkpoints and parameter dicts interchange with it.
"""
from .. import ndarray, symbol
from ..base import MXNetError
from ..symbol import Symbol
from . import _checks


def normalize_sequence(length, inputs, layout, merge, in_layout=None, where="unroll"):
    """``inputs`` as one Symbol (``merge`` True) or a list of per-step Symbols (False); None
    leaves the form as it is.  Returns ``(inputs, time axis of layout)``."""
    if inputs is None:
        raise MXNetError(f"{where}: 'inputs' is None; unroll(inputs=None) is no longer "
                         "supported, create the input variables outside unroll")
    axis = _checks.layout_axis(where, layout)
    in_axis = axis if in_layout is None else _checks.layout_axis(where, in_layout)
    if isinstance(inputs, Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise MXNetError(f"{where}: 'inputs' is a grouped symbol; pass list(inputs) "
                                 "or a single-output symbol")
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=1))
    else:
        inputs = _checks.symbols(where, "inputs", inputs)
        if length is not None and len(inputs) != length:
            raise MXNetError(f"{where}: 'inputs' has {len(inputs)} steps but 'length' is {length}")
        if merge is True:
            inputs = symbol.Concat(*[symbol.expand_dims(x, axis=axis) for x in inputs], dim=axis)
            in_axis = axis
    if isinstance(inputs, Symbol) and axis != in_axis:
        inputs = symbol.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis


class RNNParams:
    """Weight variables by name, created once and shared by every cell that holds this
    container; names are ``prefix + name``."""

    def __init__(self, prefix=""):
        self._prefix = _checks.string("RNNParams", "prefix", prefix)
        self._params = {}

    def get(self, name, **kwargs):
        """The variable ``prefix + name``, created (with ``kwargs`` for Variable) if missing."""
        name = self._prefix + _checks.string("RNNParams.get", "name", name)
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


class BaseRNNCell:
    """Base class of the cells.  ``prefix`` names layers (and weights when ``params`` is None,
    in which case the cell owns a new ``RNNParams(prefix)``)."""

    def __init__(self, prefix="", params=None):
        where = type(self).__name__
        _checks.string(where, "prefix", prefix)
        if params is not None and not isinstance(params, RNNParams):
            raise MXNetError(f"{where}: 'params' must be an RNNParams or None, "
                             f"got {type(params).__name__}")
        self._own_params = params is None
        self._prefix = prefix
        self._params = RNNParams(prefix) if params is None else params
        self._modified = False
        self.reset()

    def reset(self):
        """Restart the step and begin-state counters (before building another graph)."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, "_cells", ()):
            cell.reset()

    def __call__(self, inputs, states):
        """One step: ``(output, new states)`` from a ``(batch, ...)`` input and the states."""
        raise NotImplementedError(f"{type(self).__name__} cannot be stepped")

    @property
    def params(self):
        """The RNNParams container (handing it out means it is shared from now on)."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        """One dict per state: ``shape`` (0 = batch, unknown until bound) and ``__layout__``."""
        raise NotImplementedError()

    @property
    def state_shape(self):
        return [info["shape"] for info in self.state_info]

    @property
    def _gate_names(self):
        return ()

    def _check_unmodified(self, where):
        if self._modified:
            raise MXNetError(f"{where}: this cell is wrapped by a modifier cell (e.g. "
                             "ZoneoutCell, ResidualCell); call the modifier cell instead")

    def begin_state(self, func=symbol.zeros, **kwargs):
        """Initial states, one per ``state_info`` entry: ``func(name=<prefix>begin_state_<k>,
        shape=..., __layout__=..., **kwargs)`` (``symbol.zeros`` by default; ``symbol.Variable``
        to feed the states as inputs)."""
        self._check_unmodified(f"{type(self).__name__}.begin_state")
        if not callable(func):
            raise MXNetError(f"{type(self).__name__}.begin_state: 'func' must be callable, "
                             f"got {type(func).__name__}")
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}", **kwargs))
        return states

    def _check_args(self, where, args):
        if not isinstance(args, dict):
            raise MXNetError(f"{type(self).__name__}.{where}: 'args' must be a dict of name -> "
                             f"NDArray, got {type(args).__name__}")
        return dict(args)

    def _pop(self, where, args, name):
        if name not in args:
            raise MXNetError(f"{type(self).__name__}.{where}: 'args' has no '{name}'")
        return args.pop(name)

    def unpack_weights(self, args):
        """Split each fused ``i2h``/``h2h`` weight and bias into one array per gate
        (``<prefix>i2h_f_weight``...); the reverse of ``pack_weights``."""
        args = self._check_args("unpack_weights", args)
        if not self._gate_names:
            return args
        h = self._num_hidden
        for group in ("i2h", "h2h"):
            weight = self._pop("unpack_weights", args, f"{self._prefix}{group}_weight")
            bias = self._pop("unpack_weights", args, f"{self._prefix}{group}_bias")
            for j, gate in enumerate(self._gate_names):
                args[f"{self._prefix}{group}{gate}_weight"] = weight[j * h:(j + 1) * h].copy()
                args[f"{self._prefix}{group}{gate}_bias"] = bias[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args):
        """Concatenate the per-gate arrays back into ``<prefix>i2h_weight``... ."""
        args = self._check_args("pack_weights", args)
        if not self._gate_names:
            return args
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                parts = [self._pop("pack_weights", args, f"{self._prefix}{group}{gate}_{kind}")
                         for gate in self._gate_names]
                args[f"{self._prefix}{group}_{kind}"] = ndarray.concatenate(parts)
        return args

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        """Unroll ``length`` steps.  ``inputs``: one Symbol laid out as ``layout`` or a list of
        ``(batch, ...)`` Symbols.  Returns ``(outputs, states)``: outputs merged into one
        Symbol (``merge_outputs`` True), a list per step (False) or whichever is at hand (None)."""
        where = f"{type(self).__name__}.unroll"
        length = _checks.positive_int(where, "length", length)
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, False, where=where)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for step in range(length):
            output, states = self(inputs[step], states)
            outputs.append(output)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs, where=where)
        return outputs, states

    def _get_activation(self, inputs, activation, **kwargs):
        """``Activation(act_type=activation)`` for a name, else ``activation(inputs, **kwargs)``."""
        if isinstance(activation, str):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)
