"""The 2018 MXNet R deck ("mxnet", Tong He, July 11th 2018) for Python users.

The same story as examples/deck.R, slide by slide, with MXNet 1.x's Python names: NDArrays,
symbols, the deck's training experiments on MNIST and Fashion-MNIST, saving and loading the
trained LeNet, top-5 prediction, and fine-tuning that LeNet on Fashion-MNIST. The same file
runs on this project's engine or on real MXNet 1.9.1:

    .venv/bin/python examples/deck.py                                # import pybridge as mx
    /tmp/mxnet-ref/bin/python examples/deck.py --engine mxnet        # import mxnet as mx
    .venv/bin/python examples/deck.py --smoke                        # quick: data subsets, 1 round

Data: the IDX files that examples/get_data puts in data/mnist/ and data/fashion/.
Options: --data DIR, --out DIR (checkpoints), --seed N, --rounds N (cap every experiment's
rounds), --train-size/--test-size N (subsets), --only NAME ... (experiments, see EXPERIMENTS),
--json FILE (accuracy and time per epoch of every experiment, for benchmarks/).
"""
import argparse
import json
import logging
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (what the deck trains, rounds in the deck)
EXPERIMENTS = {
    "mlp_mnist": ("MLP 784-256-10 tanh, lr 0.01, MNIST (FeedForward.create)", 10),
    "mlp_mnist_mxmlp": ("mx.mlp 256, lr 0.01, MNIST", 10),
    "mlp3_mnist": ("mx.mlp 256-100-50, lr 0.1, MNIST", 10),
    "mlp_fmnist": ("mx.mlp 256, lr 0.01, Fashion-MNIST", 10),
    "lenet_fmnist_1": ("LeNet, Xavier, lr 0.1, Fashion-MNIST", 1),
    "lenet_fmnist_10": ("LeNet, Xavier, lr 0.1, Fashion-MNIST", 10),
    "lenet_fmnist_lr001": ("LeNet, Xavier, lr 0.01, Fashion-MNIST", 10),
    "lenet_mnist": ("LeNet, Xavier, lr 0.1, MNIST (saved, loaded, top-5)", 10),
    "finetune": ("MNIST LeNet fine-tuned on Fashion-MNIST, convolutions fixed, lr 0.1", 3),
    "scratch": ("same net from scratch (Xavier) on Fashion-MNIST, lr 0.1", 3),
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=["pybridge", "mxnet"],
                    default=os.environ.get("MXNET_DECK_ENGINE", "pybridge"))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data"))
    ap.add_argument("--out", default=None, help="default examples/output/python-ENGINE")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=None, help="cap on every experiment's rounds")
    ap.add_argument("--train-size", type=int, default=None)
    ap.add_argument("--test-size", type=int, default=None)
    ap.add_argument("--matrix-size", type=int, default=4000, help="the deck's 4000x4000 product")
    ap.add_argument("--only", nargs="+", choices=sorted(EXPERIMENTS), default=None)
    ap.add_argument("--smoke", action="store_true",
                    help="quick run: 3000 training / 1000 test examples, 1 round, 300x300 product")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    if args.smoke:
        args.train_size = args.train_size or 3000
        args.test_size = args.test_size or 1000
        args.rounds = args.rounds or 1
        args.matrix_size = 300
    if args.only and "finetune" in args.only and "lenet_mnist" not in args.only:
        ap.error("--only finetune needs lenet_mnist too (it fine-tunes that model)")
    args.out = args.out or os.path.join(HERE, "output", "python-" + args.engine)
    return args


args = parse_args()
if args.engine == "mxnet":
    import mxnet as mx
else:
    sys.path.insert(0, os.path.join(HERE, ".."))
    import pybridge as mx
logging.basicConfig(level=logging.INFO, format="%(message)s")   # MXNet's training log lines
results = {"engine": args.engine, "version": mx.__version__, "numpy": np.__version__,
           "seed": args.seed, "experiments": {}, "slides": {}}


