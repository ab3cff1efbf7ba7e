"""Memory across the bridge and over long training runs.

- R: 100,000 small NDArrays and 1,000 large (4 MB) ones created and dropped in a loop; R's
  garbage collector must release them (the engine's handle count falls back to its baseline)
  and the resident memory stays within bounds derived from what a *held* array costs in the
  same run (tests/battery/memory_nd.R).  The bridge runs R's GC every
  ``rshim.convert.GC_BYTES`` of array memory handed to R (R sees only small external pointers);
  without that, 1,000 dropped 4 MB arrays grew RSS by 4 GB.
- Training 50 epochs (Python Module.fit, and R mx.model.FeedForward.create) does not grow
  memory per epoch: RSS after epoch 50 vs epoch 10, with a tolerance derived from the
  epoch-to-epoch variation measured in the same run.
"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from battery import rpkg  # noqa: E402

needs_r = pytest.mark.skipif(not rpkg.have_r(), reason="R is not installed")
linux_only = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")


def _report(out):
    rows = {}
    for m in re.finditer(r"^(\w+) rss_mib=([\d.]+) hwm_mib=([\d.]+) handles=(\d+)$", out, re.M):
        rows[m.group(1)] = {"rss": float(m.group(2)), "hwm": float(m.group(3)),
                            "handles": int(m.group(4))}
    return rows


@needs_r
@linux_only
def test_r_gc_releases_engine_memory(tmp_path):
    from rshim.convert import GC_BYTES
    env = rpkg.r_env()
    n_small, n_large = 100_000, 1000
    env.update(MX_N_SMALL=str(n_small), MX_N_LARGE=str(n_large))
    proc = subprocess.run(["Rscript", str(rpkg.BATTERY / "memory_nd.R")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    r = _report(out)
    print("\n" + "\n".join(f"  {k}: {v}" for k, v in r.items()))
    base = r["baseline"]
    # handles: every dropped array was released (a few may be live: x, a, b)
    assert r["held_small"]["handles"] >= base["handles"] + 10_000
    for stage in ("released_small", "small", "released_large", "large", "end"):
        assert r[stage]["handles"] <= base["handles"] + 5, (stage, r[stage])
    # small arrays: what a held one costs (at least a Python object's 64 bytes), measured here
    per_small = max((r["held_small"]["rss"] - base["rss"]) * 2**20 / 10_000, 64)
    grown = (r["small"]["rss"] - r["released_small"]["rss"]) * 2**20
    assert grown <= 0.25 * n_small * per_small, \
        f"RSS grew {grown / 2**20:.1f} MiB over {n_small} dropped arrays " \
        f"(a held one costs {per_small:.0f} bytes)"
    # large arrays: what a held one costs, measured here (~4 MiB)
    per_large = (r["held_large"]["rss"] - r["small"]["rss"]) * 2**20 / 5
    assert per_large > 2**21, r
    peak = (r["large"]["hwm"] - r["released_large"]["rss"]) * 2**20
    assert peak <= GC_BYTES + 16 * per_large, \
        f"peak RSS grew {peak / 2**20:.0f} MiB while {n_large} 4 MB arrays were dropped " \
        f"(bound {(GC_BYTES + 16 * per_large) / 2**20:.0f} MiB)"
    assert (r["end"]["rss"] - base["rss"]) * 2**20 <= 5 * per_large


def _check_epochs(rss, label):
    """RSS (KiB) per epoch 1..50: no growth from epoch 10 to 50 beyond the noise of 5..10."""
    assert len(rss) == 50, rss
    window = rss[4:10]
    noise = max(window) - min(window)
    tol = max(4 * noise, 0.02 * rss[9])
    growth = rss[49] - rss[9]
    print(f"\n{label}: RSS epoch 10 {rss[9] / 1024:.1f} MiB, epoch 50 {rss[49] / 1024:.1f} MiB, "
          f"growth {growth:.0f} KiB, tolerance {tol:.0f} KiB (noise {noise:.0f} KiB)")
    assert growth <= tol, f"{label}: RSS grew {growth} KiB from epoch 10 to 50 (tol {tol:.0f})"


PY_TRAIN = textwrap.dedent("""
    import numpy as np
    import pybridge as mx

    def rss():
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

    rng = np.random.RandomState(1)
    x = rng.rand(1000, 20).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 1).astype(np.float32)
    it = mx.io.NDArrayIter(x, y, batch_size=50, shuffle=True, label_name="softmax_label")
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=32)
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.FullyConnected(net, num_hidden=2)
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu())

    def epoch_end(epoch, sym, arg, aux):
        import gc
        gc.collect()
        print("EPOCH", epoch + 1, rss(), flush=True)

    mod.fit(it, num_epoch=50, optimizer="sgd", optimizer_params={"learning_rate": 0.05},
            epoch_end_callback=epoch_end, eval_metric="acc")
""")


@linux_only
def test_python_module_training_memory_is_flat(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(rpkg.ROOT))
    proc = subprocess.run([sys.executable, "-c", PY_TRAIN], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rss = [int(v) for _, v in re.findall(r"^EPOCH (\d+) (\d+)$", proc.stdout, re.M)]
    _check_epochs(rss, "Module.fit")


@needs_r
@linux_only
def test_r_feedforward_training_memory_is_flat(tmp_path):
    proc = subprocess.run(["Rscript", str(rpkg.BATTERY / "memory_train.R")], env=rpkg.r_env(),
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "DONE" in proc.stdout, (proc.stdout + proc.stderr)[-3000:]
    rss = [float(v) for _, v in re.findall(r"^EPOCH (\d+) (\d+)$", proc.stdout, re.M)]
    _check_epochs(rss, "mx.model.FeedForward.create")


def test_epoch_check_can_fail():
    leaky = [100_000 + 2000 * i for i in range(50)]          # 2 MiB per epoch
    with pytest.raises(AssertionError, match="grew"):
        _check_epochs(leaky, "leaky")
