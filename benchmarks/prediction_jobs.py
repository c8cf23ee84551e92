"""One `xner predict` process per split against one process for a model's dev and test together.

Each process pays a fixed start-up (importing torch and transformers, loading the weights) before
it predicts anything; on a CPU that costs about as much as predicting a dev set. This script runs
both layouts on the same model and corpora, interleaved over --rounds, one process at a time with
--threads torch threads, and prints wall and CPU seconds (user + system of the child processes)
per layout, the sub-words predicted per wall second, and GFLOP/s against the fp32 matmul peak at
the same thread count (FLOPs and peak as in benchmarks/throughput.py).

Usage: python benchmarks/prediction_jobs.py --model results/students/ts-avg/nl/seed1 \
           --corpus results/corpora/nl/dev.json --corpus results/corpora/nl/test.json [--rounds 2]
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from throughput import ParameterCounts, SubwordCounts, matmul_peak  # noqa: E402

from xner.corpus import read_corpus_tokens  # noqa: E402


def run(command: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a trained model folder")
    parser.add_argument("--corpus", action="append", required=True, help="a corpus JSON (repeat: dev, test)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved repetitions of both layouts (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default: %(default)s)")
    args = parser.parse_args(argv)
    base = ["xner", "predict", "--model", args.model, "--device", "cpu", "--threads", str(args.threads)]
    totals = {"one job per corpus": [0.0, 0.0], "one job for all corpora": [0.0, 0.0]}
    with tempfile.TemporaryDirectory() as tmp:
        outs = [str(Path(tmp, f"{i}.h5")) for i in range(len(args.corpus))]
        for _ in range(args.rounds):
            for corpus, out in zip(args.corpus, outs):
                wall, cpu = run([*base, "--corpus", corpus, "--out", out])
                totals["one job per corpus"][0] += wall
                totals["one job per corpus"][1] += cpu
            pairs = [a for corpus, out in zip(args.corpus, outs) for a in ("--corpus", corpus, "--out", out)]
            wall, cpu = run([*base, *pairs])
            totals["one job for all corpora"][0] += wall
            totals["one job for all corpora"][1] += cpu
    count = SubwordCounts()  # `xner predict`'s default max_length, 128
    n = sum(count(args.model, read_corpus_tokens(c).token_lists, 128)[1] for c in args.corpus)
    gflop = n * 2 * ParameterCounts()(args.model)[0] / 1e9
    peak = matmul_peak(args.threads).wall
    print(f"{args.model} on {', '.join(args.corpus)}: {n:,} sub-words ({gflop:.0f} GFLOP), {args.rounds} round(s), "
          f"{args.threads} thread(s); fp32 matmul peak {peak:.1f} GFLOP/s")
    print(f"{'layout':<26} {'wall s':>7} {'CPU s':>7} {'sub-words/s':>11} {'GFLOP/s':>8} {'% peak':>7}")
    for layout, (wall, cpu) in totals.items():
        wall, cpu = wall / args.rounds, cpu / args.rounds
        print(f"{layout:<26} {wall:>7.1f} {cpu:>7.1f} {n / wall:>11.0f} {gflop / wall:>8.1f} {100 * gflop / wall / peak:>6.1f}%")


if __name__ == "__main__":
    sys.exit(main())
