"""The fused recurrent operator RNN (vanilla relu/tanh, LSTM, GRU; stacked, bidirectional).

Layout and semantics are MXNet's (src/operator/rnn-inl.h, rnn_impl.h):
- data (T, N, C) time first; state (L*D, N, H); state_cell (L*D, N, H), LSTM only;
  output (T, N, D*H) with the forward direction in the first H features;
  with state_outputs also hy (L*D, N, H) and, for LSTM, cy.  Index of (layer l, direction d)
  in the states: l*D + d.
- parameters: one flat vector, all weights then all biases.  Weights per layer, per direction:
  i2h (G*H, input) then h2h (G*H, H); biases likewise: i2h (G*H) then h2h (G*H).  G gates in
  blocks of H rows: LSTM i, f, g, o; GRU r, z, n; vanilla 1.
- GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
- p: dropout on the outputs of every layer but the last, in training only.
- use_sequence_length (MXNet: cuDNN only; its CPU build refuses it, or with oneDNN ignores the
  lengths): cuDNN's semantics, i.e. past its length an item keeps its state and outputs
  zeros, and the reverse direction starts at the item's last valid step.
- projection_size P (LSTM only, P <= H): the state that recurs and is output is
  r = W_hr h (P values); h2h weights are (4H, P) and each (layer, direction) has W_hr (P, H)
  right after its h2h weights; state/hy/output use P, state_cell/cy keep H.  (MXNet 1.9.1's
  CPU build runs this in inference only; gradients come from Chainer here.)
Each layer does one GEMM for the input projection over all time steps; only the recurrent
product is computed step by step.  LSTM steps use Chainer's fused cell ``F.lstm`` (gates
interleaved a, i, f, o per unit), so the gate rows are permuted once per call.
"""
from .._compat import chainer
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import raw
from .nn_common import assign_shape, fmt
from .nn_random import uniform

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def _inputs(attrs):
    names = ["data", "parameters", "state"]
    if attrs.mode == "lstm":
        names.append("state_cell")
    if attrs.use_sequence_length:
        names.append("sequence_length")
    return names


def _outputs(attrs):
    if not attrs.state_outputs:
        return ["output"]
    return ["output", "state_output"] + (["statecell_output"] if attrs.mode == "lstm" else [])


def _out_size(attrs):
    """Size of the recurring state and of each direction's output: P with projection, else H."""
    return attrs.projection_size or attrs.state_size


def param_size(attrs, input_size):
    """Length of the flat parameter vector (MXNet's GetRnnParamSize)."""
    d, h, g, r = 1 + attrs.bidirectional, attrs.state_size, GATES[attrs.mode], _out_size(attrs)
    first = (input_size + r + 2) * g * h * d
    other = (r * d + r + 2) * g * h * d
    proj = r * h * attrs.num_layers * d if attrs.projection_size else 0
    return first + (attrs.num_layers - 1) * other + proj


def _check_attrs(attrs):
    op = "RNN"
    if attrs.state_size < 1 or attrs.num_layers < 1:
        raise MXNetError(f"{op}: 'state_size' and 'num_layers' must be positive, got "
                         f"state_size={attrs.state_size}, num_layers={attrs.num_layers}")
    if not 0 <= attrs.p < 1:
        raise MXNetError(f"{op}: unsupported dropout value 'p'={attrs.p}, should be 0 <= p < 1")
    if attrs.projection_size is not None:
        if attrs.mode != "lstm":
            raise MXNetError(f"{op}: 'projection_size' is only supported for LSTM, not mode "
                             f"'{attrs.mode}'")
        if not 0 < attrs.projection_size <= attrs.state_size:
            raise MXNetError(f"{op}: 'projection_size' must be in [1, state_size="
                             f"{attrs.state_size}], got {attrs.projection_size}")
    if attrs.lstm_state_clip_min is not None or attrs.lstm_state_clip_max is not None:
        raise MXNetError(f"{op}: 'lstm_state_clip_min'/'lstm_state_clip_max' are not supported "
                         f"(LSTM state clipping is only supported for GPU with cuDNN in MXNet)")


def _state_shapes(attrs, data):
    """Shapes of state (and hy) and of state_cell (and cy)."""
    layers = attrs.num_layers * (1 + attrs.bidirectional)
    return (layers, data[1], _out_size(attrs)), (layers, data[1], attrs.state_size)


