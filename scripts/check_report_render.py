#!/usr/bin/env python3
"""Check that a Snakemake HTML report renders in a real headless browser (Chromium).

    python scripts/check_report_render.py report.html [--screenshot report.png] [--show alpha_sim.png ...]

The report is a single HTML file whose JavaScript (React, bundled inside) draws everything, so a
file that merely exists can still show a blank page. This script loads it in headless Chromium
with no network and checks that
  * the app rendered: the loading screen is hidden and the #app element lists every result
    category the report holds, with no uncaught JavaScript error on the console;
  * a screenshot of the start page (and, for each --show NAME, of that result opened in the report
    and of its category's list) is a PNG that is not blank.
Screenshots are written beside --screenshot (default: the report's name with .png).

Without Chromium it prints a message and exits 0 (skipped), so CI machines without a browser pass.
Exit status 1: the report did not render as expected (the reasons are printed).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def find_browser(name=None):
    for candidate in [name] if name else BROWSERS:
        path = shutil.which(candidate)
        if path:
            return path
    return None


def run_browser(browser, url, extra, timeout):
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url],
            capture_output=True, text=True, timeout=timeout,
        )


def report_data(html):
    """The categories and result paths embedded in the report (its `var categories/results = …`)."""
    def var(name):
        match = re.search(rf'<script id="{name}">\s*var {name} = (.*?);\s*</script>', html, re.S)
        return json.loads(match.group(1)) if match else {}

    return var("categories"), var("results")


def console_errors(stderr):
    return [line for line in stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]


def check_dom(dom, categories):
    problems = []
    loading = re.search(r'<div id="loading-screen"([^>]*)>', dom)
    if not loading or "display: none" not in loading.group(1):
        problems.append("the loading screen is still shown: the report's JavaScript did not finish")
    start = dom.find('<div id="app"')
    end = dom.find("<script", start)
    app = dom[start:end] if start >= 0 else ""
    text = re.sub(r"<[^>]+>", " ", app)
    if len(text.split()) < 5:
        problems.append("the #app element is empty: nothing was rendered")
    for category in categories:
        if category not in text:
            problems.append(f"category {category!r} is not listed in the rendered page")
    return problems, " ".join(text.split())


def not_blank(png):
    """Share of pixels that are not (almost) white; None when matplotlib cannot read the file."""
    try:
        import matplotlib.image as mpimg
        import numpy as np
    except ImportError:
        return None
    image = mpimg.imread(png)[..., :3]
    return float((np.asarray(image).min(axis=-1) < 0.95).mean())


def view_script(category, result_path):
    """JavaScript that opens a category (and a result's image) once the app has started."""
    steps = [f"app.showCategory({json.dumps(category)});"]
    if result_path:
        steps.append(
            f"const p = {json.dumps(result_path)};"
            " app.setView({content: 'img', contentPath: results[p].data_uri, resultPath: p});"
        )
    body = " ".join(steps)
    return f"<script>setTimeout(function () {{ {body} }}, 500);</script>"


def screenshot(browser, html_path, out, size, timeout, budget):
    result = run_browser(
        browser, html_path.resolve().as_uri(),
        [f"--screenshot={out}", f"--window-size={size}", f"--virtual-time-budget={budget}"], timeout,
    )
    problems = [f"{out.name}: {line}" for line in console_errors(result.stderr)]
    if not out.exists() or out.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        problems.append(f"no screenshot written to {out}: {result.stderr[-1000:]}")
    else:
        share = not_blank(out)
        if share is not None and share < 0.01:
            problems.append(f"{out} is blank ({share:.1%} non-white pixels)")
        print(f"screenshot: {out}" + ("" if share is None else f" ({share:.1%} non-white pixels)"))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="the report's HTML file (snakemake --report report.html)")
    parser.add_argument("--screenshot", type=Path, default=None, help="PNG of the start page (default: REPORT.png)")
    parser.add_argument(
        "--show", action="append", default=[], metavar="NAME", help="also screenshot this result (file name) opened in the report"
    )
    parser.add_argument("--browser", default=None, help=f"browser executable (default: the first of {', '.join(BROWSERS)})")
    parser.add_argument("--window-size", default="1400,1000")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per browser run")
    parser.add_argument("--budget", type=int, default=10000, help="virtual milliseconds the page may run before capture")
    a = parser.parse_args(argv)

    browser = find_browser(a.browser)
    if browser is None:
        print("SKIPPED: no Chromium found (Debian: apt-get install chromium); the report was not rendered.")
        return 0
    if not a.report.is_file():
        print(f"FAILED: {a.report} does not exist")
        return 1
    html = a.report.read_text(encoding="utf-8")
    categories, results = report_data(html)
    if not categories:
        print(f"FAILED: {a.report} holds no result categories (is it a Snakemake report?)")
        return 1

    dump = run_browser(browser, a.report.resolve().as_uri(), ["--dump-dom", f"--virtual-time-budget={a.budget}"], a.timeout)
    problems, text = check_dom(dump.stdout, categories)
    problems += [f"start page: {line}" for line in console_errors(dump.stderr)]
    print(f"rendered start page ({len(text)} characters of text): {text[:300]}")

    out = a.screenshot or a.report.with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    problems += screenshot(browser, a.report, out, a.window_size, a.timeout, a.budget)
    for name in a.show:
        found = [(cat, path) for cat, subcats in categories.items() for items in subcats.values()
                 for path in items if Path(path).name == name]
        if not found:
            problems.append(f"--show {name}: no such result in the report")
            continue
        category, path = found[0]
        image = results.get(path, {}).get("mime_type", "").startswith("image/")
        with tempfile.TemporaryDirectory(prefix="report-view-") as tmp:
            page = Path(tmp) / "report.html"
            cut = html.rfind("</body>")
            page.write_text(html[:cut] + view_script(category, path if image else None) + html[cut:], encoding="utf-8")
            shot = out.with_name(f"{out.stem}-{Path(name).stem}.png")
            problems += screenshot(browser, page, shot, a.window_size, a.timeout, a.budget)

    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"OK: {a.report} renders in {Path(browser).name}; categories: {', '.join(categories)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