def chunk(title):
    print(f"\n==== {title} ====", flush=True)


def wanted(name):
    return args.only is None or name in args.only


def rounds(name):
    deck_rounds = EXPERIMENTS[name][1]
    return deck_rounds if args.rounds is None else min(args.rounds, deck_rounds)


class EpochRecorder:
    """Validation accuracy and training seconds of each epoch, through fit's callbacks.

    fit calls epoch_end_callback when an epoch's batches are done and eval_end_callback when
    the validation pass is done, so an epoch's training time runs from the previous
    validation's end (or from the start) to its epoch end.
    """
    def __init__(self, name):
        self.name, self.val_acc, self.epoch_s = name, [], []
        self.mark = time.perf_counter()

    def epoch_end(self, epoch, symbol, arg_params, aux_params):
        self.epoch_s.append(time.perf_counter() - self.mark)

    def eval_end(self, param):
        self.val_acc.append(dict(param.eval_metric.get_name_value())["accuracy"])
        self.mark = time.perf_counter()

    def save(self):
        results["experiments"][self.name] = {
            "title": EXPERIMENTS[self.name][0], "rounds": len(self.val_acc),
            "val_acc": self.val_acc, "epoch_s": self.epoch_s}
        print(f"{self.name}: validation accuracy {self.val_acc[-1]:.4f} after "
              f"{len(self.val_acc)} round(s), {np.mean(self.epoch_s):.2f} s per epoch")


def fit(name, net, train_iter, test_iter, learning_rate, initializer, **module_args):
    """Module.fit as the deck's FeedForward.create: SGD without momentum, batch 128."""
    rec = EpochRecorder(name)
    mod = mx.mod.Module(net, context=mx.cpu(), **module_args)
    mod.fit(train_iter, eval_data=test_iter, eval_metric="acc", initializer=initializer,
            optimizer="sgd", optimizer_params={"learning_rate": learning_rate},
            num_epoch=rounds(name), epoch_end_callback=rec.epoch_end,
            eval_end_callback=rec.eval_end)
    rec.save()
    return mod


mx.random.seed(args.seed)      # initializers (MXNet's generator)
np.random.seed(args.seed)      # NDArrayIter's shuffling (NumPy's generator in MXNet)

chunk("Configuration: test your installation")
a = mx.nd.ones((2, 3))
b = a * 2 + 1
print(b)
results["slides"]["ones_times_2_plus_1"] = b.asnumpy().tolist()

chunk("Configuration: if has GPU")
try:
    a = mx.nd.ones((3, 2), ctx=mx.gpu())
    b = a * 2 + 1
    print(b)
    gpu = mx.gpu()
except mx.MXNetError:
    print("No GPU available here: the deck's GPU chunks run on mx.cpu().")
    gpu = mx.cpu()

chunk("NDArray: create")
a = mx.nd.array([1, 2, 3, 4, 5])
print(a)
print(type(a))

chunk("NDArray: vectorization")
b = a + 1 / a
print(b)
results["slides"]["a_plus_1_over_a"] = b.asnumpy().tolist()

chunk("NDArray: math and random sampling")
c = mx.nd.log(a + 10)
print(c)
results["slides"]["log_a_plus_10"] = c.asnumpy().tolist()
r = mx.nd.random.normal(0, 1, shape=10)
print(r)
results["slides"]["random_normal_shape"] = list(r.shape)

chunk("NDArray: convert to NumPy")
a = mx.nd.ones((2, 3))
mat_a = a.asnumpy()
print(mat_a)
print(type(mat_a))

