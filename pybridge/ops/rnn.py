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
  CPU build runs this in inference only; here it also trains.)
The whole operator is one graph node (FusedRNN) whose forward runs the time loops on the
arrays directly: per layer and direction one GEMM for the input projection of all steps, then
per step one GEMM for the recurrent product into the gate buffer and the gates activated in
place.  Its backward is backprop through time written out: per step the gate gradients and one
GEMM for the state gradient, then each weight gradient as one GEMM over all steps.
"""
import contextlib

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
def _layout(attrs, n_in):
    """Per (layer, direction): (offset, shape) in the flat parameter vector of W_i2h, W_h2h,
    b_i2h, b_h2h and W_hr (None without a projection)."""
    d, h, g, r = 1 + attrs.bidirectional, attrs.state_size, GATES[attrs.mode], _out_size(attrs)
    pos, weights = 0, []
    for layer in range(attrs.num_layers):
        width = n_in if layer == 0 else r * d
        for _ in range(d):
            entry = []
            proj = [(r, h)] if attrs.projection_size else []
            for shape in [(g * h, width), (g * h, r)] + proj:
                entry.append((pos, shape))
                pos += shape[0] * shape[1]
            weights.append(entry)
    out = []
    for entry in weights:
        out.append((entry[0], entry[1], (pos, (g * h,)), (pos + g * h, (g * h,)),
                    entry[2] if attrs.projection_size else None))
        pos += 2 * g * h
    return out


def _views(flat, layout):
    """The layout's pieces as views of ``flat`` (the parameters, or their gradient)."""
    def view(piece):
        if piece is None:
            return None
        pos, shape = piece
        return flat[pos:pos + shape[0] * (shape[1] if len(shape) == 2 else 1)].reshape(shape)
    return [tuple(view(p) for p in entry) for entry in layout]


# ---------------------------------------------------------------- one direction of one layer
def _sigmoid_(xp, a):
    """In place: a <- 1 / (1 + exp(a)), i.e. the logistic function of -a.  The gates that go
    through it are computed negated (their weight rows scaled by -1, exact in floating point):
    exp and a reciprocal on whole rows are faster than tanh, and there is no negation pass."""
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


def _gate_scale(xp, mode, h, dt):
    """Per gate row, the factor the forward pass scales the weights by: -1 for sigmoid gates
    (see _sigmoid_), -2 for LSTM's tanh gate (tanh(x) = 2 sigmoid(2x) - 1, so all four LSTM
    gates go through one _sigmoid_ call per step), 1 for GRU's n gate."""
    scale = xp.full((GATES[mode] * h,), -1, dt)
    scale[2 * h:3 * h] = -2 if mode == "lstm" else 1
    return scale


def _quiet(xp):
    """exp overflows to inf on purpose in _sigmoid_ (1 / inf = 0): no NumPy warning for it."""
    import numpy
    return numpy.errstate(over="ignore") if xp is numpy else contextlib.nullcontext()


