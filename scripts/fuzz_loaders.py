#!/usr/bin/env python
"""Fuzz the engine's file loaders with mutations of real files, for minutes, and report.

    .venv/bin/python scripts/fuzz_loaders.py [--seconds 180] [--seed 1] [--targets nd,idx,json]

Targets:
  nd    mx.nd.load_frombuffer on mutations of the NDArray fixture files (MXNet 1.9.1 and legacy)
  idx   the IDX parser of examples/get_data on mutations of small IDX files
  json  mx.sym.load_json on mutations of the symbol JSON fixtures (1.x and v0.8 legacy)

An input is fine when the loader returns, or raises its documented error (MXNetError; for
IDX, DataError).  Anything else is a crash: it is counted, and the input is written to
--crash-dir for replay.  Also reported: inputs tried, outcomes by kind, the slowest input,
and the largest peak allocation relative to the input's size (tracemalloc; the cap on
densified sparse records is lowered to 1 MiB for the run).
"""
import argparse
import collections
import os
import random
import re
import struct
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "examples", "data_tools"))

import numpy as np  # noqa: E402

import pybridge as mx  # noqa: E402
from pybridge import MXNetError  # noqa: E402
from pybridge.ndarray import serialization as ser  # noqa: E402
from mnist_data import DataError, idx_bytes, parse_idx  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
INTERESTING = [0, 1, 2, 7, 8, 12, 0x7F, 0x80, 0xFF, 0x112, 2**31 - 1, 2**31, 2**32 - 1, 2**32,
               2**62, 2**63 - 1, 2**63, 2**64 - 1, 0xF993FAC8, 0xF993FAC9, 0xF993FACA]
JSON_TOKENS = [b"null", b"true", b"0", b"-1", b"1e309", b"\"\"", b"[]", b"{}", b"\"null\"",
               b"\"(0, 0)\"", b"\"(99999999999, 99999999999)\"", b"99999999999999999999",
               b"\"FullyConnected\"", b"\"__proto__\"", b"[[0, 0, 0]]", b"[[99, 0, 0]]",
               b"\"\\ud800\"", b"\"num_hidden\": \"-5\""]


def seeds_for(target):
    if target == "nd":
        names = ["mxnet-1.9.1/dtypes-dict.nd", "mxnet-1.9.1/list-unnamed.nd",
                 "mxnet-1.9.1/mlp-io.nd", "mxnet-legacy/legacy_ndarray.v0",
                 "serialization/sparse-dict.nd", "serialization/npshape-scalar-empty.nd",
                 "serialization/bool-int-list.nd"]
        return {n: open(os.path.join(FIXTURES, n), "rb").read() for n in names}
    if target == "idx":
        rng = np.random.default_rng(0)
        return {"images-3x28x28": idx_bytes(rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)),
                "labels-5": idx_bytes(np.arange(5, dtype=np.uint8)),
                "scalar": idx_bytes(np.array(7, dtype=np.uint8))}
    names = ["mxnet-1.9.1/mlp-symbol.json", "mxnet-1.9.1/lenet-symbol.json",
             "mxnet-legacy/save_000800.json"]
    return {n: open(os.path.join(FIXTURES, n), "rb").read() for n in names}


def mutate(rng, raw, target):
    """1-4 random edits: bit flips, truncation, interesting words, inserts, deletes, and for
    JSON, token swaps at token boundaries."""
    buf = bytearray(raw)
    ops = []
    for _ in range(rng.randint(1, 4)):
        if not buf:
            break
        pos = rng.randrange(len(buf))
        kind = rng.choice(["flip", "flip", "truncate", "word", "insert", "delete"]
                          + (["token", "token", "token"] if target == "json" else []))
        if kind == "flip":
            bit = rng.randrange(8)
            buf[pos] ^= 1 << bit
            ops.append(f"flip@{pos}.{bit}")
        elif kind == "truncate":
            del buf[pos:]
            ops.append(f"truncate@{pos}")
        elif kind == "word":
            size = rng.choice([4, 8])
            value = rng.choice(INTERESTING) if rng.random() < 0.7 else rng.getrandbits(64)
            value %= 2 ** (8 * size)
            pos = min(pos, max(len(buf) - size, 0)) & ~3
            buf[pos:pos + size] = struct.pack("<I" if size == 4 else "<Q", value)[:len(buf) - pos]
            ops.append(f"word{size}@{pos}={value:#x}")
        elif kind == "insert":
            blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16)))
            buf[pos:pos] = blob
            ops.append(f"insert@{pos}+{len(blob)}")
        elif kind == "delete":
            n = rng.randint(1, 16)
            del buf[pos:pos + n]
            ops.append(f"delete@{pos}-{n}")
        else:  # replace the JSON value or token starting after a delimiter
            starts = [m.end() for m in re.finditer(rb"[:\[,]\s*", bytes(buf))]
            if not starts:
                continue
            start = rng.choice(starts)
            end = re.search(rb"[,\]}]", bytes(buf[start:]))
            stop = start + (end.start() if end else 0)
            token = rng.choice(JSON_TOKENS)
            buf[start:stop] = token
            ops.append(f"token@{start}={token.decode(errors='replace')}")
    return bytes(buf), ops


