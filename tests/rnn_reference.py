"""Plain NumPy versions of RNN and the Sequence operators, written from MXNet's documented
formulas (one loop per time step, float64), for comparing the engine with an independent
computation.  Parameter layout: all weights (per layer, per direction: i2h then h2h), then
all biases likewise; gate blocks LSTM i, f, g, o and GRU r, z, n."""
import numpy as np

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def param_count(mode, num_layers, bidirectional, input_size, state_size, projection_size=None):
    """Length of the flat vector: per layer and direction, two weight matrices (and the
    projection's), two biases."""
    d, h, g = 1 + bool(bidirectional), state_size, GATES[mode]
    r = projection_size or h
    per_dir = [g * h * (width + r + 2) + (r * h if projection_size else 0)
               for width in [input_size] + [r * d] * (num_layers - 1)]
    return d * sum(per_dir)


def split_parameters(flat, mode, num_layers, bidirectional, input_size, state_size,
                     projection_size=None):
    """[(W_i2h, W_h2h, b_i2h, b_h2h, W_hr or None)] per (layer, direction), float64 copies.
    With a projection of size P, W_h2h is (G*H, P) and W_hr (P, H) follows it."""
    d, h, g = 1 + bool(bidirectional), state_size, GATES[mode]
    r = projection_size or h
    flat = np.asarray(flat, np.float64)
    weights, pos = [], 0

    def take(rows, cols):
        nonlocal pos
        block = flat[pos:pos + rows * cols].reshape(rows, cols)
        pos += rows * cols
        return block
    for layer in range(num_layers):
        width = input_size if layer == 0 else r * d
        for _ in range(d):
            weights.append((take(g * h, width), take(g * h, r),
                            take(r, h) if projection_size else None))
    out = []
    for wx, wh, whr in weights:
        bx = flat[pos:pos + g * h]
        bh = flat[pos + g * h:pos + 2 * g * h]
        pos += 2 * g * h
        out.append((wx, wh, bx, bh, whr))
    assert pos == flat.size, f"parameter vector of {flat.size}, layout needs {pos}"
    return out


def cell(mode, x, h, c, wx, wh, bx, bh):
    """One step: (h', c') from input x (N, I), state h (N, H), cell c (LSTM)."""
    gx, gh = x @ wx.T + bx, h @ wh.T + bh
    hs = gx.shape[1] // GATES[mode]          # H (h itself is P wide under a projection)
    if mode == "rnn_tanh":
        return np.tanh(gx + gh), None
    if mode == "rnn_relu":
        return np.maximum(gx + gh, 0.0), None
    if mode == "lstm":
        pre = gx + gh
        i, f = sigmoid(pre[:, :hs]), sigmoid(pre[:, hs:2 * hs])
        g, o = np.tanh(pre[:, 2 * hs:3 * hs]), sigmoid(pre[:, 3 * hs:])
        c = f * c + i * g
        return o * np.tanh(c), c
    r = sigmoid(gx[:, :hs] + gh[:, :hs])
    z = sigmoid(gx[:, hs:2 * hs] + gh[:, hs:2 * hs])
    n = np.tanh(gx[:, 2 * hs:] + r * gh[:, 2 * hs:])
    return (1 - z) * n + z * h, None


def rnn(data, parameters, state, state_cell=None, *, mode, state_size, num_layers,
        bidirectional=False, state_outputs=False, lengths=None, projection_size=None, **_):
    """Forward pass: output (T, N, D*H), and [output, hy(, cy)] with state_outputs.
    ``lengths``: per item, steps at or past it keep the state and output zeros."""
    x = np.asarray(data, np.float64)
    t_len, n, c_in = x.shape
    d = 1 + bool(bidirectional)
    layers = split_parameters(parameters, mode, num_layers, bidirectional, c_in, state_size,
                              projection_size)
    h0 = np.asarray(state, np.float64)
    c0 = None if state_cell is None else np.asarray(state_cell, np.float64)
    lengths = np.full(n, t_len) if lengths is None else np.asarray(lengths).astype(int)
    hy, cy = [], []
    for layer in range(num_layers):
        outs = []
        for direction in range(d):
            k = layer * d + direction
            h = h0[k].copy()
            c = None if c0 is None else c0[k].copy()
            y = np.zeros((t_len, n, projection_size or state_size))
            steps = range(t_len) if direction == 0 else range(t_len - 1, -1, -1)
            for t in steps:
                h_new, c_new = cell(mode, x[t], h, c, *layers[k][:4])
                if layers[k][4] is not None:
                    h_new = h_new @ layers[k][4].T         # the projection r = W_hr h
                live = (t < lengths)[:, None]
                y[t] = np.where(live, h_new, 0.0)
                h = np.where(live, h_new, h)
                c = None if c is None else np.where(live, c_new, c)
            outs.append(y)
            hy.append(h)
            cy.append(c)
        x = np.concatenate(outs, axis=2)
    if not state_outputs:
        return x
    return [x, np.stack(hy)] + ([np.stack(cy)] if mode == "lstm" else [])


def _batch_major(data, axis):
    return np.swapaxes(data, 0, 1) if axis == 1 else data


def sequence_last(data, lengths=None, axis=0, **_):
    x = _batch_major(data, axis)             # (T, N, ...)
    if lengths is None:
        return x[-1].copy()
    return np.stack([x[int(lengths[i]) - 1, i] for i in range(x.shape[1])])