def _forward_dir(xp, mode, x2d, wts, h0, c0, steps, masks, y, hy, cy):
    """The recurrence of one direction of one layer over all time steps.

    x2d (T*N, I): the layer input; wts: (W_i2h, W_h2h, b_i2h, b_h2h, W_hr or None); h0 (N, R),
    c0 (N, H) (LSTM) the initial states; steps: time indices in processing order; masks: None
    or per time step ((N, 1) inside the sequence, (N, 1) past its end); y (T, N, R): the view
    of the layer output to fill, or None (forward direction, no masks): then the states are
    written straight into a new output, saved["y"]; hy, cy: views to fill with the final
    states.  Returns what the backward pass needs.
    """
    w, u, bx, bh, whr = wts
    t_len, n, dt = len(steps), h0.shape[0], x2d.dtype
    gh, r = u.shape
    h = gh // GATES[mode]
    # the input projection of all steps in one GEMM; each step then adds h W_h2h^T in place,
    # and the gates are activated in place (kept for backward).  Sigmoid gates are computed
    # negated (see _gate_scale); GRU's b_h2h goes inside r * (...), so it joins the step.
    if mode in ("lstm", "gru"):
        scale = _gate_scale(xp, mode, h, dt)
        w, u = w * scale[:, None], u * scale[:, None]
        bx, bh = bx * scale, bh * scale
    gates = xp.matmul(x2d, w.T).reshape(t_len, n, gh)
    gates += bx if mode == "gru" else bx + bh
    direct = y is None        # one forward direction without masks: states are the output
    if direct:
        buf = xp.empty((t_len + 1, n, r), dt)
        hs, y = buf[:t_len], buf[1:]
        h_next = [buf[k + 1] for k in range(t_len)]
    else:
        hs = xp.empty((t_len, n, r), dt)          # the state entering each step, by time
        h_next = [hs[steps[k + 1]] for k in range(t_len - 1)] + [hy]
    hs[steps[0]] = h0
    rec = xp.empty((n, gh), dt)
    tmp = xp.empty((n, h), dt)
    u_t = u.T
    saved = {"gates": gates, "hs": hs, "y": y}
    if mode == "lstm":
        cs = saved["cs"] = xp.empty((t_len, n, h), dt)       # the cell entering each step
        cs[steps[0]] = c0
        c_next = [cs[steps[k + 1]] for k in range(t_len - 1)] + [cy]
        tc = saved["tc"] = xp.empty((t_len, n, h), dt)       # tanh of the new cell
        hraw = saved["hraw"] = None if whr is None else xp.empty((t_len, n, h), dt)
    elif mode == "gru":
        hw = saved["hw"] = xp.empty((t_len, n, gh), dt)      # h W_h2h^T + b_h2h
    for k, t in enumerate(steps):
        h_in, h_out, g = hs[t], h_next[k], gates[t]
        if mode == "lstm":
            c_in, c_out = cs[t], c_next[k]
            xp.matmul(h_in, u_t, out=rec)
            g += rec
            _sigmoid_(xp, g)
            cand = g[:, 2 * h:3 * h]
            cand *= 2
            cand -= 1
            xp.multiply(g[:, h:2 * h], c_in, out=c_out)
            xp.multiply(g[:, :h], g[:, 2 * h:3 * h], out=tmp)
            c_out += tmp
            xp.tanh(c_out, out=tc[t])
            if whr is None:
                xp.multiply(g[:, 3 * h:], tc[t], out=h_out)
            else:
                xp.multiply(g[:, 3 * h:], tc[t], out=hraw[t])
                xp.matmul(hraw[t], whr.T, out=h_out)
        elif mode == "gru":
            hwt = hw[t]
            xp.matmul(h_in, u_t, out=hwt)
            hwt += bh
            rz, nn = g[:, :2 * h], g[:, 2 * h:]
            rz += hwt[:, :2 * h]
            _sigmoid_(xp, rz)
            xp.multiply(rz[:, :h], hwt[:, 2 * h:], out=tmp)
            nn += tmp
            xp.tanh(nn, out=nn)
            xp.subtract(h_in, nn, out=h_out)           # h' = n + z * (h - n)
            h_out *= rz[:, h:]
            h_out += nn
        else:
            xp.matmul(h_in, u_t, out=rec)
            g += rec
            if mode == "rnn_relu":
                xp.maximum(g, 0, out=g)
            else:
                xp.tanh(g, out=g)
            h_out[...] = g
        if masks is None:
            if not direct:
                y[t] = h_out
        else:                      # past its length an item keeps its state, outputs zeros
            valid, done = masks[t]
            xp.copyto(h_out, h_in, where=done)
            if mode == "lstm":
                xp.copyto(c_out, c_in, where=done)
            xp.multiply(h_out, valid, out=y[t])
    if direct:
        hy[...] = buf[t_len]
    return saved


