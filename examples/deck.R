# The 2018 MXNet R deck ("mxnet", Tong He, July 11th 2018), every R chunk in order, unchanged
# except where the deck downloads from the web (replaced by data files that
# `examples/get_data` makes) and where it needs a GPU (see "GPU" below). Run by
# `bash scripts/deck` in examples/output/, where the plots and the saved model land.
# Lines between "# ---- mxnet-bridge:" markers are ours; everything else is the deck's.

# ---- mxnet-bridge: set-up --------------------------------------------------------------------
deck_started <- Sys.time()
deck_data <- Sys.getenv("MXNET_DECK_DATA", file.path(dirname(getwd()), "..", "data"))
chunk <- function(title) message("\n==== ", title, " ====")
# plots go to files when there is no screen; when knitr renders the deck (examples/render_deck.R)
# they go inline into the page instead
plots_to_files <- !interactive() && !isTRUE(getOption("knitr.in.progress"))
if (plots_to_files) {
  png_counter <- 0
  next_png <- function(name) {
    png_counter <<- png_counter + 1
    png(sprintf("plot-%02d-%s.png", png_counter, name), width = 480, height = 480)
  }
}
# ---- mxnet-bridge: end -----------------------------------------------------------------------

chunk("Configuration: test your installation")
library(mxnet)
a <- mx.nd.ones(c(2, 3))
b <- a * 2 + 1
b

# ---- mxnet-bridge: GPU. Where no GPU is present, mx.gpu() below gives mx.cpu() and says so.
gpu_works <- tryCatch({ mx.nd.ones(1, ctx = mx.gpu()); TRUE }, error = function(e) FALSE)
if (!gpu_works) {
  message("No GPU available here: the deck's mx.gpu() chunks run on mx.cpu().")
  mx.gpu <- function(dev.id = 0) mx.cpu()
}
# ---- mxnet-bridge: end

chunk("Configuration: if has GPU")
a <- mx.nd.ones(c(3, 2), ctx=mx.gpu())
b <- a * 2 + 1
b

chunk("NDArray: create")
a <- mx.nd.array(1:5)
a
class(a)

chunk("NDArray: vectorization")
b <- a + 1/a
b
class(b)

chunk("NDArray: math and random sampling")
mx.nd.log(a+10)
mx.nd.random.normal(0, 1, 10)

chunk("NDArray: convert to R vector/matrix/array")
a <- mx.nd.ones(c(2, 3))
mat_a <- as.matrix(a)
mat_a
class(a)

chunk("NDArray: GPU compatible computation")
a <- mx.nd.ones(c(2,3), ctx=mx.gpu())
b <- a * 2 + 1
b
class(b)

chunk("NDArray: matrix multiplication on CPU")
mat <- matrix(runif(4000*4000), 4000, 4000)
system.time({
  res_mat <- mat %*% mat
})

chunk("NDArray: matrix multiplication on GPU")
system.time({
  a <- mx.nd.array(mat, ctx = mx.gpu())
  res <- mx.nd.dot(a, a)
  res_mat <- as.matrix(res)
})
class(res)
class(res_mat)

chunk("NDArray: asynchronous computation")
a <- mx.nd.array(mat)
system.time({
  res <- mx.nd.dot(a, a)
})
system.time({
  res_mat <- as.matrix(res)
})

chunk("Neural network: building blocks")
fc = mx.symbol.FullyConnected()
conv = mx.symbol.Convolution()
pool1 <- mx.symbol.Pooling(pool.type='avg')
act1 <- mx.symbol.Activation(pool.type='relu')

chunk("MNIST")
# ---- mxnet-bridge: instead of download.file(...): the data made by examples/get_data
for (f in c("mnist.rda", "fmnist.rda"))
  if (!file.exists(f)) invisible(file.symlink(file.path(deck_data, f), f))
# ---- mxnet-bridge: end
load('mnist.rda')
dim(train_mnist)
dim(test_mnist)

