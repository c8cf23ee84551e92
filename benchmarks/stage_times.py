"""Print the wall time and peak memory of each workflow stage from Snakemake's benchmark files.

Usage: python benchmarks/stage_times.py [RESULTS_DIR]   (default: results)
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path


def main(results="results"):
    stages = defaultdict(list)
    for tsv in sorted(Path(results, "benchmarks").rglob("*.tsv")):
        job = tsv.relative_to(Path(results, "benchmarks")).with_suffix("")
        row = next(csv.DictReader(open(tsv), delimiter="\t"))
        stages[job.parts[0]].append((str(job), float(row["s"]), float(row["max_rss"])))
    print(f"{'stage':<18} {'jobs':>4} {'total s':>9} {'max s':>8} {'peak RSS MB':>11}  slowest job")
    for stage, jobs in stages.items():
        slowest = max(jobs, key=lambda j: j[1])
        print(f"{stage:<18} {len(jobs):>4} {sum(j[1] for j in jobs):>9.0f} {slowest[1]:>8.0f} {max(j[2] for j in jobs):>11.0f}  {slowest[0]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