def sequence_mask(data, lengths=None, axis=0, value=0.0, **_):
    out = _batch_major(data, axis).copy()
    if lengths is not None:
        for i in range(out.shape[1]):
            out[int(lengths[i]):, i] = value
    return _batch_major(out, axis)


def sequence_reverse(data, lengths=None, **_):
    out = data.copy()
    for i in range(data.shape[1]):
        k = data.shape[0] if lengths is None else int(lengths[i])
        out[:k, i] = data[:k, i][::-1]
    return out


# ------------------------------------------------------------------ the previous engine path
# The RNN operator as the engine computed it before its fused node (Chainer functions, one
# graph node per step): kept here as an independent reference for the fused node's gradients.
def composed_rnn(data, parameters, state, state_cell=None, lengths=None, *, mode, state_size,
                 num_layers, bidirectional=False, projection_size=None):
    """[output, hy(, cy)] as Chainer Variables built from ``data``, ``parameters``, ... (Chainer
    Variables or arrays), so that ``chainer.grad`` or ``backward`` gives their gradients."""
    import chainer
    import chainer.functions as F
    xp = chainer.backend.get_array_module(data)
    t_len, n, c_in = data.shape
    d = 1 + bool(bidirectional)
    g, h, r = GATES[mode], state_size, projection_size or state_size
    shapes = []
    for layer in range(num_layers):
        width = c_in if layer == 0 else r * d
        shapes += ([(g * h, width), (g * h, r)] + ([(r, h)] if projection_size else [])) * d
    shapes += [(g * h,)] * (2 * num_layers * d)
    cuts = list(np.cumsum([int(np.prod(s)) for s in shapes[:-1]]))
    pieces = [F.reshape(p, s) for p, s in
              zip(F.split_axis(parameters, cuts, axis=0, force_tuple=True), shapes)]
    per = 3 if projection_size else 2
    n_w = per * num_layers * d
    weights, biases = pieces[:n_w], pieces[n_w:]
    # F.lstm wants gates interleaved per unit (a=g, i, f, o): new row 4k + j reads block(j)*H + k
    order = (np.array([2, 0, 1, 3])[None, :] * h + np.arange(h)[:, None]).reshape(-1)
    valid = None
    if lengths is not None:
        lens = np.asarray(chainer.backend.CpuDevice().send(
            lengths.array if isinstance(lengths, chainer.Variable) else lengths)).astype(int)
        valid = [xp.asarray((t < lens)[:, None]) for t in range(t_len)]
    h0 = F.separate(state, axis=0)
    c0 = F.separate(state_cell, axis=0) if state_cell is not None else [None] * len(h0)
    x, hy, cy = data, [], []
    for layer in range(num_layers):
        x2d = F.reshape(x, (t_len * n, x.shape[2]))
        outs = []
        for direction in range(d):
            k = layer * d + direction
            w_x, w_h = weights[per * k], weights[per * k + 1]
            w_r = weights[per * k + 2] if projection_size else None
            b_x, b_h = biases[2 * k], biases[2 * k + 1]
            if mode == "lstm":
                w_x, w_h = F.permutate(w_x, order, axis=0), F.permutate(w_h, order, axis=0)
                proj = F.linear(x2d, w_x, F.permutate(b_x + b_h, order, axis=0))
            else:
                proj = F.linear(x2d, w_x, b_x if mode == "gru" else b_x + b_h)
            proj = F.split_axis(proj, t_len, axis=0, force_tuple=True)
            steps = range(t_len) if direction == 0 else range(t_len - 1, -1, -1)
            hs, cs, ys = h0[k], c0[k], [None] * t_len
            for t in steps:
                if mode == "lstm":
                    c_new, h_new = F.lstm(cs, proj[t] + F.linear(hs, w_h))
                    if w_r is not None:
                        h_new = F.linear(h_new, w_r)
                elif mode == "gru":
                    hw = F.linear(hs, w_h, b_h)
                    rz = F.sigmoid(proj[t][:, :2 * h] + hw[:, :2 * h])
                    n_gate = F.tanh(proj[t][:, 2 * h:] + rz[:, :h] * hw[:, 2 * h:])
                    h_new, c_new = n_gate + rz[:, h:] * (hs - n_gate), None
                else:
                    pre = proj[t] + F.linear(hs, w_h)
                    h_new = F.relu(pre) if mode == "rnn_relu" else F.tanh(pre)
                    c_new = None
                if valid is None:
                    ys[t], hs, cs = h_new, h_new, c_new
                else:
                    keep = xp.broadcast_to(valid[t], h_new.shape)
                    ys[t] = F.where(keep, h_new, xp.zeros(h_new.shape, h_new.dtype))
                    hs = F.where(keep, h_new, hs)
                    if c_new is not None:      # (the cell is H wide, h P wide under projection)
                        cs = F.where(xp.broadcast_to(valid[t], c_new.shape), c_new, cs)
            outs.append(F.stack(ys, axis=0))
            hy.append(hs)
            cy.append(cs)
        x = outs[0] if d == 1 else F.concat(outs, axis=2)
    return [x, F.stack(hy, axis=0)] + ([F.stack(cy, axis=0)] if mode == "lstm" else [])
