"""report.html opened in headless Chromium: the screenshot shows the charts drawn, bars as long as the figures.

Needs Debian's ``chromium`` (``.ci/run`` installs it; there ``RECODE_REQUIRE_CHROMIUM=1`` makes a missing
browser a failure instead of a skip).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from pytest_recode import CaseOutcome

np = pytest.importorskip("numpy")
from pytest_recode.report import ProblemRecord, RunResults, write_reports
from pytest_recode.report._chart import PLOT_WIDTH
from pytest_recode.report._html import NOMINAL, ROBUST

WIDTH, HEIGHT = 1100, 1200


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("RECODE_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is missing: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


def read_png(path: Path) -> np.ndarray:
    """The RGB pixels (height x width x 3) of an 8-bit, non-interlaced PNG, as Chromium writes them."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, header, idat = 8, b"", b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset: offset + 8])
        body = data[offset + 8: offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * channels + 1)
    image = np.zeros((height, width * channels), dtype=np.uint8)
    previous = np.zeros(width * channels, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        if kind == 1:  # Sub: a running sum along each channel
            line = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1)
        elif kind == 2:  # Up
            line = line + previous
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one to its left
            out = [0] * len(line)
            for x, value in enumerate(line.tolist()):
                left = out[x - channels] if x >= channels else 0
                up = int(previous[x])
                corner = int(previous[x - channels]) if x >= channels else 0
                if kind == 3:
                    guess = (left + up) // 2
                else:
                    p = left + up - corner
                    guess = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                out[x] = (value + guess) & 0xFF
            line = np.array(out)
        previous = (line & 0xFF).astype(np.uint8)
        image[y] = previous
    return image.reshape(height, width, channels)[:, :, :3]


def colour_pixels(image: np.ndarray, colour: str) -> tuple[int, int]:
    """How many pixels have ``colour`` (give or take 2 per channel), and the longest horizontal run of them."""
    rgb = np.array(list(bytes.fromhex(colour.lstrip("#"))))
    mask = (np.abs(image.astype(np.int64) - rgb) <= 2).all(axis=2)
    longest = 0
    for row in mask:
        if row.any():  # runs: the gaps between the positions where the mask changes
            edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
            longest = max(longest, int((edges[1::2] - edges[::2]).max()))
    return int(mask.sum()), longest


@pytest.mark.slow  # starts a browser and decodes its screenshot: several seconds
def test_the_page_draws_its_charts_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    cases = [CaseOutcome(f"p/{i}", transform, category, 0, 1, True, perturbed, partial)
             for i in range(4)
             for transform, category, perturbed, partial in (("ButterFingersPerturbation", "docstring", True, False),
                                                              ("VarRenamerNaive", "syntax", i == 0, True))]
    results = RunResults(settings={"k": [1]}, model={"name": "demo"}, dataset={"name": "demo"}, versions={},
                         created="2026-01-01T00:00:00Z",
                         problems=tuple(ProblemRecord(f"p/{i}", i, (True,), (True,)) for i in range(4)),
                         cases=tuple(cases))
    write_reports(results, tmp_path, ["html"])
    shot = tmp_path / "shot.png"
    completed = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
         f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", (tmp_path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert shot.exists(), completed.stderr[-2000:]
    image = read_png(shot)
    assert image.shape == (HEIGHT, WIDTH, 3)
    nominal, nominal_run = colour_pixels(image, NOMINAL.colour)
    robust, robust_run = colour_pixels(image, ROBUST.colour)
    # Nominal pass@1 is 1.0 everywhere: full-width bars. Robust Pass is 1.0 for docstring and 0.25 for syntax.
    assert abs(nominal_run - PLOT_WIDTH) <= 2 and abs(robust_run - PLOT_WIDTH) <= 2
    assert nominal > 4 * PLOT_WIDTH * 8  # four full bars, at least 8 pixels high
    assert robust < nominal  # the syntax bars are a quarter long
