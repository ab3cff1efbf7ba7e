#!/usr/bin/env python
"""Structure-aware fuzzing of the symbol JSON loader (``mx.sym.load_json``), for minutes.

    .venv/bin/python scripts/fuzz_json.py [--seconds 300] [--seed 1]

``scripts/fuzz_loaders.py --targets json`` mutates the bytes of symbol files; this script
mutates their *structure*: it parses a real file (MXNet 1.9.1 LeNet / MLP / ResNet-18 and the
v0.8 legacy symbol), then applies a few random edits to the document: a field replaced by a
hostile value (huge or negative numbers, wrong types, deep nesting, long strings), an
operator parameter set to a hostile string (``num_args`` of 10^15, ``kernel`` of
``(99999999999, 1)``, ``nan``), inputs rewired (out of range, self loops, cycles), nodes
duplicated, deleted or reordered, keys dropped.  Each input is loaded and used (argument and
output lists, internals, partial shape inference, JSON round trip).

An input is fine when it loads or raises ``MXNetError``.  Anything else (another exception,
a recursion error) is a crash: counted and written to --crash-dir.  Also reported: inputs per
second, the slowest input, and the largest peak allocation (tracemalloc) relative to the
input's size: loading must not allocate far beyond what the file holds.
"""
import argparse
import collections
import copy
import json
import os
import random
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pybridge as mx  # noqa: E402
from pybridge import MXNetError  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SEEDS = ["mxnet-1.9.1/lenet-symbol.json", "mxnet-1.9.1/mlp-symbol.json",
         "mxnet-1.9.1/resnet18-narrow-symbol.json", "mxnet-legacy/save_000800.json"]
HOSTILE = [None, True, -1, 0, 2**31, 2**63, 10**400, -10**15, 1.5, float("nan"), "", "x" * 10000,
           [], {}, [[0, 0, 0]], [[10**9, 0, 0]], [[-1, 0, 0]], [0, 0, 0], {"op": "null"},
           "null", "__proto__", [[[[[[[[[[[]]]]]]]]]]]]
HOSTILE_PARAMS = ["1000000000000000", "-5", "0", "nan", "inf", "(99999999999, 1)", "(0, 0)",
                  "(-3, -3)", "()", "((((((1))))))", "[" * 200 + "]" * 200, "True", "None",
                  "relu", "'", "1e309", "(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)", "x" * 5000]
PARAM_KEYS = ["num_args", "num_outputs", "num_hidden", "kernel", "stride", "pad", "num_filter",
              "axis", "dim", "shape", "act_type", "pool_type", "eps", "num_group", "p", "dtype"]


def seeds():
    out = []
    for rel in SEEDS:
        path = os.path.join(FIXTURES, rel)
        if os.path.exists(path):
            with open(path) as f:
                out.append(json.load(f))
    return out


def _paths(doc, prefix=()):
    """Every (container, key) location in the document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield doc, k
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield doc, i
            yield from _paths(v, prefix + (i,))


def mutate(rng, doc):
    doc = copy.deepcopy(doc)
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        if kind == 0 or not isinstance(nodes, list) or not nodes:      # any field, any value
            locs = list(_paths(doc))
            if locs:
                c, k = rng.choice(locs)
                c[k] = copy.deepcopy(rng.choice(HOSTILE))
        elif kind == 1:                                               # a hostile parameter
            node = rng.choice(nodes)
            if isinstance(node, dict):
                key = "attrs" if "attrs" in node or rng.random() < 0.5 else "param"
                params = node.setdefault(key, {})
                if isinstance(params, dict):
                    params[rng.choice(PARAM_KEYS)] = rng.choice(HOSTILE_PARAMS)
        elif kind == 2:                                               # rewire an input
            node = rng.choice(nodes)
            if isinstance(node, dict) and isinstance(node.get("inputs"), list) and node["inputs"]:
                i = rng.randrange(len(node["inputs"]))
                target = rng.choice([nodes.index(node), len(nodes), -1, 10**12,
                                     rng.randrange(len(nodes))])
                node["inputs"][i] = [target, rng.choice([0, 1, 5, -1]), 0]
        elif kind == 3:                                               # duplicate a node
            nodes.insert(rng.randrange(len(nodes) + 1), copy.deepcopy(rng.choice(nodes)))
        elif kind == 4:                                               # delete a node
            del nodes[rng.randrange(len(nodes))]
        elif kind == 5:                                               # drop a key
            c, k = rng.choice(list(_paths(doc)))
            if isinstance(c, dict):
                del c[k]
        else:                                                         # heads / arg_nodes
            key = rng.choice(["heads", "arg_nodes", "node_row_ptr"])
            doc[key] = rng.choice([[], [[len(nodes) + 3, 0, 0]], [[0, 99, 0]],
                                   list(range(len(nodes) + 5)), [-1], None])
    return json.dumps(doc, allow_nan=True)


def exercise(text):
    """Load and use a symbol; returns 'loaded' or 'rejected'; other exceptions propagate."""
    try:
        sym = mx.sym.load_json(text)
    except MXNetError:
        return "rejected"
    try:
        sym.list_arguments()
        sym.list_outputs()
        sym.list_auxiliary_states()
        sym.get_internals().list_outputs()
        sym.infer_shape_partial(data=(2, 1, 28, 28))
        mx.sym.load_json(sym.tojson())
    except MXNetError:
        return "rejected-on-use"
    return "loaded"


def run(seconds=60.0, seed=1, crash_dir=None, max_inputs=None):
    rng = random.Random(seed)
    docs = seeds()
    stats = collections.Counter()
    crashes = []
    slowest = (0.0, None)
    worst_ratio = (0.0, None)
    t_end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < t_end and (max_inputs is None or n < max_inputs):
        n += 1
        text = mutate(rng, rng.choice(docs))
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            outcome = exercise(text)
        except Exception as exc:  # noqa: BLE001  (a crash: anything but MXNetError)
            outcome = "crash"
            crashes.append((f"{type(exc).__name__}: {str(exc)[:200]}", text))
            if crash_dir:
                os.makedirs(crash_dir, exist_ok=True)
                with open(os.path.join(crash_dir, f"json-{seed}-{n}.json"), "w") as f:
                    f.write(text)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stats[outcome] += 1
        if dt > slowest[0]:
            slowest = (dt, text[:200])
        ratio = peak / max(len(text), 1)
        if ratio > worst_ratio[0]:
            worst_ratio = (ratio, peak, len(text))
    return {"inputs": n, "outcomes": dict(stats), "crashes": crashes,
            "slowest_s": slowest[0], "worst_alloc_ratio": worst_ratio}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--crash-dir", default=os.path.join(ROOT, "data", "fuzz-crashes"))
    args = ap.parse_args()
    t0 = time.monotonic()
    res = run(args.seconds, args.seed, args.crash_dir)
    el = time.monotonic() - t0
    ratio = res["worst_alloc_ratio"]
    print(f"fuzz_json: {res['inputs']} inputs in {el:.0f} s ({res['inputs'] / el:.0f}/s), "
          f"outcomes {res['outcomes']}, crashes {len(res['crashes'])}")
    print(f"slowest input {res['slowest_s'] * 1000:.1f} ms; largest peak allocation "
          f"{ratio[1] if len(ratio) > 1 else 0} bytes = {ratio[0]:.1f} x the input's size")
    for msg, _ in res["crashes"][:20]:
        print("  crash:", msg)
    return 1 if res["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
