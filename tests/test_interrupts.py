"""No lost files, and Ctrl-C leaves R usable.

- SIGKILL a writer in the middle of saving: Python ``mx.model.save_checkpoint`` and R
  ``mx.model.save`` rewrite the same checkpoint in a loop; after the kill the file must still
  be the complete earlier version, byte for byte (never a truncated mix).  The kill is sent
  as soon as the atomic write's temporary file holds data, so it lands mid-write: the test
  checks that kills left a temporary file behind, i.e. really interrupted a write.
- SIGKILL during training with the checkpoint callback (Python ``mx.callback.do_checkpoint``,
  R ``mx.callback.save.checkpoint``): every ``prefix-NNNN.params`` present loads completely.
- SIGINT to R during ``mx.model.FeedForward.create`` (plain R, and R hosted by Python through
  ``python -m rshim``): ``tryCatch(interrupt = )`` catches it, uncaught it is an error saying
  the call was interrupted, and the session keeps computing.
(The NDArray-file case, ``mx.nd.save``, is tests/test_serialization.py's SIGKILL test.)
"""
import glob
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from battery import rpkg  # noqa: E402

import pybridge as mx  # noqa: E402

needs_r = pytest.mark.skipif(not rpkg.have_r(), reason="R is not installed")
posix = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

PY_WRITER = textwrap.dedent("""
    import os, sys
    import pybridge as mx
    prefix, mode = sys.argv[1], sys.argv[2]
    data = mx.sym.Variable("data")
    if mode == "save_checkpoint":
        net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=2, name="fc"))
        arg = {"fc_weight": mx.nd.ones((2000, 2000)), "fc_bias": mx.nd.ones((2000, 2000)) * 2}
        mx.model.save_checkpoint(prefix, 1, net, arg, {})
        print("SAVED", flush=True)
        while True:
            mx.model.save_checkpoint(prefix, 1, net, arg, {})
    else:
        import numpy as np
        net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
            mx.sym.FullyConnected(data, num_hidden=2000, name="fc1"), num_hidden=2, name="fc2"),
            name="softmax")
        x = np.random.rand(200, 1000).astype(np.float32)
        it = mx.io.NDArrayIter(x, (x[:, 0] > 0.5).astype(np.float32), 200,
                               label_name="softmax_label")
        save = mx.callback.do_checkpoint(prefix)
        def cb(epoch, sym, arg, aux):
            save(epoch, sym, arg, aux)
            if epoch == 0:
                print("SAVED", flush=True)
        mx.mod.Module(net).fit(it, num_epoch=100000, epoch_end_callback=cb)
""")


def _start_writer(kind, prefix, cwd):
    if kind.startswith("r-"):
        env = rpkg.r_env()
        env.update(MX_PREFIX=prefix,
                   MX_WRITER="model.save" if kind == "r-model.save" else "callback")
        cmd = ["R", "--no-echo", "--no-restore", f"--file={rpkg.BATTERY / 'kill_writer.R'}"]
    else:
        env = dict(os.environ, PYTHONPATH=str(rpkg.ROOT))
        mode = "save_checkpoint" if kind == "py-save_checkpoint" else "callback"
        cmd = [sys.executable, "-c", PY_WRITER, prefix, mode]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if line.strip() != "SAVED":
        proc.kill()
        raise AssertionError(f"writer did not start: {line}{proc.stderr.read()[-3000:]}")
    return proc


def _kill_mid_write(proc, folder, timeout=20.0):
    """SIGKILL as soon as a temporary file of an atomic write has data in it (the writer is
    then in the middle of a save), or after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        temps = glob.glob(os.path.join(folder, ".*.tmp"))
        if any(os.path.exists(t) and os.path.getsize(t) > 2**20 for t in temps):
            break
        time.sleep(0.001)
    _kill(proc)


def _kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@posix
@pytest.mark.parametrize("kind", ["py-save_checkpoint",
                                  pytest.param("r-model.save", marks=needs_r)])
def test_sigkill_mid_save_keeps_the_previous_checkpoint(tmp_path, kind):
    rng = random.Random(0)
    prefix = str(tmp_path / "model")
    params = prefix + "-0001.params"
    reference = None
    interrupted = 0
    for trial in range(3):
        proc = _start_writer(kind, prefix, tmp_path)
        if reference is None:
            time.sleep(0.3)
            with open(params, "rb") as f:
                reference = f.read()
            ref_json = open(prefix + "-symbol.json").read()
        time.sleep(rng.uniform(0.0, 0.5))
        _kill_mid_write(proc, str(tmp_path))
        temps = glob.glob(str(tmp_path / ".*.tmp"))
        interrupted += bool(temps)
        for t in temps:
            os.unlink(t)
        with open(params, "rb") as f:
            assert f.read() == reference, f"trial {trial}: {params} is not the complete old file"
        assert open(prefix + "-symbol.json").read() == ref_json
        sym, arg, aux = mx.model.load_checkpoint(prefix, 1)
        assert arg["fc_weight"].shape == (2000, 2000)
    print(f"\n{kind}: {interrupted} of 3 kills landed mid-write")
    assert interrupted >= 2, "kills did not interrupt writes: the test proved little"


@posix
@pytest.mark.parametrize("kind", ["py-callback", pytest.param("r-callback", marks=needs_r)])
def test_sigkill_during_checkpoint_callback_leaves_loadable_files(tmp_path, kind):
    prefix = str(tmp_path / "cb")
    proc = _start_writer(kind, prefix, tmp_path)
    _kill_mid_write(proc, str(tmp_path))
    files = sorted(glob.glob(prefix + "-*.params"))
    assert files, "no checkpoint written"
    for f in files:
        epoch = int(f[-11:-7])
        sym, arg, aux = mx.model.load_checkpoint(prefix, epoch)
        assert arg["fc1_weight"].shape == (2000, 1000)
    assert glob.glob(str(tmp_path / ".*.tmp")), "the kill did not land mid-write"
    print(f"\n{kind}: {len(files)} checkpoints, all complete; "
          f"{len(glob.glob(str(tmp_path / '.*.tmp')))} temporary file(s) left by the kill")


@needs_r
@posix
@pytest.mark.parametrize("how", ["R", "python -m rshim"])
def test_ctrl_c_during_training_in_r(tmp_path, how):
    script = str(rpkg.BATTERY / "interrupt_train.R")
    cmd = (["R", "--no-echo", "--no-restore", f"--file={script}"] if how == "R"
           else [sys.executable, "-m", "rshim", script])
    proc = subprocess.Popen(cmd, env=rpkg.r_env(), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for phase in (1, 2):
            while True:
                line = proc.stdout.readline()
                assert line, "R ended early:\n" + "".join(lines)
                lines.append(line)
                if line.strip() == f"READY{phase}":
                    break
            time.sleep(2.0)                      # the training loop is running now
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(lines) + out
    assert proc.returncode == 0, out
    assert "RESULT1 INTERRUPT mx.model.FeedForward.create: interrupted" in out, out
    assert "AFTER1 12" in out, out
    assert "RESULT2 ERROR mx.model.FeedForward.create: interrupted by the user (Ctrl-C)" in out, out
    assert "AFTER2 12" in out, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
