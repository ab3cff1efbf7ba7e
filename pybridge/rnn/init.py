"""Initializers the RNN cells attach to their variables (``__init__`` attributes), registered
under MXNet's names so that ``'["lstmbias", ...]'`` / ``'["fusedrnn", ...]'`` in a symbol
resolve."""
from .. import initializer
from ..base import MXNetError
from ..initializer import InitDesc, Initializer


@initializer.register
class LSTMBias(Initializer):
    """Zero biases except the forget gate's quarter (the second of four), set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        initializer._number("LSTMBias", "forget_bias", forget_bias)
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        h = arr.shape[0] // 4
        arr[:] = 0.0
        arr[h:2 * h] = self.forget_bias


@initializer.register
class FusedRNN(Initializer):
    """Initialises a fused RNN parameter vector gate by gate: ``init`` (or the global
    initializer) on each unpacked weight and bias, the LSTM forget-gate biases set to
    ``forget_bias``."""

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = initializer.create(init)
        if init is not None and not isinstance(init, Initializer):
            raise MXNetError(f"FusedRNN: 'init' must be an Initializer, a JSON string or None, "
                             f"got {type(init).__name__}")
        super().__init__(init=None if init is None else init.dumps(), num_hidden=num_hidden,
                         num_layers=num_layers, mode=mode, bidirectional=bidirectional,
                         forget_bias=forget_bias)
        self._init = init
        self._cell_args = (num_hidden, num_layers, mode, bidirectional)
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        from .fused import FusedRNNCell
        num_hidden, num_layers, mode, bidirectional = self._cell_args
        cell = FusedRNNCell(num_hidden, num_layers, mode, bidirectional,
                            forget_bias=self._forget_bias, prefix="")
        args = cell.unpack_weights({"parameters": arr})
        global_init = getattr(desc, "global_init", None)
        for name, part in args.items():
            if mode == "lstm" and name.endswith("_f_bias"):
                part[:] = self._forget_bias
                continue
            rule = self._init if self._init is not None else global_init
            if rule is None:
                raise MXNetError(f"FusedRNN: no initializer for '{name}' (init is None and "
                                 "there is no global initializer)")
            rule(InitDesc(name, global_init=global_init), part)
        arr[:] = cell.pack_weights(args)["parameters"]

