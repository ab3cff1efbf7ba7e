"""Bad-input battery for the R package (tests/battery/battery.R).

Every function exported by NAMESPACE (read when the battery runs, so new exports are covered
without editing anything here) is called with wrong types, NULL, NA, empty vectors, negative
and huge dimensions, mismatched shapes and wrong argument names,
plus one per bad value of each further argument.  The bad values rotate over the functions
(each function gets a share; every value is tried on many functions): about 15 cases per
function, 5,000 in all.  ``MXNET_BATTERY_FULL=1`` gives every function every value (about
19,000 cases, ~5 minutes on 2 cores).

What counts as a pass, per case:
- an R error whose message is clear: no Python traceback, no Python exception class leaking
  from inside the engine (``TypeError: int() argument ...``, ``AttributeError``, ``KeyError``,
  ...). ``MemoryError`` is accepted: its message names the size that could not be allocated;
- or a value (many bad-looking inputs are legal: ``mx.nd.array(NA)`` is an array holding NaN);
- and the R session still computes afterwards (checked after each function's cases).
A crash (the R process dies) or a hang (no progress for HANG_S seconds) fails the test; the
driver then restarts R at the next case so that one crash does not hide the rest.

The counts are printed: ``battery: N cases, N clear errors, N values, 0 crashes``.
"""
import os
import re
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from battery import rpkg  # noqa: E402

pytestmark = pytest.mark.skipif(not rpkg.have_r(), reason="R is not installed")

SCRIPT = rpkg.BATTERY / "battery.R"
WORKERS = 2
HANG_S = 120

# A Python exception class in an R error message means the engine let an internal error out.
LEAK = re.compile(r"Traceback|File \"|\b(AttributeError|IndexError|KeyError|NameError|"
                  r"UnboundLocalError|ZeroDivisionError|RecursionError|AssertionError|"
                  r"StopIteration|SystemError|OverflowError|TypeError|ValueError|RuntimeError|"
                  r"NotImplementedError|UnicodeDecodeError|UnicodeEncodeError|OSError|"
                  r"FileNotFoundError|Exception)\b")


def namespace_exports():
    text = (rpkg.ROOT / "NAMESPACE").read_text()
    return set(re.findall(r"^export\(([^)]+)\)", text, re.M))


def _parse(log):
    started, results, broken, aliases, ended = {}, {}, [], [], False
    if not os.path.exists(log):
        return started, results, broken, aliases, ended
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            kind = parts[0]
            if kind == "S" and len(parts) >= 4:
                started[int(parts[1])] = (parts[2], parts[3])
            elif kind == "R" and len(parts) >= 4:
                results[int(parts[1])] = (parts[2], parts[3])
            elif kind == "B":
                broken.append(parts[2] if len(parts) > 2 else "?")
            elif kind in ("D", "O"):       # an alias of a function already tested; an object
                aliases.append(parts[1])
            elif kind == "E":
                ended = True
    return started, results, broken, aliases, ended


def _run_worker(env, workdir, worker):
    """Run worker `worker` to the end, restarting R after each crash; its log's path and the
    list of (case, function, label, how) for crashes and hangs."""
    log = os.path.join(workdir, f"battery-{worker}.log")
    crashes = []
    first = 1
    for _attempt in range(50):
        errfile = os.path.join(workdir, f"battery-{worker}-{first}.err")
        with open(errfile, "wb") as err:
            proc = subprocess.Popen(["Rscript", str(SCRIPT), log, str(first), str(worker),
                                     str(WORKERS)], env=env, cwd=workdir,
                                    stdout=subprocess.DEVNULL, stderr=err)
        yield proc
        with open(errfile, encoding="utf-8", errors="replace") as err:
            proc.stderr_text = err.read()
        started, results, _broken, _aliases, ended = _parse(log)
        if ended and proc.returncode == 0:
            return log, crashes
        pending = [i for i in started if i not in results]
        if not pending:
            raise AssertionError(f"battery worker {worker} stopped before its first case "
                                 f"(rc={proc.returncode}): {proc.stderr_text[-3000:]}")
        case = max(pending)
        how = "hang" if getattr(proc, "hung", False) else f"died rc={proc.returncode}"
        if proc.returncode == 3:
            how = "session broken"
        crashes.append((case, *started[case], how, proc.stderr_text[-1500:]))
        first = case + 1
    raise AssertionError("battery: too many crashes")


@pytest.fixture(scope="module")
def battery(tmp_path_factory):
    env = rpkg.r_env()
    workdir = str(tmp_path_factory.mktemp("battery"))
    gens = [_run_worker(env, workdir, w) for w in range(WORKERS)]
    procs = {w: next(g) for w, g in enumerate(gens)}
    outcome = {}
    t_start = time.monotonic()
    while procs:
        time.sleep(0.2)
        for w, proc in list(procs.items()):
            log = os.path.join(workdir, f"battery-{w}.log")
            if proc.poll() is None:
                # hang watchdog: the log has not moved for HANG_S seconds
                try:
                    idle = time.time() - os.path.getmtime(log)
                except OSError:
                    idle = time.monotonic() - t_start
                if idle > HANG_S:
                    proc.hung = True
                    proc.kill()
                continue
            try:
                procs[w] = gens[w].send(None)
            except StopIteration as stop:
                outcome[w] = stop.value
                del procs[w]
    started, results, broken, aliases, crashes = {}, {}, [], [], []
    for w in range(WORKERS):
        log, worker_crashes = outcome[w]
        s, r, b, a, _ = _parse(log)
        started.update(s)
        results.update(r)
        broken += b
        aliases += a
        crashes += worker_crashes
    return {"started": started, "results": results, "broken": broken, "aliases": aliases,
            "crashes": crashes, "seconds": time.monotonic() - t_start}


