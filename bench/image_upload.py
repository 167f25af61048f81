"""Benchmark: what one upload costs a worker in ``core.images.clean_image`` (time and peak memory).

Each case runs in a fresh Python process, so its peak resident memory is its own: the script
reads ``ru_maxrss`` once Pillow and the app's modules are loaded and again after the call, and
prints the difference with the wall time. The cases:

* ``bomb``: a crafted 154 KB PNG that unpacks to 7290 × 5450 RGBA pixels (39.7 megapixels, just
  under the pixel limit; 159 MB once decoded);
* ``photo``: a 4000 × 3000 JPEG (12 megapixels), the largest ordinary phone photo;
* ``png``: a 2400 × 1800 PNG screenshot-like picture.

    python bench/image_upload.py                 # all cases, 3 runs each
    python bench/image_upload.py --runs 5 bomb
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import struct
import subprocess
import sys
import zlib

CASES = ("bomb", "photo", "png")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def crafted_png(width: int = 7290, height: int = 5450) -> bytes:
    """A valid RGBA PNG of ``width`` × ``height`` transparent pixels, deflated to almost nothing."""
    row = b"\x00" * (1 + width * 4)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def make(case: str) -> bytes:
    """The upload of one case."""
    from PIL import Image, ImageDraw

    if case == "bomb":
        return crafted_png()
    size = (4000, 3000) if case == "photo" else (2400, 1800)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for n in range(0, size[0], 97):
        draw.line([(n, 0), (size[0] - n, size[1])], fill=(n % 255, 90, 160), width=3)
    out = io.BytesIO()
    image.save(out, format="JPEG" if case == "photo" else "PNG", quality=85)
    return out.getvalue()


def child(case: str) -> None:
    """One measurement, in this (fresh) process; prints a JSON line."""
    import resource
    import time

    from flask import Flask
    from flask_babel import Babel

    from core.images import ImageError, clean_image

    data = make(case)
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            clean_image(data)
            outcome = "accepted"
        except ImageError as exc:
            outcome = f"refused: {exc}"
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"case": case, "bytes": len(data), "seconds": seconds, "peak_mb": (after - before) / 1024,
                      "outcome": outcome}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"some of {', '.join(CASES)} (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    print(f"{'case':<7} {'file':>9} {'time p50':>10} {'peak MB':>8}  outcome")
    for case in args.cases or CASES:
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--child", case], check=True,
                                          capture_output=True, text=True).stdout) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = statistics.median(r["peak_mb"] for r in runs)
        print(f"{case:<7} {runs[0]['bytes'] / 1024:>7.0f} KB {seconds * 1000:>8.1f} ms {peak:>8.1f}  "
              f"{runs[0]['outcome'][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
