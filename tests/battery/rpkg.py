"""The R package installed once per pytest process, for the reliability tests
(tests/test_bad_input_r.py, tests/test_memory.py, tests/test_interrupts.py).

``r_env()`` installs the package from this working tree into a temporary library (so the tests
see the code under test) the first time it is called and returns an environment for
subprocesses that run R with it."""
import atexit
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
BATTERY = pathlib.Path(__file__).resolve().parent
_cache = {}


def have_r():
    return shutil.which("Rscript") is not None


def r_env():
    if "env" in _cache:
        return dict(_cache["env"])
    lib = tempfile.mkdtemp(prefix="mxnet-rlib-")
    atexit.register(shutil.rmtree, lib, True)
    env = dict(os.environ, MXNET_PYTHON=sys.executable, R_LIBS=lib,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(["R", "CMD", "INSTALL", "--no-data", "--no-test-load", "-l", lib,
                           str(ROOT)], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError("R CMD INSTALL failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    _cache["env"] = env
    return dict(env)


def rss_kib(pid):
    """Resident set size of a process, KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")
