# Replays a training-parity fixture through R's mx.model.FeedForward.create.
# Args: symbol.json, inputs.nd (data, label, init:*), output.nd, optimizer, batch size, then
# optimizer settings as name=value pairs (learning.rate=0.1 momentum=0.9 wd=1e-4).
library(mxnet)
a <- commandArgs(TRUE)
sym <- mx.symbol.load(a[1])
inputs <- mx.nd.load(a[2])
settings <- lapply(strsplit(a[-(1:5)], "="), function(kv) as.numeric(kv[2]))
names(settings) <- vapply(strsplit(a[-(1:5)], "="), `[`, "", 1)
init <- inputs[startsWith(names(inputs), "init:")]
names(init) <- sub("^init:", "", names(init))
iter <- mx.io.arrayiter(as.array(inputs[["data"]]), as.array(inputs[["label"]]),
                        batch.size = as.integer(a[5]), shuffle = FALSE)
model <- do.call(mx.model.FeedForward.create,
                 c(list(sym, X = iter, ctx = mx.cpu(), num.round = 1, optimizer = a[4],
                        arg.params = init, eval.metric = mx.metric.accuracy, verbose = FALSE),
                   settings))
mx.nd.save(model$arg.params, a[3])