chunk("NDArray: matrix multiplication, NumPy vs mx.nd.dot, and asynchronous computation")
n = args.matrix_size
mat = np.random.uniform(size=(n, n))      # float64, like R's matrix; NDArrays are float32
start = time.perf_counter()
res_mat = mat @ mat
print(f"NumPy {n}x{n} product: {time.perf_counter() - start:.3f} s")
a = mx.nd.array(mat, ctx=gpu)
start = time.perf_counter()
res = mx.nd.dot(a, a)
print(f"mx.nd.dot returns after {time.perf_counter() - start:.3f} s (the work may go on)")
start = time.perf_counter()
res_mat32 = res.asnumpy()                 # waits for the result
print(f"asnumpy() has it after {time.perf_counter() - start:.3f} s more")
results["slides"]["dot_max_rel_err"] = float(np.max(np.abs(res_mat32 - res_mat)) / np.max(res_mat))

chunk("Neural network: building blocks")
# The R deck writes bare definitions; MXNet's Python API checks the required parameters when
# a symbol is created, so each layer gets the ones it needs. (The deck's "pool.type='relu'" on
# Activation means act_type.)
fc = mx.sym.FullyConnected(num_hidden=256)
conv = mx.sym.Convolution(kernel=(5, 5), num_filter=6)
pool1 = mx.sym.Pooling(pool_type="avg", kernel=(2, 2), stride=(2, 2))
act1 = mx.sym.Activation(act_type="relu")
print(fc.list_arguments(), conv.list_arguments())

chunk("MNIST")


def load_idx(folder, part):
    """One IDX pair as (images, labels), read with mx.io.MNISTIter.

    MNISTIter scales pixels by 1/256; times 256 gives back the 0..255 values of the deck's
    tables exactly. Batches of 1000 divide both 60,000 and 10,000 (MNISTIter drops a last
    incomplete batch).
    """
    it = mx.io.MNISTIter(image=os.path.join(args.data, folder, part + "-images-idx3-ubyte"),
                         label=os.path.join(args.data, folder, part + "-labels-idx1-ubyte"),
                         batch_size=1000, shuffle=False, flat=True, silent=True)
    batches = [(batch.data[0].asnumpy(), batch.label[0].asnumpy()) for batch in it]
    x = np.concatenate([bx for bx, _ in batches]) * 256
    y = np.concatenate([by.reshape(-1) for _, by in batches])
    size = args.train_size if part == "train" else args.test_size
    return (x, y) if size is None else (x[:size], y[:size])


x, y = load_idx("mnist", "train")
x_test, y_test = load_idx("mnist", "t10k")
print("train:", x.shape, "test:", x_test.shape)
results["slides"]["mnist_shapes"] = [list(x.shape), list(x_test.shape)]
results["slides"]["mnist_train_label_counts"] = np.bincount(y.astype(int), minlength=10).tolist()


def iterators(x, y, x_test, y_test):
    """The deck's mx.io.arrayiter pair: batch 128, training shuffled, test in order."""
    return (mx.io.NDArrayIter(x, y, batch_size=128, shuffle=True),
            mx.io.NDArrayIter(x_test, y_test, batch_size=128, shuffle=False))


train_mnist_iter, test_mnist_iter = iterators(x, y, x_test, y_test)    # raw pixels, as the deck


def small_net():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=256)
    act = mx.sym.Activation(fc1, act_type="tanh")
    fc2 = mx.sym.FullyConnected(act, num_hidden=10)
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


net = small_net()
print(net.list_arguments())
arg_shapes, out_shapes, _ = net.infer_shape(data=(128, 784))
print("outputs:", out_shapes)       # a 784 -> 256 -> 10 MLP

if wanted("mlp_mnist"):
    chunk("MLP on MNIST (FeedForward.create)")
    rec = EpochRecorder("mlp_mnist")
    model = mx.model.FeedForward.create(
        net, X=train_mnist_iter, eval_data=test_mnist_iter, ctx=mx.cpu(), eval_metric="acc",
        initializer=mx.init.Uniform(0.01), learning_rate=0.01, num_epoch=rounds("mlp_mnist"),
        epoch_end_callback=rec.epoch_end,
        eval_end_callback=[mx.callback.LogValidationMetricsCallback(), rec.eval_end])
    rec.save()


