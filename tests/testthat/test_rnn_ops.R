# The fused RNN operator and the Sequence operators from R, with R dims (the reverse of the
# engine's shapes): data c(C, N, T), state c(H, N, layers), output c(H, N, T).

# A 1-layer rnn_tanh in plain R from MXNet's flat parameter vector (weights i2h (H x C) then
# h2h (H x H), each row-major, then biases b_i2h, b_h2h); x has R dims c(C, N, T).
r_rnn_tanh <- function(x, flat, h0, H) {
  C <- dim(x)[1]
  T <- dim(x)[3]
  wx <- matrix(flat[seq_len(H * C)], nrow = H, byrow = TRUE)
  wh <- matrix(flat[H * C + seq_len(H * H)], nrow = H, byrow = TRUE)
  bx <- flat[H * C + H * H + seq_len(H)]
  bh <- flat[H * C + H * H + H + seq_len(H)]
  h <- matrix(h0, nrow = H)                     # H x N
  out <- array(0, c(H, dim(x)[2], T))
  for (t in seq_len(T)) {
    h <- tanh(wx %*% x[, , t] + bx + wh %*% h + bh)
    out[, , t] <- h
  }
  list(out = out, h = h)
}

rnn_inputs <- function(C = 3, N = 4, T = 5, H = 6) {
  set.seed(7)
  list(x = array(runif(C * N * T, -1, 1), c(C, N, T)),
       flat = runif(H * C + H * H + 2 * H, -0.5, 0.5),
       h0 = array(runif(H * N, -1, 1), c(H, N, 1)), H = H)
}

test_that("mx.nd.RNN with R dims matches an R computation of a 1-layer rnn_tanh", {
  a <- rnn_inputs()
  res <- mx.nd.RNN(mx.nd.array(a$x), mx.nd.array(a$flat), mx.nd.array(a$h0),
                   state.size = a$H, num.layers = 1, mode = "rnn_tanh", state.outputs = TRUE)
  want <- r_rnn_tanh(float32(a$x), float32(a$flat), float32(a$h0), a$H)
  expect_equal(dim(res[[1]]), c(a$H, 4, 5))
  expect_equal(dim(res[[2]]), c(a$H, 4, 1))
  expect_equal(as.array(res[[1]]), want$out, tolerance = 1e-5)
  expect_equal(as.array(res[[2]])[, , 1], want$h, tolerance = 1e-5)
})

test_that("mx.symbol.RNN infers parameters and state from data and binds", {
  a <- rnn_inputs()
  sym <- mx.symbol.RNN(data = mx.symbol.Variable("data"),
                       parameters = mx.symbol.Variable("rnn.params"),
                       state = mx.symbol.Variable("rnn.state"),
                       state.size = a$H, num.layers = 1, mode = "rnn_tanh")
  shapes <- mx.symbol.infer.shape(sym, data = dim(a$x))
  expect_equal(shapes$arg.shapes$rnn.params, length(a$flat))
  expect_equal(shapes$arg.shapes$rnn.state, c(a$H, 4, 1))
  expect_equal(shapes$out.shapes[[1]], c(a$H, 4, 5))
  exec <- mx.simple.bind(sym, ctx = mx.cpu(), data = dim(a$x), grad.req = "null")
  mx.exec.update.arg.arrays(exec, list(data = mx.nd.array(a$x),
                                       rnn.params = mx.nd.array(a$flat),
                                       rnn.state = mx.nd.array(a$h0)), match.name = TRUE)
  mx.exec.forward(exec, is.train = FALSE)
  want <- r_rnn_tanh(float32(a$x), float32(a$flat), float32(a$h0), a$H)
  expect_equal(as.array(exec$ref.outputs[[1]]), want$out, tolerance = 1e-5)
  # an LSTM: the state_cell argument appears, with the state's shape
  lstm <- mx.symbol.RNN(data = mx.symbol.Variable("data"), state.size = 8, num.layers = 2,
                        mode = "lstm", bidirectional = TRUE, name = "lstm")
  expect_equal(arguments(lstm), c("data", "lstm_parameters", "lstm_state", "lstm_state_cell"))
  sh <- mx.symbol.infer.shape(lstm, data = c(3, 4, 5))$arg.shapes
  expect_equal(sh$lstm_state_cell, c(8, 4, 4))
  expect_equal(sh$lstm_parameters, 4 * 8 * 2 * ((3 + 8 + 2) + (2 * 8 + 8 + 2)))
})

test_that("mx.symbol.SequenceLast and SequenceMask from R", {
  x <- array(as.numeric(1:24), c(2, 3, 4))       # c(features, batch, time)
  len <- c(2, 4, 1)
  last <- mx.symbol.SequenceLast(data = mx.symbol.Variable("x"),
                                 sequence_length = mx.symbol.Variable("len"),
                                 use.sequence.length = TRUE)
  exec <- mx.simple.bind(last, ctx = mx.cpu(), x = dim(x), len = 3, grad.req = "null")
  mx.exec.update.arg.arrays(exec, list(x = mx.nd.array(x), len = mx.nd.array(len)),
                            match.name = TRUE)
  mx.exec.forward(exec, is.train = FALSE)
  want <- sapply(1:3, function(i) x[, i, len[i]])
  expect_equal(as.array(exec$ref.outputs[[1]]), want)
  # without lengths: the last time step
  expect_equal(as.array(mx.nd.SequenceLast(mx.nd.array(x))), x[, , 4])

  mask <- mx.symbol.SequenceMask(data = mx.symbol.Variable("x"),
                                 sequence_length = mx.symbol.Variable("len"),
                                 use.sequence.length = TRUE, value = -1)
  exec <- mx.simple.bind(mask, ctx = mx.cpu(), x = dim(x), len = 3, grad.req = "null")
  mx.exec.update.arg.arrays(exec, list(x = mx.nd.array(x), len = mx.nd.array(len)),
                            match.name = TRUE)
  mx.exec.forward(exec, is.train = FALSE)
  want <- x
  for (i in 1:3) if (len[i] < 4) want[, i, (len[i] + 1):4] <- -1
  expect_equal(as.array(exec$ref.outputs[[1]]), want)
  expect_equal(as.array(mx.nd.SequenceMask(mx.nd.array(x), mx.nd.array(len),
                                           use.sequence.length = TRUE, value = -1)), want)
})

test_that("RNN bad input is an R error naming RNN and the argument", {
  a <- rnn_inputs()
  expect_error(mx.nd.RNN(mx.nd.array(a$x), mx.nd.array(a$flat[-1]), mx.nd.array(a$h0),
                         state.size = a$H, num.layers = 1, mode = "rnn_tanh"),
               "RNN.*parameters")
  expect_error(mx.nd.RNN(mx.nd.array(a$x), mx.nd.array(a$flat), mx.nd.array(a$h0),
                         state.size = a$H, num.layers = 1, mode = "lstm"),
               "RNN.*state_cell")
  expect_error(mx.nd.RNN(mx.nd.array(a$x), mx.nd.array(a$flat), mx.nd.array(a$h0),
                         state.size = a$H, num.layers = 1, mode = "elman"),
               "RNN.*mode")
})