plot_mnist <- function(dat, ind) {
      mat <- matrix(as.numeric(dat[ind,-1]), 28, 28)
      image(mat[,28:1], axes=FALSE, col=grey(seq(0, 1, length = 256)))
}
if (plots_to_files) next_png("mnist-19")                             # mxnet-bridge
plot_mnist(train_mnist, 19)
if (plots_to_files) invisible(dev.off())                             # mxnet-bridge

x <- train_mnist[,-1]
y <- train_mnist[,1]

x.test <- test_mnist[,-1]
y.test <- test_mnist[,1]

train_mnist_iter <- mx.io.arrayiter(t(x), y, batch.size = 128, shuffle = TRUE)
test_mnist_iter <- mx.io.arrayiter(t(x.test), y.test, batch.size = 128, shuffle = FALSE)

chunk("MLP on MNIST")
small_net = function() {
  data <- mx.symbol.Variable("data")
  
  fc1 <- mx.symbol.FullyConnected(data, num_hidden = 256)
  act <- mx.symbol.Activation(fc1, act_type = 'tanh')
  
  fc2 <- mx.symbol.FullyConnected(act, num_hidden = 10)
  net <- mx.symbol.SoftmaxOutput(data=fc2)
  return(net)
}

net = small_net()

model <- mx.model.FeedForward.create(net, train_mnist_iter, ctx=mx.cpu(),
                                     eval.metric=mx.metric.accuracy,
                                     eval.data=test_mnist_iter,
                                     learning.rate=0.01, num.round=10)

chunk("mx.mlp on MNIST")
model <- mx.mlp(train_mnist_iter, hidden_node=c(256), out_node=10, ctx=mx.cpu(), 
                eval.metric=mx.metric.accuracy,
                eval.data=test_mnist_iter,
                learning.rate=0.01, num.round=10)

chunk("mx.mlp with more hidden layers on MNIST")
model <- mx.mlp(train_mnist_iter, hidden_node=c(256, 100, 50), out_node=10, ctx=mx.cpu(), 
                eval.metric=mx.metric.accuracy,
                eval.data=test_mnist_iter,
                learning.rate=0.1, num.round=10)

chunk("FashionMNIST")
load('fmnist.rda')
dim(train_fmnist)
dim(test_fmnist)
if (plots_to_files) next_png("fmnist-1")                             # mxnet-bridge
plot_mnist(train_fmnist, 1)
if (plots_to_files) invisible(dev.off())                             # mxnet-bridge

x <- train_fmnist[,-1]
y <- train_fmnist[,1]

x.test <- test_fmnist[,-1]
y.test <- test_fmnist[,1]

train_fmnist_iter <- mx.io.arrayiter(t(x), y, batch.size = 128, shuffle = TRUE)
test_fmnist_iter <- mx.io.arrayiter(t(x.test), y.test, batch.size = 128, shuffle = FALSE)

chunk("MLP on FashionMNIST")
model <- mx.mlp(train_fmnist_iter, hidden_node=c(256), out_node=10, ctx=mx.cpu(), 
                eval.metric=mx.metric.accuracy,
                eval.data=test_fmnist_iter,
                learning.rate=0.01, num.round=10)

chunk("LeNet")
get.lenet <- function() {
  # input
  data <- mx.symbol.Variable('data')
  # first conv
  conv1 <- mx.symbol.Convolution(data=data, kernel=c(5,5), num_filter=6)
  relu1 <- mx.symbol.Activation(data=conv1, act_type="relu")
  pool1 <- mx.symbol.Pooling(data=relu1, pool_type="max",
                             kernel=c(2,2), stride=c(2,2))
  # second conv
  conv2 <- mx.symbol.Convolution(data=pool1, kernel=c(3,3), num_filter=16)
  relu2 <- mx.symbol.Activation(data=conv2, act_type="relu")
  pool2 <- mx.symbol.Pooling(data=relu2, pool_type="max",
                             kernel=c(2,2), stride=c(2,2))
  # first fullc
  flatten <- mx.symbol.Flatten(data=pool2)
  fc1 <- mx.symbol.FullyConnected(data=flatten, num_hidden=120)
  relu3 <- mx.symbol.Activation(data=fc1, act_type="relu")
  # second fullc
  fc2 <- mx.symbol.FullyConnected(data=relu3, num_hidden=84)
  relu4 <- mx.symbol.Activation(data=fc2, act_type="relu")
  # final fullc
  fc3 <- mx.symbol.FullyConnected(data=relu4, num_hidden=10)
  # loss
  lenet <- mx.symbol.SoftmaxOutput(data=fc3)
  return(lenet)
}

