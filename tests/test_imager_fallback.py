"""examples/imager_fallback.R, the deck's stand-in for `imager`: the calls real scripts make.

Real MXNet R examples (the CGAN example) plot 2-D matrices of 0..255 values with imager's
`as.cimg` and `plot`, which stretches values to [0, 1] by default.
"""
import shutil
import subprocess
from pathlib import Path

import pytest

FALLBACK = Path(__file__).resolve().parent.parent / "examples" / "imager_fallback.R"
pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")

SCRIPT = f"""
source("{FALLBACK}")
m <- matrix(seq(0, 255, length.out = 20), 4, 5)
im <- as.cimg(m)
cat(dim(im), "\\n")
png(tempfile(fileext = ".png")); plot(im); invisible(dev.off())
ok <- tryCatch({{ png(tempfile(fileext = ".png")); plot(im, rescale = FALSE); "drawn" }},
               error = function(e) "refused", finally = invisible(dev.off()))
cat(ok, "\\n")
cat(dim(resize(im, 8, 10, interpolation_type = 3L)), "\\n")
cat(tryCatch(as.cimg(1:3), error = function(e) conditionMessage(e)), "\\n")
"""


def test_matrix_images_plot_rescaled_as_imager(tmp_path):
    script = tmp_path / "fallback.R"
    script.write_text(SCRIPT)
    proc = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["4", "5", "1", "1"]
    assert lines[1].strip() == "refused"        # 0..255 without rescaling is not a grey level
    assert lines[2].split() == ["8", "10", "1", "1"]
    assert "expected a 2-, 3- or 4-dimensional array" in lines[3]
