# Metrics, initializers, optimizers and learning-rate schedules from R.
context("metrics, initializers, optimizers")

engine_metric <- function(kind, label, pred) {
  mxnet:::.mx.py("test", "rshim.training.metric_eval",
                 list(list(engine = kind, name = kind), mx.nd.array(label), mx.nd.array(pred)))
}

test_that("built-in metrics: R values and the engine's agree with hand computation", {
  pred <- matrix(c(0.7, 0.2, 0.1,  0.1, 0.8, 0.1,  0.3, 0.3, 0.4,  0.5, 0.4, 0.1), 3, 4)
  label <- c(0, 1, 1, 1)
  acc <- mean(c(TRUE, TRUE, FALSE, FALSE))           # argmax classes 0, 1, 2, 0
  m <- mx.metric.accuracy
  st <- m$update(mx.nd.array(label), mx.nd.array(pred), m$init())
  expect_equal(m$get(st)$name, "accuracy")
  expect_equal(m$get(st)$value, acc, tolerance = 1e-6)
  expect_equal(engine_metric("accuracy", label, pred), acc, tolerance = 1e-6)
  y <- c(1, 2, 3, 4)
  p <- c(1.5, 2, 2, 5)
  regs <- list(mse = mean((y - p)^2), rmse = sqrt(mean((y - p)^2)), mae = mean(abs(y - p)),
               rmsle = sqrt(mean((log1p(p) - log1p(y))^2)))
  for (k in names(regs)) {
    m <- get(paste0("mx.metric.", k))
    st <- m$update(mx.nd.array(y), mx.nd.array(p), m$init())
    expect_equal(m$get(st)$value, regs[[k]], tolerance = 1e-6, info = k)
    expect_equal(engine_metric(k, y, p), regs[[k]], tolerance = 1e-6, info = k)
  }
  yb <- c(1, 0, 1)
  pb <- c(0.9, 0.2, 0.6)
  ll <- -mean(yb * log(pb) + (1 - yb) * log(1 - pb))
  st <- mx.metric.logloss$update(mx.nd.array(yb), mx.nd.array(pb), mx.metric.logloss$init())
  expect_equal(mx.metric.logloss$get(st)$value, ll, tolerance = 1e-6)
  expect_equal(engine_metric("logloss", yb, pb), ll, tolerance = 1e-6)
  pp <- matrix(c(0.5, 0.5, 0.25, 0.75), 2, 2)
  perp <- exp(-mean(log(c(0.5, 0.75))))
  expect_equal(engine_metric("Perplexity", c(0, 1), pp), perp, tolerance = 1e-6)
})

test_that("a custom metric averages its per-batch values", {
  m <- mx.metric.custom("half", function(label, pred) 0.5 * as.array(mx.nd.sum(label)))
  st <- m$init()
  st <- m$update(mx.nd.array(c(1, 1)), mx.nd.array(c(0, 0)), st)
  st <- m$update(mx.nd.array(c(2, 2)), mx.nd.array(c(0, 0)), st)
  expect_equal(m$get(st), list(name = "half", value = (1 + 2) / 2))
  expect_error(mx.metric.custom(1, identity), "mx.metric.custom: name")
  expect_error(mx.metric.custom("a", 3), "feval must be a function")
})

test_that("initializers: patterns, ranges and Xavier's scale from R dims", {
  init <- mx.init.uniform(0.5)
  expect_equal(as.array(init("fc_bias", 7)), rep(0, 7))
  w <- as.array(init("fc_weight", c(30, 40)))
  expect_equal(dim(w), c(30, 40))
  expect_true(all(w >= -0.5 & w <= 0.5))
  expect_gt(sd(as.vector(w)), 0.2)                 # U(-0.5, 0.5): sd 0.289
  expect_equal(as.array(mx.init.normal(1)("bn_gamma", 3)), rep(1, 3))
  shape <- c(3, 3, 8, 16)                           # conv weight, R order
  fan_in <- 3 * 3 * 8
  fan_out <- 16
  w <- as.array(mx.init.Xavier(factor_type = "in", magnitude = 2)("c_weight", shape))
  expect_true(all(abs(w) <= sqrt(2 / fan_in)))
  expect_gt(max(abs(w)), 0.8 * sqrt(2 / fan_in))
  g <- as.array(mx.init.Xavier(rnd_type = "gaussian", factor_type = "out",
                               magnitude = 4)("c_weight", c(200, 100)))
  expect_equal(sd(as.vector(g)), sqrt(4 / 100), tolerance = 0.02)
  mx.set.seed(3)
  a <- as.array(init("x_weight", 20))
  mx.set.seed(3)
  expect_equal(as.array(init("x_weight", 20)), a)
  expect_error(mxnet:::mx.init.internal.default("X", 3), "Unkown initialization pattern for  X")
  expect_error(mx.init.Xavier(rnd_type = "beta"), "Not supported random type")
  expect_error(mx.init.uniform("a"), "mx.init.uniform: scale")
  res <- mx.init.create(init, list(a_weight = c(2, 2), a_bias = 2, data = c(2, 5)))
  expect_equal(names(res), c("a_weight", "a_bias"))
})