lenet = get.lenet()

x <- train_fmnist[,-1]
y <- train_fmnist[,1]

x.test <- test_fmnist[,-1]
y.test <- test_fmnist[,1]

# transpose and reshape
x <- t(x/255)
dim(x) <- c(28, 28, 1, ncol(x))
x.test <- t(x.test/255)
dim(x.test) <- c(28, 28, 1, ncol(x.test))

train_fmnist_iter <- mx.io.arrayiter(x, y, batch.size = 128, shuffle = TRUE)
test_fmnist_iter <- mx.io.arrayiter(x.test, y.test, batch.size = 128, shuffle = FALSE)

chunk("LeNet on FashionMNIST, 1 round")
model = mx.model.FeedForward.create(lenet, train_fmnist_iter, ctx=mx.cpu(),
                                    eval.metric=mx.metric.accuracy,
                                    eval.data=test_fmnist_iter,
                                    initializer = mx.init.Xavier(),
                                    learning.rate=0.1, num.round=1)

chunk("LeNet on FashionMNIST, 10 rounds (GPU in the deck)")
model = mx.model.FeedForward.create(lenet, train_fmnist_iter, ctx=mx.gpu(),
                                    eval.metric=mx.metric.accuracy,
                                    eval.data=test_fmnist_iter,
                                    initializer = mx.init.Xavier(),
                                    learning.rate=0.1, num.round=10)

chunk("LeNet on FashionMNIST, learning rate 0.01")
model = mx.model.FeedForward.create(lenet, train_fmnist_iter, ctx=mx.gpu(),
                                    eval.metric=mx.metric.accuracy,
                                    eval.data=test_fmnist_iter,
                                    initializer = mx.init.Xavier(),
                                    learning.rate=0.01, num.round=10)

chunk("LeNet on MNIST")
x <- train_mnist[,-1]
y <- train_mnist[,1]

x.test <- test_mnist[,-1]
y.test <- test_mnist[,1]

# transpose and reshape
x <- t(x/255)
dim(x) <- c(28, 28, 1, ncol(x))
x.test <- t(x.test/255)
dim(x.test) <- c(28, 28, 1, ncol(x.test))

train_mnist_iter <- mx.io.arrayiter(x, y, batch.size = 128, shuffle = TRUE)
test_mnist_iter <- mx.io.arrayiter(x.test, y.test, batch.size = 128, shuffle = FALSE)

model = mx.model.FeedForward.create(lenet, train_mnist_iter, ctx=mx.gpu(),
                                    eval.metric=mx.metric.accuracy,
                                    eval.data=test_mnist_iter,
                                    initializer = mx.init.Xavier(),
                                    learning.rate=0.1, num.round=10)

chunk("Pre-trained model")
# ---- mxnet-bridge: the deck downloads MXNet's ImageNet ResNet-18 (2016) from data.mxnet.io,
# which cannot be reached here. With those files in model/ (resnet-18-symbol.json,
# resnet-18-0000.params, synset.txt) the deck's chunks below run on them unchanged. Without
# them we make a pre-trained model we can: the LeNet just trained on MNIST, saved with
# mx.model.save as model/resnet-18 (so the deck's own load line finds it), with the ten digit
# names as its synset, and the image chunks show the preprocessing on a real photograph.
dir.create("model", showWarnings = FALSE)
fallback_marker <- "model/made-by-deck-from-mnist-lenet"    # our stand-in, not the real files
have_resnet <- file.exists("model/resnet-18-symbol.json") &&
  file.exists("model/resnet-18-0000.params") && !file.exists(fallback_marker)
