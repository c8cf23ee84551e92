"""Print each student's agreement-set curve in brief: before training, lowest, highest and final,
the range over the second half of training, and the change over the last 50 steps (a curve that
has levelled off keeps a narrow range there and no longer climbs at the end). "entity words" is
the number of agreement-set words the soft labels call entities: one word is 1/that of agreement.

Usage: python benchmarks/agreement_summary.py [RESULTS_DIR]   (default: results)

Reads results/students/*/*/seed*/training_summary.json; students trained without an agreement set
(student.agreement_sentences: 0) are listed as such. Pandas renders the Markdown table.
"""

import json
import sys
from pathlib import Path

import pandas as pd


def summarise(folder: Path) -> dict:
    summary = json.loads((folder / "training_summary.json").read_text())
    curve = [(r["step"], r["heldout_entity_agreement"]) for r in summary["history"] if "heldout_entity_agreement" in r]
    row = {"student": f"{folder.parent.parent.name}/{folder.parent.name}", "seed": folder.name.removeprefix("seed"),
           "init": summary.get("init", {}).get("from", "pretrained"), "steps": summary.get("stopping", {}).get("steps")}
    if not curve:
        return row | {"agreement set": "none"}
    trained = [v for _, v in curve[1:]]
    half = [v for step, v in curve if step >= curve[-1][0] / 2]
    last_step, final = curve[-1]
    before_last_50 = ([v for step, v in curve if step <= last_step - 50] or [curve[0][1]])[-1]  # short runs: from step 0
    return row | {
        "before training": round(curve[0][1], 3),
        "lowest": round(min(trained), 3),
        "highest": round(max(trained), 3),
        "final": round(curve[-1][1], 3),
        "second half": f"{min(half):.3f}-{max(half):.3f}",
        "last 50 steps": f"{final - before_last_50:+.3f}",
        "entity words": summary["history"][0].get("heldout_entity_words"),
        "train s": summary["train_seconds"],
    }


def main(results="results"):
    folders = sorted(p.parent for p in Path(results, "students").glob("*/*/seed*/training_summary.json"))
    if not folders:
        sys.exit(f"no students under {results}/students")
    print(pd.DataFrame([summarise(f) for f in folders]).to_markdown(index=False))


if __name__ == "__main__":
    main(*sys.argv[1:])
