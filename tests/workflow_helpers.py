"""Run Snakemake on this workflow from a test, in a scratch working directory."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# What the shared tiny run (the `finished` fixture in conftest.py) builds.
TARGETS = ["results/tables/table2.csv", "results/tables/table3.csv"]


def snakemake_command(workdir, *args, snakefile=REPO / "Snakefile"):
    return [*SNAKEMAKE, "-s", str(snakefile), "--directory", str(workdir), *args]


def snakemake(workdir, *args, check=True, snakefile=REPO / "Snakefile"):
    result = subprocess.run(snakemake_command(workdir, *args, snakefile=snakefile), capture_output=True, text=True, cwd=workdir)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(workdir, *args, snakefile=REPO / "Snakefile") -> Counter:
    """The 'Job stats' of a dry run: {rule: count}."""
    out = snakemake(workdir, "-n", "--cores", "4", *args, snakefile=snakefile)
    text = out.stdout + out.stderr
    if "Nothing to be done" in text:
        return Counter()
    stats = text.split("Job stats:")[1].split("\n\n")[0]
    jobs = Counter()
    for line in stats.splitlines()[3:]:
        m = re.match(r"(\S+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            jobs[m.group(1)] = int(m.group(2))
    return jobs


def write_config(path, conll_dir, **overrides):
    """A --configfile pointing the data at `conll_dir`, plus top-level overrides."""
    import yaml

    data = {
        "data": {
            "conll_dir": str(conll_dir),
            "languages": {lang: {"encoding": "utf-8", "scheme": "auto"} for lang in ("en", "de", "es", "nl")},
            "max_sentences": {"train": None, "dev": None, "test": None},
            "subsample_seed": 0,
        }
    }
    data.update(overrides)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path