if (!have_resnet) {
  message("No ResNet-18 files in model/: using the MNIST LeNet trained above as the pre-trained model.")
  mx.model.save(model, "model/resnet-18", 0)
  writeLines("model/resnet-18-* here are the deck's MNIST LeNet, saved by examples/deck.R", fallback_marker)
  writeLines(paste0("digit", 0:9, " ", c("zero", "one", "two", "three", "four", "five",
                                          "six", "seven", "eight", "nine")), "model/synset.txt")
}
# the fine-tuning section at the end starts from this MNIST LeNet's checkpoint
lenet_prefix <- if (have_resnet) "model/lenet-mnist" else "model/resnet-18"
if (have_resnet) mx.model.save(model, lenet_prefix, 0)
# ---- mxnet-bridge: end

model <- mx.model.load('model/resnet-18', 0)

# ---- mxnet-bridge: imager is not in Debian; a small stand-in with the same calls otherwise.
if (!requireNamespace("imager", quietly = TRUE)) {
  message("imager is not installed: using examples/imager_fallback.R (same calls).")
  source(Sys.getenv("MXNET_IMAGER_FALLBACK", file.path(dirname(getwd()), "imager_fallback.R")))
} else library(imager)
# ---- mxnet-bridge: end
resize.image <- function(im, size) {
  shape <- dim(im)
  short.edge <- min(shape[1:2])
  offset.x <- floor((shape[1] - short.edge) / 2)
  offset.y <- floor((shape[2] - short.edge) / 2)
  
  # crop
  cropped <- crop.borders(im, offset.x, offset.y)
  # resize to size x size, needed by input of the model.
  resized <- resize(cropped, size, size)
  return(resized)
}

normalize.image <-function(im, mean_vec, std_vec) {
  arr <- as.array(im)
  dim(arr) <- dim(arr)[-3]
  arr = arr * 255
  # substract the mean
  for (i in 1:length(mean_vec)) {
    arr[,,i] = (arr[,,i]-mean_vec[i])/std_vec[i]
  }
  # Reshape to format needed by mxnet (width, height, channel, num)
  dim(arr) <- c(dim(arr), 1)
  return(arr)
}

# ---- mxnet-bridge: the deck's photograph (img/mtbaker.jpg) is not available; a real
# photograph from a registry package (see examples/get_data) stands in for it.
dir.create("img", showWarnings = FALSE)
if (!file.exists("img/mtbaker.jpg")) invisible(file.copy(file.path(deck_data, "photo.jpg"), "img/mtbaker.jpg"))
if (plots_to_files) next_png("photo")
# ---- mxnet-bridge: end
im <- load.image('img/mtbaker.jpg')
plot(im)
if (plots_to_files) { invisible(dev.off()); next_png("photo-cropped") }   # mxnet-bridge
im_resized = resize.image(im, 224)
plot(im_resized)
if (plots_to_files) invisible(dev.off())                                 # mxnet-bridge
im_normed = normalize.image(im_resized, c(123.68, 116.779, 103.939), c(1, 1, 1))

# ---- mxnet-bridge: without the ResNet-18 files the model is the digit LeNet, which takes
# 28x28 grey images: it predicts on the first MNIST test image instead of the photograph.
if (!have_resnet) im_normed <- x.test[, , , 1, drop = FALSE]
# ---- mxnet-bridge: end
prob <- predict(model, X=im_normed)
dim(prob)
max.idx <- order(prob[,1], decreasing = TRUE)[1:5]
max.idx
synset <- readLines('model/synset.txt')
print(paste0("Predicted Top-classes: ", synset[max.idx]))
if (!have_resnet) message("true label of that image: ", y.test[1])   # mxnet-bridge

# ---- mxnet-bridge: addition (to the end). The deck's outline names "Fine-tune" but has no
# code for it. Here the MNIST LeNet saved above gets a new last layer for Fashion-MNIST and is
# trained with its convolution layers fixed (fixed.param); the same network trained from
# scratch, with the same seed, settings and rounds, is the baseline: on all 60,000 training
# images and on the first 6,000.
chunk("Fine-tune: a new last layer on the pre-trained network")
pretrained <- mx.model.load(lenet_prefix, 0)
internals <- pretrained$symbol$get.internals()
outs <- internals$outputs
# the input of the last layer: the last output before the last layer's weight
last_weight <- max(grep("_weight$", outs))
features <- internals[[outs[max(grep("_output$", outs[seq_len(last_weight)]))]]]
fc_new <- mx.symbol.FullyConnected(data = features, num_hidden = 10, name = "fc_fmnist")
net_new <- mx.symbol.SoftmaxOutput(data = fc_new, name = "softmax")
net_new

