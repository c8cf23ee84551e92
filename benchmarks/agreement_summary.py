"""Print each student's agreement-set curve in brief: before training, lowest, highest and final,
the range over the second half of training, and the change over the last 50 steps. "entity words"
is the number of agreement-set words the soft labels call entities: one word is 1/that of
agreement. "trend" is the least-squares slope of the curve over the second half of training, per
50 steps, also counted in entity words ("words/50"): unlike the last 50 steps' change it is not
swayed by one noisy measurement. "± se" is that slope's standard error (from the scatter of the
second half's points about their line, in entity words per 50 steps; blank with fewer than three
points): a trend within about two of it is not told apart from a flat curve by these points. A
curve has "levelled" off when it gains at most three entity words per 50 steps that way:
consecutive measurements of a flat curve differ by a few words.

Usage: python benchmarks/agreement_summary.py [RESULTS_DIR | STUDENT_FOLDER ...]   (default: results)

A results folder: every results/students/*/*/seed*/training_summary.json. Student folders (any
folder `xner train-student --out` wrote, e.g. probes outside the workflow): those, named by their
folder. Students trained without an agreement set (student.agreement_sentences: 0) are listed as
such. Pandas renders the Markdown table.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

LEVELLED_WORDS = 3  # the largest second-half gain, in entity words per 50 steps, of a levelled curve


def slope_per_50(steps, values) -> tuple[float, float]:
    """Least-squares slope per 50 steps and its standard error (nan where the points cannot give it)."""
    if len(values) < 2:
        return float("nan"), float("nan")
    x, y = np.asarray(steps, float), np.asarray(values, float)
    slope, intercept = np.polyfit(x, y, 1)
    if len(values) < 3:
        return 50 * slope, float("nan")
    residual_variance = np.sum((y - (slope * x + intercept)) ** 2) / (len(y) - 2)
    return 50 * slope, 50 * np.sqrt(residual_variance / np.sum((x - x.mean()) ** 2))


def summarise(folder: Path, name: str, seed) -> dict:
    summary = json.loads((folder / "training_summary.json").read_text())
    curve = [(r["step"], r["heldout_entity_agreement"]) for r in summary["history"] if "heldout_entity_agreement" in r]
    row = {"student": name, "seed": seed, "init": summary.get("init", {}).get("from", "pretrained"),
           "lr": summary["settings"]["lr"], "steps": summary.get("stopping", {}).get("steps")}
    if not curve:
        return row | {"agreement set": "none"}
    trained = [v for _, v in curve[1:]]
    last_step, final = curve[-1]
    before_last_50 = ([v for step, v in curve if step <= last_step - 50] or [curve[0][1]])[-1]  # short runs: from step 0
    half_steps, half = zip(*[(step, v) for step, v in curve if step >= last_step / 2])
    trend, trend_se = slope_per_50(half_steps, half)
    entity_words = summary["history"][0].get("heldout_entity_words") or float("nan")
    return row | {
        "before training": round(curve[0][1], 3),
        "lowest": round(min(trained), 3),
        "highest": round(max(trained), 3),
        "final": round(final, 3),
        "second half": f"{min(half):.3f}-{max(half):.3f}",
        "last 50 steps": f"{final - before_last_50:+.3f}",
        "trend": f"{trend:+.3f}",
        "words/50": f"{trend * entity_words:+.1f}",
        "± se": f"{trend_se * entity_words:.1f}" if np.isfinite(trend_se) else "",
        "levelled": "yes" if trend * entity_words <= LEVELLED_WORDS else "no",
        "final mse": f"{summary['history'][-1]['heldout_mse']:.6f}" if "heldout_mse" in summary["history"][-1] else "",
        "entity words": entity_words,
        "train s": summary["train_seconds"],
    }


def students(paths: list[Path]) -> list[tuple[Path, str, str]]:
    """(folder, name, seed) of each student under a results folder or given directly."""
    def named(folder: Path):  # the workflow's layout: students/<system>/<target>/seed<N>
        if folder.name.startswith("seed"):
            return folder, f"{folder.parent.parent.name}/{folder.parent.name}", folder.name.removeprefix("seed")
        return folder, folder.name, ""

    found = []
    for path in paths:
        if (path / "training_summary.json").is_file():
            found.append(named(path))
            continue
        under = sorted(path.glob("students/*/*/seed*/training_summary.json"))
        found += [named(summary.parent) for summary in under]
        if not under:
            sys.exit(f"{path}: neither a student folder (training_summary.json) nor a results folder with students/")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("results")], help="a results folder or student folders (default: results)")
    rows = [summarise(*found) for found in students(parser.parse_args(argv).paths)]
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