def _summary(b):
    res = b["results"]
    errors = [i for i, (st, _) in res.items() if st == "error"]
    unclear = [i for i in errors if LEAK.search(res[i][1]) and "MemoryError" not in res[i][1]
               or not res[i][1].strip()]
    values = [i for i, (st, _) in res.items() if st == "value"]
    return errors, unclear, values


def test_battery_every_export_gives_clear_errors_and_never_crashes(battery):
    errors, unclear, values = _summary(battery)
    n = len(battery["started"])
    print(f"\nbattery: {n} cases, {len(errors) - len(unclear)} clear errors, "
          f"{len(values)} values, {len(unclear)} unclear errors, "
          f"{len(battery['crashes'])} crashes ({battery['seconds']:.0f} s, {WORKERS} R processes)")
    lines = []
    for i in sorted(unclear)[:40]:
        fn, label = battery["started"][i]
        lines.append(f"  unclear: {fn}({label}): {battery['results'][i][1][:300]}")
    for case, fn, label, how, err in battery["crashes"]:
        lines.append(f"  CRASH ({how}) at case {case}: {fn}({label})\n{err}")
    assert not battery["crashes"] and not unclear, "\n".join(lines)
    assert not battery["broken"], f"session unusable after: {battery['broken']}"


def test_battery_covers_every_export_in_namespace(battery):
    exports = namespace_exports()
    tested = {fn for fn, _ in battery["started"].values()} | set(battery["aliases"])
    missing = sorted(exports - tested)
    assert not missing, f"exports the battery did not call: {missing[:20]}"
    assert len(exports) > 300
    # every function got its whole list of cases: no case number was skipped
    assert sorted(battery["started"]) == list(range(1, len(battery["started"]) + 1))
    assert set(battery["results"]) | {c[0] for c in battery["crashes"]} == set(battery["started"])


def test_battery_errors_name_the_function(battery):
    """Errors raised by the package itself start with the function's name (R's own argument
    matching errors, 'unused argument ...', are R's and are not counted here)."""
    res, started = battery["results"], battery["started"]
    r_own = re.compile(r"^(unused argument|argument \"|argument \d+ matches|formal argument|"
                       r"argument .* is missing|could not find function)")
    named = unnamed = 0
    samples = []
    for i, (st, msg) in res.items():
        if st != "error" or r_own.search(msg):
            continue
        fn = started[i][0]
        stem = fn.split(".")[-1]
        if msg.startswith(fn) or fn in msg or stem in msg.split(":")[0]:
            named += 1
        else:
            unnamed += 1
            if len(samples) < 15:
                samples.append(f"{fn}({started[i][1]}): {msg[:200]}")
    print(f"\nbattery: {named} package errors name their function, {unnamed} do not")
    for s in samples:
        print("  ", s)
    assert named > 0
    # Most do; the rest are errors of R's own functions called by the package on a bad
    # argument (their message still says what is wrong).
    assert unnamed <= 0.1 * (named + unnamed)


LOAD_SCRIPT = r"""
suppressPackageStartupMessages(library(mxnet))
report <- function(tag, expr) {
  r <- tryCatch({ force(expr); "OK" }, error = function(e) paste("ERROR", conditionMessage(e)))
  cat(tag, r, "\n")
}
for (p in c("truncparams", "truncsymbol")) report(p, mx.model.load(file.path(getwd(), p), 0))
m <- mx.model.load(file.path(getwd(), "mismatch"), 0)
report("mismatch", predict(m, array(0, c(28, 28, 1, 2))))
report("missing", mx.model.load(file.path(getwd(), "nothing"), 3))
"""


def test_r_model_load_of_hostile_checkpoints(tmp_path):
    """mx.model.load of a truncated pair, and predict with a mismatched pair (LeNet's graph,
    the MLP's parameters), are R errors that name the problem."""
    import shutil
    fx = rpkg.ROOT / "tests" / "fixtures" / "mxnet-1.9.1"
    for prefix, sym, params in (("truncparams", "mlp", "mlp"), ("truncsymbol", "mlp", "mlp"),
                                ("mismatch", "lenet", "mlp")):
        shutil.copy(fx / f"{sym}-symbol.json", tmp_path / f"{prefix}-symbol.json")
        shutil.copy(fx / f"{params}-0000.params", tmp_path / f"{prefix}-0000.params")
    p = tmp_path / "truncparams-0000.params"
    p.write_bytes(p.read_bytes()[:1000])
    s = tmp_path / "truncsymbol-symbol.json"
    s.write_bytes(s.read_bytes()[:300])
    script = tmp_path / "load.R"
    script.write_text(LOAD_SCRIPT)
    proc = subprocess.run(["Rscript", str(script)], env=rpkg.r_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    print("\n" + proc.stdout)
    assert lines["truncparams"].startswith("ERROR mx.model.load") and \
        "truncparams-0000.params" in lines["truncparams"] and "truncated" in lines["truncparams"]
    assert lines["truncsymbol"].startswith("ERROR mx.model.load")
    assert lines["mismatch"].startswith("ERROR") and "convolution0" in lines["mismatch"], \
        lines["mismatch"]
    assert lines["missing"].startswith("ERROR mx.model.load") and "nothing" in lines["missing"]
    for v in lines.values():
        assert not LEAK.search(v), v