def _step_factors(xp, mode, saved):
    """For every step at once, what multiplies the gradient of the new state (and, LSTM, of the
    new cell) to give the gate gradients before activation, so that each backward step is a
    few whole-array products.  From the activations the forward pass kept."""
    g = saved["gates"]
    t_len, n, gh = g.shape
    if mode == "lstm":
        h = gh // 4
        g4 = g.reshape(t_len, n, 4, h)
        i, cand, o, tc = g4[:, :, 0], g4[:, :, 2], g4[:, :, 3], saved["tc"]
        # the derivatives of all four gates in two whole-array passes (contiguous: faster
        # than one gate at a time), the candidate's then redone as tanh's
        d = xp.multiply(g4, g4)
        xp.subtract(g4, d, out=d)                            # sigmoid' = s (1 - s)
        dcand = d[:, :, 2]
        xp.multiply(cand, cand, out=dcand)
        xp.subtract(1, dcand, out=dcand)                     # tanh' = 1 - t^2
        # dc' -> i, f, g and dh' -> o
        for k, other in enumerate((cand, saved["cs"], i, tc)):
            d[:, :, k] *= other
        to_cell = xp.multiply(tc, tc)                        # dh' -> dc'
        xp.subtract(1, to_cell, out=to_cell)
        to_cell *= o
        return d[:, :, :3], d[:, :, 3], to_cell
    if mode == "gru":
        h = gh // 3
        g3 = g.reshape(t_len, n, 3, h)
        r, z, nn = g3[:, :, 0], g3[:, :, 1], g3[:, :, 2]
        factors = xp.multiply(g3, g3)           # dh' -> r, z, and the h2h n part (below)
        to_n = 1 - factors[:, :, 2]                          # dh' -> n before its tanh
        to_n *= 1 - z
        xp.subtract(g3, factors, out=factors)                # sigmoid' = s (1 - s), r and z
        factors[:, :, 0] *= saved["hw"][..., 2 * h:]
        factors[:, :, 0] *= to_n
        factors[:, :, 1] *= saved["hs"] - nn
        xp.multiply(to_n, r, out=factors[:, :, 2])
        return factors, to_n
    return ((g > 0).astype(g.dtype) if mode == "rnn_relu" else 1 - g * g),


