"""examples/render_deck.R: a deck in deck.R's form (``chunk("title")`` lines between code)
becomes one self-contained HTML page with a heading per chunk, the printed outputs and the
figures inline. A small deck stands in for the real one (which trains for ten minutes)."""
import base64
import html
import re
import shutil
import subprocess

import pytest

from battery import rpkg

pytestmark = pytest.mark.skipif(not rpkg.have_r() or shutil.which("pandoc") is None,
                                reason="R or pandoc is not installed")

RENDER = rpkg.ROOT / "examples" / "render_deck.R"

MINI_DECK = """library(mxnet)
chunk <- function(title) message("\\n==== ", title, " ====")
chunk("NDArray: create")
a <- mx.nd.ones(c(2, 3))
b <- a * 2 + 1
b
chunk("A figure")
plot(1:10)
"""


def _render(tmp_path, deck_text):
    deck = tmp_path / "mini.R"
    deck.write_text(deck_text)
    proc = subprocess.run(["Rscript", str(RENDER), str(deck), "out.html"], cwd=tmp_path,
                          env=rpkg.r_env(), capture_output=True, text=True, timeout=300)
    return proc, tmp_path / "out.html"


def test_render_deck_writes_headings_outputs_and_inline_figures(tmp_path):
    proc, out = _render(tmp_path, MINI_DECK)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    page = out.read_text()
    headings = [html.unescape(h) for h in re.findall(r"<h2>([^<]*)</h2>", page)]
    assert headings == ["Set-up (mxnet-bridge)", "NDArray: create", "A figure"]
    # the MXNDArray printed by the engine, as R prints the matrix
    assert "[1,]    3    3    3\n[2,]    3    3    3" in html.unescape(page)
    # the figure is embedded (self-contained) and is a real PNG
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'<script src="http', page), "the page must not need the network"


def test_render_deck_stops_on_an_error_in_the_deck(tmp_path):
    proc, out = _render(tmp_path, MINI_DECK + 'mx.nd.array("a")\n')
    assert proc.returncode != 0
    assert "mx.nd.array" in proc.stderr
    assert not out.exists()