chunk("Fine-tune: the parameters to start from, the layers to keep fixed")
# the new layer's initial values; every other parameter comes from the checkpoint, whose old
# last layer the new network does not use (hence allow.extra.params below)
set.seed(2018); mx.set.seed(2018)
init <- mx.model.init.params(net_new, list(data = c(28, 28, 1, 128)), NULL,
                             mx.init.Xavier(), mx.cpu())
ft_params <- c(pretrained$arg.params, init$arg.params[c("fc_fmnist_weight", "fc_fmnist_bias")])
conv_params <- grep("^convolution", arguments(net_new), value = TRUE)
conv_params
ft_rounds <- 3
# the same network trained twice, with the same seed and settings: fine-tuned from the
# checkpoint with the convolutions fixed, and from scratch
finetune_vs_scratch <- function(train_iter) {
  set.seed(2018); mx.set.seed(2018)
  ft_time <- system.time(
    finetuned <- mx.model.FeedForward.create(net_new, train_iter, ctx = mx.cpu(),
                                             eval.metric = mx.metric.accuracy,
                                             eval.data = test_fmnist_iter,
                                             initializer = mx.init.Xavier(),
                                             learning.rate = 0.1, num.round = ft_rounds,
                                             arg.params = ft_params, allow.extra.params = TRUE,
                                             fixed.param = conv_params))
  set.seed(2018); mx.set.seed(2018)
  scratch_time <- system.time(
    scratch <- mx.model.FeedForward.create(net_new, train_iter, ctx = mx.cpu(),
                                           eval.metric = mx.metric.accuracy,
                                           eval.data = test_fmnist_iter,
                                           initializer = mx.init.Xavier(),
                                           learning.rate = 0.1, num.round = ft_rounds))
  list(finetuned = finetuned, scratch = scratch,
       seconds = c(ft_time[["elapsed"]], scratch_time[["elapsed"]]))
}

chunk("Fine-tune on all 60,000 FashionMNIST training images")
all_images <- finetune_vs_scratch(train_fmnist_iter)
# fixed.param kept the convolution weights bit for bit ...
sapply(conv_params, function(p) identical(as.array(all_images$finetuned$arg.params[[p]]),
                                          as.array(pretrained$arg.params[[p]])))
# ... while the new last layer learned (its weights changed)
!identical(as.array(all_images$finetuned$arg.params$fc_fmnist_weight),
           as.array(ft_params$fc_fmnist_weight))

chunk("Fine-tune on 6,000 FashionMNIST training images")
few <- 1:6000
x_few <- t(train_fmnist[few, -1] / 255)
dim(x_few) <- c(28, 28, 1, length(few))
few_fmnist_iter <- mx.io.arrayiter(x_few, train_fmnist[few, 1], batch.size = 128, shuffle = TRUE)
few_images <- finetune_vs_scratch(few_fmnist_iter)

chunk("Fine-tune vs from scratch")
fmnist_accuracy <- function(m) {
  prob <- predict(m, X = test_fmnist_iter)
  mean(max.col(t(prob)) - 1 == test_fmnist[, 1])
}
models <- list(all_images$finetuned, all_images$scratch,
               few_images$finetuned, few_images$scratch)
data.frame(training.images = rep(c(nrow(train_fmnist), length(few)), each = 2),
           model = c("fine-tuned, conv fixed", "from scratch"), rounds = ft_rounds,
           seconds = round(c(all_images$seconds, few_images$seconds), 1),
           validation.accuracy = round(sapply(models, fmnist_accuracy), 4))
# ---- mxnet-bridge: end

message("\nThe deck ran end to end in ", format(round(difftime(Sys.time(), deck_started, units = "mins"), 1)))
