"""Each target's students against its teachers, per seed and averaged: the comparisons the students
issue asks for, read from the scored metrics of a finished run.

For every target with multi-source students it prints, in CoNLL test F1 (%, seqeval default mode):
  1. the best single teacher per seed (of every source teacher scored on that target: build
     results/tables/direct_transfer.csv first; "of N" says how many were), then each MT baseline and
     student: mean F1 over seeds, and in brackets its mean margin over the best single teacher;
  2. the paper's comparisons per seed and their mean: Ours-avg − MT-avg, Ours-sim − MT-sim and
     Ours-sim − Ours-avg (paper, Table 3/4: about +0.9, +0.9 and > 0);
  3. for each comparison and seed, a paired bootstrap over the test sentences (xner.metrics.
     paired_bootstrap, --resamples times; 0 skips it): the 95 % interval of the difference and the
     share of resamples in which the first system does not beat the second. It reads the test
     predictions and the prepared gold corpus (results/corpora/TARGET/test.json) and measures how
     much the difference owes to which sentences are in the test set, not to the training seed.
A seed that lacks a file a comparison needs is left out of that comparison (shown as blank), never
filled in. Pandas renders the Markdown tables.

Usage: python benchmarks/student_margins.py [--results results] [--targets es nl de] [--resamples 1000]
"""

import argparse
from pathlib import Path

import pandas as pd

from xner.errors import reported
from xner.evaluate import gold_and_predicted
from xner.metrics import entity_counts, paired_bootstrap
from xner.tables import load_metrics

COMPARISONS = {  # name: (system, baseline)
    "Ours-avg − MT-avg": ("student-ts-avg", "mt-avg"),
    "Ours-sim − MT-sim": ("student-ts-sim", "mt-sim"),
    "Ours-sim − Ours-avg": ("student-ts-sim", "student-ts-avg"),
}


def scores(results: Path) -> pd.DataFrame:
    """One row per metrics file of a run (xner.tables.load_metrics), seeds as strings."""
    paths = sorted(results.glob("metrics/*/*/seed*.json"))
    if not paths:
        raise SystemExit(f"{results}: no metrics/*/*/seed*.json; run the workflow's tables first")
    f1 = load_metrics(paths)
    return f1.assign(seed=f1.seed.astype(str))


def best_teachers(f1: pd.DataFrame) -> pd.DataFrame:
    """Per (target, seed): the best teacher from another language, its F1 and how many were scored."""
    teachers = f1[f1.system.str.startswith("teacher-")]
    teachers = teachers[teachers.system.str.removeprefix("teacher-") != teachers.target]
    best = teachers.loc[teachers.groupby(["target", "seed"]).f1.idxmax()]
    counts = teachers.groupby(["target", "seed"]).size().rename("teachers scored")
    return best.set_index(["target", "seed"]).rename(columns={"system": "best teacher", "f1": "best teacher F1"}).join(counts)


def against_best_teacher(f1: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """Rows: the best teacher, then every MT baseline and student; per target, mean F1 over seeds and,
    in brackets, the mean margin over that seed's best single teacher."""
    best = best_teachers(f1).reset_index()
    best = best[best.target.isin(targets)]
    systems = f1[f1.target.isin(targets) & f1.system.str.match(r"student-|mt-")]
    joined = systems.merge(best, on=["target", "seed"])
    joined["margin"] = joined.f1 - joined["best teacher F1"]
    means = joined.groupby(["system", "target"])[["f1", "margin"]].mean()
    seeds = joined.groupby(["system", "target"]).size()
    cells = {(system, target): f"{row.f1:.2f} ({row.margin:+.2f}, n={seeds[system, target]})" for (system, target), row in means.iterrows()}
    table = pd.Series(cells).unstack().reindex(columns=targets)
    teacher_row = {t: "; ".join(f"{r['best teacher'].removeprefix('teacher-')} {r['best teacher F1']:.2f} "
                                f"(of {r['teachers scored']}, seed {r.seed})" for _, r in best[best.target == t].iterrows())
                   for t in targets}
    return pd.concat([pd.DataFrame([teacher_row], index=["best single teacher"]), table])


def comparisons(f1: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """The paper's comparisons per target: one column per seed, then their mean."""
    by = f1.set_index(["system", "target", "seed"]).f1
    seeds = sorted(f1.seed.unique(), key=int)
    rows = []
    for name, (system, baseline) in COMPARISONS.items():
        for target in targets:
            row = {"comparison": name, "target": target}
            for seed in seeds:
                pair = [(s, target, seed) for s in (system, baseline)]
                row[f"seed {seed}"] = by[pair[0]] - by[pair[1]] if all(p in by.index for p in pair) else float("nan")
            row["mean"] = pd.Series([row[f"seed {s}"] for s in seeds]).mean()
            rows.append(row)
    return pd.DataFrame(rows).round(2)


def bootstrap(results: Path, f1: pd.DataFrame, targets: list[str], resamples: int) -> pd.DataFrame:
    """Per comparison, target and seed: the difference, its 95 % interval over resampled test
    sentences and P(first system not better), in F1 points; pairs without both prediction files
    are left out."""
    rows = []
    for target in targets:
        counts = {}

        def counts_of(system, seed):
            if (system, seed) not in counts:
                path = results / "predictions" / system / target / f"seed{seed}" / "test.h5"
                gold = results / "corpora" / target / "test.json"
                counts[system, seed] = entity_counts(*gold_and_predicted(path, gold)[1:]) if path.exists() else None
            return counts[system, seed]

        for name, (system, baseline) in COMPARISONS.items():
            for seed in sorted(f1.seed.unique(), key=int):
                a, b = counts_of(system, seed), counts_of(baseline, seed)
                if a is None or b is None:
                    continue
                result = paired_bootstrap(a, b, resamples)
                rows.append({"comparison": name, "target": target, "seed": seed,
                             "difference": 100 * result["difference"],
                             "95 % interval": f"[{100 * result['low']:+.2f}, {100 * result['high']:+.2f}]",
                             "P(not better)": result["a_not_better"]})
    return pd.DataFrame(rows).round(2)


def markdown(table: pd.DataFrame, **kwargs) -> str:
    """Markdown with missing values blank (a comparison that lacks a file is not a number)."""
    return table.astype(object).where(table.notna(), "").to_markdown(**kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--targets", nargs="+", default=["es", "nl", "de"], help="targets, in the order shown")
    parser.add_argument("--resamples", type=int, default=1000, help="paired-bootstrap resamples of the test sentences (0: skip)")
    args = parser.parse_args(argv)
    with reported("student_margins.py"):  # a broken metrics file: one line, not a traceback
        f1 = scores(args.results)
    if not best_teachers(f1).reset_index().target.isin(args.targets).any():
        raise SystemExit(f"{args.results}: no source teacher is scored on {' '.join(args.targets)}; "
                         "build results/tables/direct_transfer.csv first")
    print("## Students and MT baselines against the best single teacher (test F1, %)\n")
    print(markdown(against_best_teacher(f1, args.targets)))
    print("\n## The paper's comparisons (F1 points; paper: about +0.9, +0.9, > 0)\n")
    print(markdown(comparisons(f1, args.targets), index=False))
    if args.resamples > 0:
        with reported("student_margins.py"):
            intervals = bootstrap(args.results, f1, args.targets, args.resamples)
        print(f"\n## Paired bootstrap over the test sentences ({args.resamples} resamples; F1 points)\n")
        print(markdown(intervals, index=False))


if __name__ == "__main__":
    main()