def mlp(hidden_node, out_node, activation="tanh"):
    """What R's mx.mlp builds: FullyConnected + activation per hidden layer, then softmax."""
    act = mx.sym.Variable("data")
    for hidden in hidden_node:
        act = mx.sym.Activation(mx.sym.FullyConnected(act, num_hidden=hidden), act_type=activation)
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(act, num_hidden=out_node), name="softmax")


if wanted("mlp_mnist_mxmlp"):
    chunk("mx.mlp on MNIST")
    fit("mlp_mnist_mxmlp", mlp([256], 10), train_mnist_iter, test_mnist_iter, 0.01,
        mx.init.Uniform(0.01))

if wanted("mlp3_mnist"):
    chunk("mx.mlp with more hidden layers on MNIST")
    fit("mlp3_mnist", mlp([256, 100, 50], 10), train_mnist_iter, test_mnist_iter, 0.1,
        mx.init.Uniform(0.01))

chunk("FashionMNIST")
fx, fy = load_idx("fashion", "train")
fx_test, fy_test = load_idx("fashion", "t10k")
print("train:", fx.shape, "test:", fx_test.shape)
results["slides"]["fmnist_train_label_counts"] = np.bincount(fy.astype(int), minlength=10).tolist()

if wanted("mlp_fmnist"):
    chunk("MLP on FashionMNIST")
    train_fmnist_iter, test_fmnist_iter = iterators(fx, fy, fx_test, fy_test)
    fit("mlp_fmnist", mlp([256], 10), train_fmnist_iter, test_fmnist_iter, 0.01,
        mx.init.Uniform(0.01))

chunk("LeNet")