def run_one(target, data):
    """('ok'|'error: <kind>'|'CRASH: <type>: <msg>', seconds, peak bytes)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        if target == "nd":
            mx.nd.load_frombuffer(data)
        elif target == "idx":
            parse_idx(data, "fuzz")
        else:
            mx.sym.load_json(data.decode("utf-8", errors="surrogateescape"))
        outcome = "ok"
    except (MXNetError, DataError) as exc:
        # group messages by their words, without numbers, names or quoted values
        text = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|0x[0-9a-f]+|-?\d+", "#", str(exc))
        outcome = "error: " + " ".join(text.split()[:9])
    except RecursionError as exc:
        outcome = f"CRASH: RecursionError: {str(exc)[:80]}"
    except Exception as exc:  # noqa: BLE001  (anything else is what we are looking for)
        outcome = f"CRASH: {type(exc).__name__}: {str(exc)[:120]}"
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default="nd,idx,json")
    parser.add_argument("--crash-dir", default=os.path.join(ROOT, "data", "fuzz-crashes"))
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    # Sparse records densify up to a cap that is not tied to the input's size; lower it so
    # that the memory figure below measures the loader's own bound.
    ser.MAX_DENSIFIED_BYTES = 1 << 20
    if "json" in targets and not hasattr(mx.sym, "load_json"):
        print("mx.sym.load_json is not available; skipping target json")
        targets.remove("json")
    seeds = {t: seeds_for(t) for t in targets}
    rng = random.Random(args.seed)
    stats = {t: collections.Counter() for t in targets}
    crashes = []
    # per target: slowest input, largest peak allocation, largest peak / input size
    slowest = {t: (0.0, None) for t in targets}
    worst_peak = {t: (0, None) for t in targets}
    worst_ratio = {t: (0.0, None) for t in targets}
    tried, start, next_report = 0, time.time(), time.time() + 30
    share = args.seconds / len(targets)
    for i, target in enumerate(targets):
        stop = start + share * (i + 1)
        names = sorted(seeds[target])
        # the unmutated seeds must load
        for name in names:
            outcome, _, _ = run_one(target, seeds[target][name])
            if outcome != "ok":
                crashes.append((target, name, ["(unmutated)"], outcome))
        while time.time() < stop:
            name = rng.choice(names)
            data, ops = mutate(rng, seeds[target][name], target)
            outcome, seconds, peak = run_one(target, data)
            tried += 1
            stats[target]["ok" if outcome == "ok" else
                          "crash" if outcome.startswith("CRASH") else "error"] += 1
            if outcome != "ok":
                stats[target][outcome] += 1
            where = (name, ops, len(data))
            if seconds > slowest[target][0]:
                slowest[target] = (seconds, where)
            # sparse records densify up to the (lowered) cap: report the dense path apart
            key = f"{target} (sparse seed)" if "sparse" in name else target
            if peak > worst_peak.get(key, (0,))[0]:
                worst_peak[key] = (peak, where)
            ratio = peak / max(len(data), 1)
            if ratio > worst_ratio.get(key, (0.0,))[0] and len(data) >= 4096:
                worst_ratio[key] = (ratio, where + (peak,))
            if outcome.startswith("CRASH"):
                os.makedirs(args.crash_dir, exist_ok=True)
                path = os.path.join(args.crash_dir, f"{target}-{len(crashes):04d}.bin")
                with open(path, "wb") as f:
                    f.write(data)
                crashes.append((target, name, ops, outcome + f" -> {path}"))
            if time.time() > next_report:
                print(f"[{time.time() - start:6.0f} s] {tried} inputs, {len(crashes)} crashes",
                      flush=True)
                next_report += 30
    elapsed = time.time() - start
    print(f"\n{tried} inputs in {elapsed:.0f} s ({tried / elapsed:.0f}/s), seed {args.seed}")
    for target in targets:
        s = stats[target]
        print(f"\n== {target}: {s['ok']} loaded, {s['error']} rejected with the loader's error, "
              f"{s['crash']} crashes")
        kinds = [(k, n) for k, n in s.most_common() if k not in ("ok", "error", "crash")]
        for kind, n in kinds[:12]:
            print(f"  {n:7d}  {kind}")
        if len(kinds) > 12:
            print(f"  ... {len(kinds) - 12} more kinds")
    print("\n(seed file, edits, input bytes[, peak bytes])")
    for target in targets:
        print(f"{target}: slowest input {slowest[target][0] * 1e3:.2f} ms: {slowest[target][1]}")
    for key in sorted(worst_peak):
        print(f"{key}: largest peak allocation {worst_peak[key][0]} bytes: {worst_peak[key][1]}")
    for key in sorted(worst_ratio):
        print(f"{key}: largest peak / input size (inputs >= 4 KiB) {worst_ratio[key][0]:.1f}: "
              f"{worst_ratio[key][1]}")
    print(f"\ncrashes: {len(crashes)}")
    for c in crashes[:20]:
        print(f"  {c}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