def _infer(attrs, shapes):
    _check_attrs(attrs)
    data = shapes[0]
    n_out = len(_outputs(attrs))
    if data is None:
        return shapes, [None] * n_out, []
    if len(data) != 3:
        raise MXNetError(f"RNN: input 'data' should be a rank-3 tensor of dim [sequence length, "
                         f"batch size, input size], got shape {fmt(data)}")
    state, cell = _state_shapes(attrs, data)
    assign_shape("RNN", shapes, 1, "parameters", (param_size(attrs, data[2]),))
    assign_shape("RNN", shapes, 2, "state", state)
    i = 3
    if attrs.mode == "lstm":
        assign_shape("RNN", shapes, 3, "state_cell", cell)
        i = 4
    if attrs.use_sequence_length:
        assign_shape("RNN", shapes, i, "sequence_length", (data[1],))
    out = (data[0], data[1], (1 + attrs.bidirectional) * _out_size(attrs))
    return shapes, [out, state, cell][:n_out], []


def _infer_type(attrs, types):
    dt = types[0] if types[0] is not None else next((t for t in types if t is not None), None)
    names = _inputs(attrs)
    for name, t in zip(names, types):
        if t is not None and dt is not None and t != dt and name != "sequence_length":
            raise MXNetError(f"RNN: input '{name}' has type {t}, expected {dt} like 'data'")
    done = [dt if t is None else t for t in types]
    return done, [dt] * len(_outputs(attrs)), []


# ---------------------------------------------------------------- parameters
def _unpack(call, parameters, n_in, attrs):
    """Per (layer, direction): (W_i2h, W_h2h, b_i2h, b_h2h, W_hr or None) from the flat
    vector."""
    d, h, g, r = 1 + attrs.bidirectional, attrs.state_size, GATES[attrs.mode], _out_size(attrs)
    per = 3 if attrs.projection_size else 2
    shapes = []
    for layer in range(attrs.num_layers):
        width = n_in if layer == 0 else r * d
        shapes += ([(g * h, width), (g * h, r)] + ([(r, h)] if per == 3 else [])) * d
    shapes += [(g * h,)] * (2 * attrs.num_layers * d)
    cuts, pos = [], 0
    for s in shapes[:-1]:
        pos += s[0] * (s[1] if len(s) == 2 else 1)
        cuts.append(pos)
    pieces = call.F.split_axis(parameters, cuts, axis=0, force_tuple=True)
    pieces = [call.F.reshape(p, s) if len(s) == 2 else p for p, s in zip(pieces, shapes)]
    n_w = per * attrs.num_layers * d
    weights, biases = pieces[:n_w], pieces[n_w:]
    return [(weights[per * k], weights[per * k + 1], biases[2 * k], biases[2 * k + 1],
             weights[per * k + 2] if per == 3 else None) for k in range(attrs.num_layers * d)]


def _lstm_order(xp, h):
    """Row permutation from MXNet's gate blocks (i, f, g, o) to F.lstm's interleaved
    (a=g, i, f, o) per unit: new row 4k + j reads MXNet row block(j)*H + k."""
    block = xp.asarray([2, 0, 1, 3], dtype="int32")
    return (block[None, :] * h + xp.arange(h, dtype="int32")[:, None]).reshape(-1)


# ---------------------------------------------------------------- GRU cell
class GRUCell(chainer.function_node.FunctionNode):
    """One GRU step as one graph node (like Chainer's own F.lstm for LSTM): eleven elementwise
    Chainer functions per step cost more in per-node overhead than the arithmetic itself.

    Inputs: xp (N, 3H) input projection with b_i2h, hw (N, 3H) = h W_h2h^T + b_h2h, h (N, H).
    r = sigmoid(xp_r + hw_r), z = sigmoid(xp_z + hw_z), n = tanh(xp_n + r * hw_n),
    h' = (1 - z) * n + z * h.
    """

    def forward(self, inputs):
        x, hw, h = inputs
        xp = chainer.backend.get_array_module(x)
        k = h.shape[1]
        half = x.dtype.type(0.5)
        rz = xp.tanh((x[:, :2 * k] + hw[:, :2 * k]) * half) * half + half   # sigmoid
        r, z = rz[:, :k], rz[:, k:]
        n = xp.tanh(x[:, 2 * k:] + r * hw[:, 2 * k:])
        h_minus_n = h - n
        self._saved = (rz, n, h_minus_n, hw[:, 2 * k:])
        return n + z * h_minus_n,

    def backward(self, indexes, grad_outputs):
        gh = grad_outputs[0].array
        xp = chainer.backend.get_array_module(gh)
        rz, n, h_minus_n, hw_n = self._saved
        k = n.shape[1]
        r, z = rz[:, :k], rz[:, k:]
        gn = gh * (1 - z) * (1 - n * n)             # through tanh
        gx = xp.empty((gh.shape[0], 3 * k), dtype=gh.dtype)
        gx[:, :k] = gn * hw_n * r * (1 - r)          # reset gate, through its sigmoid
        gx[:, k:2 * k] = gh * h_minus_n * z * (1 - z)
        gx[:, 2 * k:] = gn
        ghw = gx.copy()
        ghw[:, 2 * k:] = gn * r
        grads = {0: gx, 1: ghw, 2: gh * z}
        return tuple(chainer.Variable(grads[i]) for i in indexes)