def _backward_dir(xp, mode, x2d, wts, saved, steps, masks, dy, dhy, dcy, grads, need_dx):
    """Backprop through time for one direction of one layer (see _forward_dir).

    dy (T, N, R): the view of the gradient of the layer output, or None; dhy, dcy: gradients of
    the final states, or None; grads: views of the parameter gradient to write.  Per step the
    gate gradients and one GEMM for the state gradient; the weight gradients afterwards as
    one GEMM each over all steps.  Returns the gradients of x2d (None unless need_dx), h0, c0.
    """
    w, u, bx, bh, whr = wts
    gw, gu, gbx, gbh, gwhr = grads
    gates, hs = saved["gates"], saved["hs"]
    t_len, n, gh = gates.shape
    r, dt = u.shape[1], gates.dtype
    h = gh // GATES[mode]
    dh = xp.zeros((n, r), dt) if dhy is None else dhy
    dc = (xp.zeros((n, h), dt) if dcy is None else dcy) if mode == "lstm" else None
    dg = xp.empty_like(gates)            # gradient of the gates before their activation
    factors = _step_factors(xp, mode, saved)
    if mode == "lstm":
        dr = None if whr is None else xp.empty((t_len, n, r), dt)
    elif mode == "gru":
        dhs = xp.empty((t_len, n, h), dt)    # gradient of each new state
    for k in range(t_len - 1, -1, -1):
        t = steps[k]
        if mode == "gru":
            dh_new = dhs[t]
            if dy is not None:
                xp.add(dh, dy[t], out=dh_new)
            else:
                dh_new[...] = dh
        else:
            dh_new = dh.copy() if dy is None else xp.add(dh, dy[t])
        if masks is not None:
            valid, done = masks[t]
            carry_h = dh * done
            dh_new *= valid
            if mode == "lstm":
                carry_c, dc = dc * done, dc * valid
        dgt = dg[t]
        if mode == "lstm":
            to_gates, to_o, to_cell = factors
            if whr is not None:
                dr[t] = dh_new
                dh_new = xp.matmul(dh_new, whr)
            dc_new = dh_new * to_cell[t]
            dc_new += dc
            xp.multiply(dc_new[:, None, :], to_gates[t], out=dgt.reshape(n, 4, h)[:, :3])
            xp.multiply(dh_new, to_o[t], out=dgt[:, 3 * h:])
            dc = xp.multiply(dc_new, gates[t, :, h:2 * h], out=dc_new)
            dh = xp.matmul(dgt, u)
        elif mode == "gru":
            xp.multiply(dh_new[:, None, :], factors[0][t], out=dgt.reshape(n, 3, h))
            dh = xp.matmul(dgt, u)
            dh_new = dh_new * gates[t, :, h:2 * h]         # h' = ... + z h
            dh += dh_new
        else:
            xp.multiply(dh_new, factors[0][t], out=dgt)
            dh = xp.matmul(dgt, u)
        if masks is not None:
            dh += carry_h
            if mode == "lstm":
                dc += carry_c
    flat = dg.reshape(t_len * n, gh)
    xp.matmul(flat.T, hs.reshape(t_len * n, r), out=gu)
    # bias gradients as a product with ones: 3x faster than sum(axis=0) on (T*N, G*H)
    ones = xp.ones((t_len * n,), dt)
    xp.matmul(ones, flat, out=gbh)
    if mode == "gru":            # from the h2h product to the input projection: n's gradient
        xp.multiply(dhs, factors[1], out=dg[..., 2 * h:])
        xp.matmul(ones, flat, out=gbx)
    else:
        gbx[...] = gbh
    xp.matmul(flat.T, x2d, out=gw)
    if whr is not None:
        xp.matmul(dr.reshape(t_len * n, r).T, saved["hraw"].reshape(t_len * n, h), out=gwhr)
    return (xp.matmul(flat, w) if need_dx else None), dh, dc