test_that("optimizers through mx.opt.get.updater follow their update rules", {
  w0 <- c(1, -2, 3)
  g0 <- c(0.5, 0.5, -1)
  up <- mx.opt.get.updater(mx.opt.create("sgd", learning.rate = 0.1, wd = 0.01,
                                         rescale.grad = 0.5), list(a = NULL))
  res <- up(list(mx.nd.array(w0)), list(mx.nd.array(g0)))
  expect_equal(as.array(res[[1]]), w0 - 0.1 * (0.5 * g0 + 0.01 * w0), tolerance = 1e-6)
  # momentum: two steps
  up <- mx.opt.get.updater(mx.opt.create("sgd", learning.rate = 0.1, momentum = 0.9), NULL)
  w1 <- as.array(up(list(mx.nd.array(w0)), list(mx.nd.array(g0)))[[1]])
  mom <- -0.1 * g0
  expect_equal(w1, w0 + mom, tolerance = 1e-6)
  w2 <- as.array(up(list(mx.nd.array(w1)), list(mx.nd.array(g0)))[[1]])
  expect_equal(w2, w1 + 0.9 * mom - 0.1 * g0, tolerance = 1e-6)
  # MXNet R's adam: no bias correction of the rate
  up <- mx.opt.get.updater(mx.opt.create("adam", learning.rate = 0.01), NULL)
  m <- 0.1 * g0
  v <- 0.001 * g0^2
  expect_equal(as.array(up(list(mx.nd.array(w0)), list(mx.nd.array(g0)))[[1]]),
               w0 - 0.01 * m / (sqrt(v) + 1e-8), tolerance = 1e-5)
  # clipping
  up <- mx.opt.get.updater(mx.opt.create("sgd", learning.rate = 1, clip_gradient = 0.25), NULL)
  expect_equal(as.array(up(list(mx.nd.array(w0)), list(mx.nd.array(g0)))[[1]]),
               w0 - pmin(pmax(g0, -0.25), 0.25), tolerance = 1e-6)
  # NULL gradients leave NULL
  up <- mx.opt.get.updater(mx.opt.create("sgd"), NULL)
  res <- up(list(a = mx.nd.array(w0), b = mx.nd.array(w0)), list(NULL, mx.nd.array(g0)))
  expect_null(res$a)
  expect_equal(names(res), c("a", "b"))
})

test_that("a factor schedule lowers the rate in the engine", {
  sched <- mx.lr_scheduler.FactorScheduler(step = 2, factor_val = 0.5)
  up <- mx.opt.get.updater(mx.opt.create("sgd", learning.rate = 1, lr_scheduler = sched), NULL)
  w <- c(0)
  steps <- c()
  for (i in 1:5) {
    new <- as.array(up(list(mx.nd.array(w)), list(mx.nd.array(1)))[[1]])
    steps <- c(steps, w - new)
    w <- new
  }
  expect_equal(steps, c(1, 1, 0.5, 0.5, 0.25))
  env <- new.env()
  env$lr <- 1; env$count <- 0; env$num_update <- 3
  expect_message(sched(env), "learning rate is changed to 0.5")
  expect_equal(env$lr, 0.5)
  expect_error(mx.lr_scheduler.FactorScheduler(0, 0.5), "greater or equal than 1")
  expect_error(mx.lr_scheduler.MultiFactorScheduler(c(3, 2), 0.5), "increasing")
})

test_that("bad optimizer input is an R error", {
  expect_error(mx.opt.create("sgdx"), "mx.opt.create: Unknown optimizer sgdx")
  expect_error(mx.opt.create("sgd", learnin.rate = 0.1), "unknown parameter\\(s\\) learnin.rate")
  expect_error(mx.opt.create("adam", beta1 = "a"), "beta1 must be a single number")
  expect_error(mx.opt.get.updater(list(), NULL), "mx.opt.get.updater")
})
