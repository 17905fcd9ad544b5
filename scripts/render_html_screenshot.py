"""Render an ftlint HTML report in headless Chromium and save a PNG screenshot.

Usage::

    # an existing report
    python scripts/render_html_screenshot.py /tmp/report.html -o docs/report-screenshot.png
    # run ftlint first (everything after -- goes to `ftlint check`), in the given directory
    python scripts/render_html_screenshot.py --cwd examples/chat-mistakes -o docs/report-screenshot.png \\
        -- train.jsonl --config train.yaml

Needs Chromium (Debian: ``apt-get install chromium``; also found as ``chromium-browser``,
``google-chrome`` or via ``$CHROMIUM``). The browser runs offline-ish: a fresh profile, no
background networking, no component updates, no sync, so the screenshot shows exactly what a
reader sees without network access. The page is rendered at ``--width`` x ``--height`` CSS pixels
(default 1280 x 2400) and the PNG is cropped to the page's content when Pillow is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str:
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("render_html_screenshot: no Chromium found (apt-get install chromium, or set $CHROMIUM)")


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2400, timeout: float = 120.0) -> None:
    """Render ``html`` (a local file) in headless Chromium and write ``png``."""
    browser = find_browser()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ftlint-chromium-") as profile:
        cmd = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            f"--user-data-dir={profile}", f"--screenshot={png.resolve()}", f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not png.is_file():
        sys.stderr.write(proc.stderr[-4000:])
        sys.exit(f"render_html_screenshot: chromium exited {proc.returncode} without a screenshot")
    _crop(png)


def _crop(png: Path) -> None:
    """Cut the empty band below the page's end (the window is taller than short reports)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png) as img:
        rgb = img.convert("RGB")
        w, h = rgb.size
        background = rgb.getpixel((w - 1, h - 1))
        bottom = h
        px = rgb.load()
        step = max(1, w // 64)
        while bottom > 1 and all(px[x, bottom - 1] == background for x in range(0, w, step)):
            bottom -= 1
        if bottom < h - 24:
            rgb.crop((0, 0, w, min(h, bottom + 24))).save(png, optimize=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    check_args: list[str] = []
    if "--" in argv:
        k = argv.index("--")
        argv, check_args = argv[:k], argv[k + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("html", nargs="?", type=Path, help="the HTML report (omit to run `ftlint check` with the args after --)")
    p.add_argument("-o", "--output", type=Path, default=Path("docs/report-screenshot.png"))
    p.add_argument("--cwd", type=Path, default=None, help="directory to run `ftlint check` in")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=2400)
    p.add_argument("--keep-html", type=Path, default=None, help="also keep the generated report here")
    args = p.parse_args(argv)
    if args.html is None and not check_args:
        p.error("give an HTML report, or `-- ARGS` for `ftlint check`")
    with tempfile.TemporaryDirectory(prefix="ftlint-report-") as tmp:
        html = args.html
        if html is None:
            html = args.keep_html.resolve() if args.keep_html else Path(tmp) / "report.html"
            cmd = [sys.executable, "-m", "ftlint", "check", *check_args, "--output-format", "html",
                   "-o", str(html)]
            proc = subprocess.run(cmd, cwd=args.cwd, capture_output=True, text=True)
            if proc.returncode not in (0, 1) or not html.is_file():  # 1: findings, which is the point
                sys.stderr.write(proc.stdout + proc.stderr)
                sys.exit(f"render_html_screenshot: ftlint check exited {proc.returncode}")
        screenshot(html, args.output, args.width, args.height)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