# ---------------------------------------------------------------- all layers: one graph node
class FusedRNN(chainer.function_node.FunctionNode):
    """The whole operator (every layer and direction) as one graph node: forward runs the time
    loops on arrays (NumPy or CuPy), backward is backprop through time written out.  One node
    instead of several per time step: at small sizes the per-node overhead was most of the
    time.  Inputs data, parameters, state (, state_cell); outputs output, hy (, cy)."""

    def __init__(self, attrs, masks, train, keep):
        super().__init__()
        self.attrs, self.masks, self.train, self.keep = attrs, masks, train, keep

    def _steps(self, t_len, direction):
        return list(range(t_len)) if direction == 0 else list(range(t_len - 1, -1, -1))

    def forward(self, inputs):
        a = self.attrs
        data, params, state = inputs[:3]
        cell = inputs[3] if a.mode == "lstm" else None
        xp = chainer.backend.get_array_module(data)
        t_len, n, dt = data.shape[0], data.shape[1], data.dtype
        dirs, r = 1 + a.bidirectional, _out_size(a)
        self.layout = _layout(a, data.shape[2])
        self.wts = _views(xp.ascontiguousarray(params), self.layout)
        hy = xp.empty((a.num_layers * dirs, n, r), dt)
        cy = xp.empty((a.num_layers * dirs, n, a.state_size), dt) if cell is not None else None
        x, self.layers = xp.ascontiguousarray(data), []
        for layer in range(a.num_layers):
            x2d = x.reshape(t_len * n, x.shape[2])
            direct = dirs == 1 and self.masks is None
            y = None if direct else xp.empty((t_len, n, dirs * r), dt)
            saved = []
            for d in range(dirs):
                k = layer * dirs + d
                with _quiet(xp):
                    saved.append(_forward_dir(xp, a.mode, x2d, self.wts[k], state[k],
                                              None if cell is None else cell[k],
                                              self._steps(t_len, d), self.masks,
                                              None if direct else y[:, :, d * r:(d + 1) * r],
                                              hy[k], None if cy is None else cy[k]))
            if direct:
                y = saved[0]["y"]
            drop = None
            if self.train and a.p > 0 and layer < a.num_layers - 1:
                drop = (uniform(xp, 0.0, 1.0, y.shape, dt) >= a.p).astype(dt)
                drop *= dt.type(1.0 / (1.0 - a.p))
                y *= drop
            x = y
            if self.keep:
                self.layers.append((x2d, saved, drop))
        self.shapes = (data.shape, params.shape)
        return (x, hy) if cy is None else (x, hy, cy)

    def backward(self, indexes, grad_outputs):
        a = self.attrs
        grads = [None if g is None else g.array for g in grad_outputs]
        dy, dhy = grads[0], grads[1]
        dcy = grads[2] if a.mode == "lstm" else None
        x2d0 = self.layers[0][0]
        xp = chainer.backend.get_array_module(x2d0)
        (t_len, n, c_in), dt = self.shapes[0], x2d0.dtype
        dirs, r = 1 + a.bidirectional, _out_size(a)
        gparams = xp.zeros(self.shapes[1], dt)
        gviews = _views(gparams, self.layout)
        gstate = xp.empty((a.num_layers * dirs, n, r), dt)
        gcell = xp.empty((a.num_layers * dirs, n, a.state_size), dt) \
            if a.mode == "lstm" else None
        for layer in range(a.num_layers - 1, -1, -1):
            x2d, saved, _ = self.layers[layer]
            need_dx = layer > 0 or 0 in indexes
            dx = None
            for d in range(dirs):
                k = layer * dirs + d
                dxd, dh0, dc0 = _backward_dir(
                    xp, a.mode, x2d, self.wts[k], saved[d], self._steps(t_len, d), self.masks,
                    None if dy is None else dy[:, :, d * r:(d + 1) * r],
                    None if dhy is None else dhy[k], None if dcy is None else dcy[k],
                    gviews[k], need_dx)
                gstate[k] = dh0
                if gcell is not None:
                    gcell[k] = dc0
                if need_dx:
                    dx = dxd if dx is None else xp.add(dx, dxd, out=dx)
            if layer > 0:
                dy = dx.reshape(t_len, n, dx.shape[1])
                drop = self.layers[layer - 1][2]
                if drop is not None:
                    dy *= drop
        out = {0: None if dx is None else dx.reshape(t_len, n, c_in), 1: gparams, 2: gstate,
               3: gcell}
        return tuple(None if out[i] is None else chainer.Variable(out[i]) for i in indexes)

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


def _step_masks(xp, lengths, t_len):
    """Per time step, (N, 1) masks of the batch items whose sequence covers that step and of
    those past their sequence's end."""
    lens = raw(lengths).astype("int64")
    if int(lens.min()) < 1 or int(lens.max()) > t_len:
        raise MXNetError(f"RNN: 'sequence_length' values must be in [1, {t_len}], got values in "
                         f"[{int(lens.min())}, {int(lens.max())}]")
    steps = xp.arange(t_len, dtype="int64")
    valid = (steps[:, None] < xp.asarray(lens)[None, :])[:, :, None]
    return list(zip(valid, ~valid))


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
    a = call.attrs
    _check_attrs(a)
    _check_inputs(a, data, parameters, state, rest)
    rest = list(rest)
    cell = rest.pop(0) if a.mode == "lstm" else None
    lengths = rest.pop(0) if a.use_sequence_length else None
    masks = None if lengths is None else _step_masks(call.xp, lengths, data.shape[0])
    inputs = (data, parameters, state) + (() if cell is None else (cell,))
    graph = call.F is chainer.functions
    node = FusedRNN(a, masks, call.is_train, keep=graph)
    outs = node.apply(inputs) if graph else node.forward(tuple(raw(x) for x in inputs))
    return list(outs) if a.state_outputs else outs[0]