def gru_cell(F, x, hw, h):
    if F is chainer.functions:
        return GRUCell().apply((x, hw, h))[0]
    return GRUCell().forward((x, hw, h))[0]       # imperative: arrays, no graph


# ---------------------------------------------------------------- one direction of one layer
def _run_direction(call, mode, xproj, w_h2h, b_h2h, w_hr, h, c, steps, valid):
    """The recurrence over ``steps`` (time indices in processing order).

    xproj: T pieces (N, G*H) of the input projection (biases included, except GRU's h2h bias).
    w_hr: LSTM projection weights (P, H) or None; with it h is the projected state r.
    valid: None, or per time step a (N, 1) boolean mask of batch items still inside their
    sequence (use_sequence_length): outside it the state is carried and the output is zero.
    Returns (outputs in time order, final h, final c).
    """
    F = call.F
    outs = [None] * len(steps)
    for t in steps:
        x_t = xproj[t]
        if mode == "lstm":
            c_new, h_new = F.lstm(c, x_t + F.linear(h, w_h2h))
            if w_hr is not None:
                h_new = F.linear(h_new, w_hr)
        elif mode == "gru":
            h_new, c_new = gru_cell(F, x_t, F.linear(h, w_h2h, b_h2h), h), None
        else:
            pre = x_t + F.linear(h, w_h2h)
            h_new, c_new = (F.relu(pre) if mode == "rnn_relu" else F.tanh(pre)), None
        if valid is None:
            outs[t], h, c = h_new, h_new, c_new
        else:
            keep = call.xp.broadcast_to(valid[t], h_new.shape)
            outs[t] = F.where(keep, h_new, call.xp.zeros(h_new.shape, raw(h_new).dtype))
            h = F.where(keep, h_new, h)
            c = F.where(keep, c_new, c) if c_new is not None else None
    return outs, h, c


def _project(call, mode, x2d, w, b_i2h, b_h2h, steps, order):
    """Input projection for all time steps in one GEMM, split into per-step pieces."""
    F = call.F
    if mode == "lstm":
        w, bias = F.permutate(w, order, axis=0), F.permutate(b_i2h + b_h2h, order, axis=0)
    elif mode == "gru":
        bias = b_i2h
    else:
        bias = b_i2h + b_h2h
    return F.split_axis(F.linear(x2d, w, bias), steps, axis=0, force_tuple=True)


def _dropout(call, y, p):
    dt = raw(y).dtype
    mask = (uniform(call.xp, 0.0, 1.0, y.shape, dt) >= p).astype(dt) * dt.type(1.0 / (1.0 - p))
    return y * mask


# ---------------------------------------------------------------- the operator
_PARAMS = [
    Param("state_size", Kind.int, doc="size of the state of each layer"),
    Param("num_layers", Kind.int, doc="number of stacked layers"),
    Param("bidirectional", Kind.bool, False, doc="whether to use bidirectional recurrent layers"),
    Param("mode", Kind.str, choices=tuple(GATES), doc="the type of RNN to compute"),
    Param("p", Kind.float, 0.0,
          doc="drop rate of the dropout on the outputs of each RNN layer, except the last layer"),
    Param("state_outputs", Kind.bool, False, doc="whether to have the states as outputs"),
    Param("projection_size", Kind.opt_int, None,
          doc="LSTM only: size of the projection of the state (r = W_hr h)"),
    Param("lstm_state_clip_min", Kind.opt_float, None,
          doc="minimum clip value of LSTM states (not supported: cuDNN only in MXNet)"),
    Param("lstm_state_clip_max", Kind.opt_float, None,
          doc="maximum clip value of LSTM states (not supported: cuDNN only in MXNet)"),
    Param("lstm_state_clip_nan", Kind.bool, False, doc="accepted; clipping is not supported"),
    Param("use_sequence_length", Kind.bool, False,
          doc="if true, the input 'sequence_length' gives each batch item's valid length"),
]