def get_lenet():
    # Named layers, so that fine-tuning below can pick them out.
    data = mx.sym.Variable("data")
    # first conv
    conv1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=6, name="conv1")
    relu1 = mx.sym.Activation(data=conv1, act_type="relu", name="relu1")
    pool1 = mx.sym.Pooling(data=relu1, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    # second conv
    conv2 = mx.sym.Convolution(data=pool1, kernel=(3, 3), num_filter=16, name="conv2")
    relu2 = mx.sym.Activation(data=conv2, act_type="relu", name="relu2")
    pool2 = mx.sym.Pooling(data=relu2, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    # first fullc
    flatten = mx.sym.Flatten(data=pool2, name="flatten")
    fc1 = mx.sym.FullyConnected(data=flatten, num_hidden=120, name="fc1")
    relu3 = mx.sym.Activation(data=fc1, act_type="relu", name="relu3")
    # second fullc
    fc2 = mx.sym.FullyConnected(data=relu3, num_hidden=84, name="fc2")
    relu4 = mx.sym.Activation(data=fc2, act_type="relu", name="relu4")
    # final fullc
    fc3 = mx.sym.FullyConnected(data=relu4, num_hidden=10, name="fc3")
    # loss
    return mx.sym.SoftmaxOutput(data=fc3, name="softmax")


lenet = get_lenet()
print(lenet.infer_shape(data=(128, 1, 28, 28))[1])

# Pixels into [0, 1] and each image 1x28x28 (NCHW: samples first, as MXNet's Python API).
fx4, fx4_test = (fx / 255).reshape(-1, 1, 28, 28), (fx_test / 255).reshape(-1, 1, 28, 28)
train_fmnist_iter, test_fmnist_iter = iterators(fx4, fy, fx4_test, fy_test)

if wanted("lenet_fmnist_1"):
    chunk("LeNet on FashionMNIST, 1 round")
    fit("lenet_fmnist_1", lenet, train_fmnist_iter, test_fmnist_iter, 0.1, mx.init.Xavier())

if wanted("lenet_fmnist_10"):
    chunk("LeNet on FashionMNIST, 10 rounds (GPU in the deck)")
    fit("lenet_fmnist_10", lenet, train_fmnist_iter, test_fmnist_iter, 0.1, mx.init.Xavier())

if wanted("lenet_fmnist_lr001"):
    chunk("LeNet on FashionMNIST, learning rate 0.01")
    fit("lenet_fmnist_lr001", lenet, train_fmnist_iter, test_fmnist_iter, 0.01, mx.init.Xavier())

if wanted("lenet_mnist"):
    chunk("LeNet on MNIST")
    x4, x4_test = (x / 255).reshape(-1, 1, 28, 28), (x_test / 255).reshape(-1, 1, 28, 28)
    train_mnist_iter, test_mnist_iter = iterators(x4, y, x4_test, y_test)
    mod = fit("lenet_mnist", lenet, train_mnist_iter, test_mnist_iter, 0.1, mx.init.Xavier())

    chunk("Pre-trained model: save, load, predict the top-5 classes")
    # The deck loads MXNet's ImageNet ResNet-18; here the pre-trained model is this LeNet.
    os.makedirs(args.out, exist_ok=True)
    prefix, epoch = os.path.join(args.out, "lenet-mnist"), rounds("lenet_mnist")
    mod.save_checkpoint(prefix, epoch)
    sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, epoch)
    model = mx.mod.Module(sym, context=mx.cpu())
    model.bind(data_shapes=[("data", (1, 1, 28, 28))], label_shapes=[("softmax_label", (1,))],
               for_training=False)
    model.set_params(arg_params, aux_params)
    prob = model.predict(mx.io.NDArrayIter(x4_test[:1], batch_size=1)).asnumpy()
    print(prob.shape)
    max_idx = np.argsort(-prob[0])[:5]
    synset = ["digit%d %s" % (i, w) for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]
    for i in max_idx:
        print("Predicted Top-classes:", synset[i])
    print("true label of that image:", int(y_test[0]))
    results["slides"]["top5"] = [int(i) for i in max_idx]
    results["slides"]["top5_true_label"] = int(y_test[0])

if wanted("finetune") or wanted("scratch"):
    chunk("Fine-tuning: the MNIST LeNet on FashionMNIST, convolution layers fixed")
    # A new last layer (10 outputs, new name so it is initialized afresh) on the features the
    # MNIST LeNet learned; the convolutions keep their MNIST weights (fixed_param_names).
    features = lenet.get_internals()["relu4_output"]
    new_net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(features, num_hidden=10, name="fc3_new"),
                                   name="softmax")
    if wanted("finetune"):
        pretrained = {k: v for k, v in arg_params.items() if not k.startswith("fc3")}
        tuned = mx.mod.Module(new_net, context=mx.cpu(),
                                fixed_param_names=["conv1_weight", "conv1_bias",
                                                   "conv2_weight", "conv2_bias"])
        rec = EpochRecorder("finetune")
        tuned.fit(train_fmnist_iter, eval_data=test_fmnist_iter, eval_metric="acc",
                    arg_params=pretrained, aux_params=aux_params, allow_missing=True,
                    initializer=mx.init.Xavier(), optimizer="sgd",
                    optimizer_params={"learning_rate": 0.1}, num_epoch=rounds("finetune"),
                    epoch_end_callback=rec.epoch_end, eval_end_callback=rec.eval_end)
        rec.save()
        fixed_after = tuned.get_params()[0]["conv1_weight"].asnumpy()
        results["slides"]["finetune_conv1_unchanged"] = bool(
            np.array_equal(fixed_after, arg_params["conv1_weight"].asnumpy()))
    if wanted("scratch"):
        chunk("The same net from scratch on FashionMNIST, same rounds")
        fit("scratch", new_net, train_fmnist_iter, test_fmnist_iter, 0.1, mx.init.Xavier())
    done = results["experiments"]
    if "finetune" in done and "scratch" in done:
        print("validation accuracy after %d round(s): fine-tuned %.4f, from scratch %.4f" % (
            done["finetune"]["rounds"], done["finetune"]["val_acc"][-1],
            done["scratch"]["val_acc"][-1]))

if args.json:
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
