"""How the training loop reports progress: MXNet Python's log lines or MXNet R's messages.

The loop never formats a log line itself; it tells a *reporter* what happened.
``Module.fit`` uses ``PythonReporter`` (``Epoch[0] Train-accuracy=0.918700``,
``Epoch[0] Time cost=1.234``, ``Epoch[0] Validation-accuracy=...`` through a ``logging``
logger), ``FeedForward.fit`` ``FeedForwardReporter`` (MXNet 1.x's FeedForward lines:
``Start training with [cpu(0)]``, ``Epoch[0] Resetting Data Iterator``, time and
validation, no training metric line; the values are in ``model.history``); the R package passes ``RReporter`` with its ``message`` function
(``Start training with 1 devices``, ``[1] Train-accuracy=0.918666666666667``).  Any
object with these methods can be used.
"""
import logging
import math


class PythonReporter:
    """MXNet 1.x Python log lines through ``logger`` (default: the ``logging`` module)."""

    def __init__(self, logger=None):
        self.logger = logger if logger is not None else logging

    def start(self, num_devices):
        pass

    def train_metric(self, epoch, name_values):
        for name, value in name_values:
            self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)

    def time_cost(self, epoch, seconds):
        self.logger.info("Epoch[%d] Time cost=%.3f", epoch, seconds)

    def validation_metric(self, epoch, name_values):
        for name, value in name_values:
            self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)

    def reset_iterator(self, epoch):
        pass


class FeedForwardReporter(PythonReporter):
    """MXNet 1.x ``FeedForward.fit``'s lines: no training metric line, a line per reset."""

    def __init__(self, logger=None, ctx=None):
        super().__init__(logger)
        self.ctx = ctx

    def start(self, num_devices):
        self.logger.info("Start training with %s", str(self.ctx))

    def train_metric(self, epoch, name_values):
        pass

    def reset_iterator(self, epoch):
        self.logger.info("Epoch[%d] Resetting Data Iterator", epoch)


def r_number(value):
    """A number as R's ``paste``/``as.character`` prints it: at most 15 significant digits,
    fixed or scientific notation, whichever is narrower (fixed on a tie), NaN, Inf."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    mantissa, exp = ("%.14e" % value).split("e")
    digits = mantissa.replace("-", "").replace(".", "").rstrip("0") or "0"
    exp = int(exp)
    nsig = len(digits)
    sign = "-" if value < 0 else ""
    sci = sign + digits[0] + ("." + digits[1:] if nsig > 1 else "") + \
        "e" + ("-" if exp < 0 else "+") + "%02d" % abs(exp)
    fixed = "%.*f" % (max(0, nsig - 1 - exp), value)
    return fixed if len(fixed) <= len(sci) else sci


class RReporter:
    """MXNet R's messages, through ``emit`` (the R bridge passes R's ``message``).

    R counts epochs from 1: engine epoch 0 is printed as ``[1]``.
    """

    def __init__(self, emit, verbose=True):
        self.emit = emit
        self.verbose = verbose

    def _say(self, text):
        if self.verbose:
            self.emit(text)

    def start(self, num_devices):
        self._say(f"Start training with {num_devices} devices")

    def train_metric(self, epoch, name_values):
        for name, value in name_values:
            self._say(f"[{epoch + 1}] Train-{name}={r_number(value)}")

    def time_cost(self, epoch, seconds):
        pass

    def validation_metric(self, epoch, name_values):
        for name, value in name_values:
            self._say(f"[{epoch + 1}] Validation-{name}={r_number(value)}")

    def reset_iterator(self, epoch):
        pass