def _valid_steps(xp, lengths, t_len):
    """Per time step, an (N, 1) mask of the batch items whose sequence covers that step."""
    lens = raw(lengths).astype("int64")
    if int(lens.min()) < 1 or int(lens.max()) > t_len:
        raise MXNetError(f"RNN: 'sequence_length' values must be in [1, {t_len}], got values in "
                         f"[{int(lens.min())}, {int(lens.max())}]")
    steps = xp.arange(t_len, dtype="int64")
    return list((steps[:, None] < xp.asarray(lens)[None, :])[:, :, None])


def _check_inputs(attrs, data, parameters, state, rest):
    op = "RNN"
    names = _inputs(attrs)
    if len(rest) != len(names) - 3 or any(x is None for x in rest):
        raise MXNetError(f"RNN: expected {len(names)} inputs ({', '.join(names)}), got "
                         f"{3 + len([x for x in rest if x is not None])}")
    if data.ndim != 3:
        raise MXNetError(f"{op}: input 'data' should be a rank-3 tensor of dim [sequence length, "
                         f"batch size, input size], got shape {fmt(data.shape)}")
    shapes = [tuple(data.shape), tuple(parameters.shape), tuple(state.shape)]
    shapes += [tuple(x.shape) for x in rest]
    _infer(attrs, shapes)     # raises on any mismatch with what data implies


@register("RNN", inputs=_inputs, outputs=_outputs, infer_shape=_infer, infer_type=_infer_type,
          all_inputs=("data", "parameters", "state", "state_cell", "sequence_length"),
          params=_PARAMS)
def rnn(call, data, parameters, state, *rest):
    """Applies stacked (optionally bidirectional) recurrent layers to time-major data:
    vanilla RNN with relu or tanh, LSTM (gates i, f, g, o) or GRU (gates r, z, n)."""
    a, F, xp = call.attrs, call.F, call.xp
    _check_attrs(a)
    _check_inputs(a, data, parameters, state, rest)
    rest = list(rest)
    cell = rest.pop(0) if a.mode == "lstm" else None
    lengths = rest.pop(0) if a.use_sequence_length else None
    t_len, n, _ = data.shape
    dirs, hsize = 1 + a.bidirectional, a.state_size
    valid = None if lengths is None else _valid_steps(xp, lengths, t_len)
    order = _lstm_order(xp, hsize) if a.mode == "lstm" else None
    layers = _unpack(call, parameters, data.shape[2], a)
    h0 = F.separate(state, axis=0)
    c0 = F.separate(cell, axis=0) if cell is not None else [None] * len(h0)
    x = data
    hy, cy = [], []
    for layer in range(a.num_layers):
        x2d = F.reshape(x, (t_len * n, x.shape[2]))
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w_i2h, w_h2h, b_i2h, b_h2h, w_hr = layers[k]
            xproj = _project(call, a.mode, x2d, w_i2h, b_i2h, b_h2h, t_len, order)
            if a.mode == "lstm":
                w_h2h = F.permutate(w_h2h, order, axis=0)
            steps = range(t_len) if d == 0 else range(t_len - 1, -1, -1)
            ys, h, c = _run_direction(call, a.mode, xproj, w_h2h, b_h2h, w_hr, h0[k], c0[k],
                                      steps, valid)
            outs.append(F.stack(ys, axis=0))
            hy.append(h)
            cy.append(c)
        x = outs[0] if dirs == 1 else F.concat(outs, axis=2)
        if call.is_train and a.p > 0 and layer < a.num_layers - 1:
            x = _dropout(call, x, a.p)
    if not a.state_outputs:
        return x
    results = [x, F.stack(hy, axis=0)]
    if a.mode == "lstm":
        results.append(F.stack(cy, axis=0))
    return results

