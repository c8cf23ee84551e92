"""Print the wall time and peak memory of each workflow stage from Snakemake's benchmark files.

Usage: python benchmarks/stage_times.py [RESULTS_DIR]   (default: results)
"""

import sys
from pathlib import Path

import pandas as pd


def stage_table(results="results") -> pd.DataFrame:
    """Per stage (the top folder under results/benchmarks): jobs, total and slowest seconds, peak RSS."""
    folder = Path(results, "benchmarks")
    jobs = pd.DataFrame(
        [{"stage": tsv.relative_to(folder).with_suffix("").parts[0], "job": str(tsv.relative_to(folder).with_suffix("")),
          **pd.read_csv(tsv, sep="\t").iloc[0][["s", "max_rss"]].to_dict()}
         for tsv in sorted(folder.rglob("*.tsv"))],
        columns=["stage", "job", "s", "max_rss"],
    )
    jobs[["s", "max_rss"]] = jobs[["s", "max_rss"]].apply(pd.to_numeric, errors="coerce")
    slowest = jobs.loc[jobs.groupby("stage", sort=False)["s"].idxmax(), ["stage", "job"]].set_index("stage")["job"]
    return jobs.groupby("stage", sort=False).agg(
        jobs=("job", "size"), total_s=("s", "sum"), max_s=("s", "max"), peak_rss_mb=("max_rss", "max")
    ).round(0).assign(slowest_job=slowest)


def main(results="results"):
    print(stage_table(results).to_markdown())


if __name__ == "__main__":
    main(*sys.argv[1:])
