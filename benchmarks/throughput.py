"""How close a finished run's network jobs came to this machine's matrix-multiply peak.

Measures the peak first, in the same process: the best of several timed 2048x2048 matrix
products (fp32 on CPU, bf16 on CUDA) at each thread count used, and with all threads of the
machine. Then, for every network job of the run under --results (teachers, students, soft labels,
predictions, sentence embeddings), it reads the job's time from Snakemake's benchmark file
(results/benchmarks/<rule>/...tsv), counts the sub-words the job pushed through the network with
the model's own tokenizer (real sub-words including [CLS]/[SEP], never padding), and prints
sub-words/s, GFLOP/s and % of peak per job and per stage.

FLOPs (a multiply-add is 2): per sub-word, a forward pass costs 2 x the non-embedding parameters
(the Transformer blocks, pooler and classifier; attention's sequence-length term is left out, as
is the embedding lookup, which multiplies nothing) and a training step adds a backward pass of
2 x 2 x the trainable non-embedding parameters (gradients of inputs and of weights; the frozen
bottom blocks need neither, as nothing below them trains). A training job's work is
epochs x its training sub-words x (forward + backward) plus the forward passes of the
evaluations it runs while training (a teacher's source dev after each epoch, a student's
agreement set at each measurement); the eval column says how much of the work they are.
"per CPU-s" divides by the job's CPU seconds (the benchmark file's cpu_time) instead of its wall
time, which is the fairer figure on a machine that other work is also using.

% of peak: a job against the peak at its own thread count (teachers and students record theirs
in training_summary.json; --job-threads for the others). A stage's aggregate is its total work
over the wall time during which at least one of its jobs ran (start = end - s, end = the
benchmark file's modification time), against the peak with all threads: the figure for jobs
that run side by side. Copying a results folder without keeping modification times spoils it.

Usage: python benchmarks/throughput.py [--results DIR] [--device cpu|cuda] [--job-threads N]
"""

import argparse
import csv
import json
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass
class Peak:
    wall: float  # GFLOP/s
    cpu: float  # GFLOP per CPU-second of this process: what a loaded machine distorts least


def matmul_peak(threads: int | None, device: str = "cpu", dtype=torch.float32, size: int = 2048, repeats: int = 7) -> Peak:
    """The best of `repeats` timed runs of a size x size matrix product, by wall and by CPU time."""
    if device == "cpu" and threads:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    inner = 50 if device == "cuda" else 4  # enough products per timing to dwarf the timer
    best_wall = best_cpu = float("inf")
    for _ in range(repeats + 1):  # the first run warms up and is not counted
        sync()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(inner):
            a @ b
        sync()
        best_wall = min(best_wall, (time.perf_counter() - wall) / inner)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / inner)
    if device == "cpu" and threads:
        torch.set_num_threads(previous)
    flop = 2 * size**3 / 1e9
    return Peak(flop / best_wall, flop / max(best_cpu, 1e-9))


@dataclass
class Job:
    stage: str
    name: str
    seconds: float
    cpu_seconds: float
    end: float
    threads: int
    subwords: int  # sub-words through the network, training and evaluation together
    gflop: float
    eval_share: float  # share of `gflop` spent on evaluation forward passes


class ParameterCounts:
    """Non-embedding and trainable parameters per model folder, from its config alone."""

    def __init__(self):
        self.cache = {}

    def __call__(self, folder, freeze_layers: int = 0, with_head: bool = True) -> tuple[int, int]:
        from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

        config = AutoConfig.from_pretrained(folder)
        key = (config.to_json_string(), freeze_layers, with_head)
        if key not in self.cache:
            with torch.device("meta"):  # shapes only: nothing is allocated or loaded
                model = (AutoModelForTokenClassification if with_head else AutoModel).from_config(config)
            base = model.base_model
            embedding = {id(p) for p in base.embeddings.parameters()}
            frozen = embedding | {id(p) for layer in base.encoder.layer[:freeze_layers] for p in layer.parameters()}
            params = list(model.parameters())
            self.cache[key] = (
                sum(p.numel() for p in params if id(p) not in embedding),
                sum(p.numel() for p in params if id(p) not in frozen),
            )
        return self.cache[key]


class SubwordCounts:
    """Sub-words (with special tokens, without padding) of word lists under a tokenizer."""

    def __init__(self):
        self.tokenizers = {}

    def __call__(self, tokenizer_folder, token_lists, max_length: int) -> tuple[int, int]:
        """(windows, sub-words): the windows are what training batches."""
        from transformers import AutoTokenizer

        from xner.features import encode

        folder = str(tokenizer_folder)
        if folder not in self.tokenizers:
            self.tokenizers[folder] = AutoTokenizer.from_pretrained(folder)
        windows = encode(self.tokenizers[folder], token_lists, max_length)
        return len(windows), sum(len(w.input_ids) for w in windows)


def benchmark_row(tsv: Path) -> tuple[float, float, float]:
    row = next(csv.DictReader(open(tsv), delimiter="\t"))
    cpu = row.get("cpu_time", "NA")
    return float(row["s"]), float(cpu) if cpu not in ("", "NA", "-") else float("nan"), tsv.stat().st_mtime


def steps_done(summary) -> int:
    if "stopping" in summary:
        return summary["stopping"]["steps"]
    return max(r["step"] for r in summary["history"] if "loss" in r)


def training_job(stage, name, tsv, folder, results, counts, subwords, job_threads):
    from xner.corpus import read_corpus_tokens
    from xner.softlabels import WordProbs

    summary = json.loads((folder / "training_summary.json").read_text())
    workdir = results.parent  # the run's working directory: paths in the summary are relative to it
    settings = summary["settings"]
    max_length = settings["max_length"]
    if summary["role"] == "teacher":
        tokens = read_corpus_tokens(workdir / summary["train_corpus"]["path"]).token_lists
        eval_tokens = read_corpus_tokens(workdir / summary["dev_corpus"]["path"]).token_lists
        evaluations = sum(1 for r in summary["history"] if "source_dev_f1" in r)
    else:
        tokens = WordProbs(workdir / summary["softlabels"]["path"]).token_lists()
        held = set((summary.get("agreement_set") or {}).get("indices", []))
        eval_tokens = [t for i, t in enumerate(tokens) if i in held]
        tokens = [t for i, t in enumerate(tokens) if i not in held]
        evaluations = sum(1 for r in summary["history"] if "heldout_mse" in r)
    forward, trainable = counts(folder, settings["freeze_layers"])
    if "subwords" in summary.get("stopping", {}):  # counted by the training loop itself
        trained = summary["stopping"]["subwords"]
    else:  # older summaries: the epochs run times the sub-words of one epoch
        windows, per_epoch = subwords(folder, tokens, max_length)
        trained = per_epoch * steps_done(summary) / -(-windows // settings["batch_size"])
    evaluated = subwords(folder, eval_tokens, max_length)[1] * evaluations
    train_flop = trained * (2 * forward + 4 * trainable)
    eval_flop = evaluated * 2 * forward
    seconds, cpu, end = benchmark_row(tsv)
    threads = settings.get("threads") or job_threads
    total = train_flop + eval_flop
    return Job(stage, name, seconds, cpu, end, threads, round(trained + evaluated), total / 1e9, eval_flop / max(total, 1))


def inference_job(stage, name, tsv, outputs, results, counts, subwords, job_threads):
    """A `predict`/`softlabels` job (each HDF5 output names model, corpus and max_length; a
    prediction job writes a model's dev and test files) or an `embed` job."""
    import h5py

    from xner.corpus import read_corpus_tokens

    workdir = results.parent  # the run's working directory: paths in attrs are relative to it
    n, gflop = 0, 0.0
    for output in outputs:
        with h5py.File(output) as f:
            attrs = dict((f["embeddings"] if stage == "embed" else f).attrs)
        if stage == "embed":
            folder, with_head, max_length = workdir / attrs["encoder"], False, 128  # `xner embed`'s default
            tokens = read_corpus_tokens(results / "corpora" / attrs["lang"] / "train.json").token_lists
        else:
            folder, with_head, max_length = workdir / attrs["source_model"], True, int(attrs["max_length"])
            tokens = read_corpus_tokens(workdir / attrs["corpus"]).token_lists
        forward, _ = counts(folder, 0, with_head)
        _, words = subwords(folder, tokens, max_length)
        n, gflop = n + words, gflop + words * 2 * forward / 1e9
    seconds, cpu, end = benchmark_row(tsv)
    return Job(stage, name, seconds, cpu, end, job_threads, n, gflop, 0.0)


def find_jobs(results: Path, job_threads: int):
    counts, subwords = ParameterCounts(), SubwordCounts()
    bench = results / "benchmarks"
    layout = [
        ("train_teacher", r"train_teacher/(?P<src>[^/]+)/seed(?P<seed>\d+)", "teachers/{src}/seed{seed}"),
        ("train_student", r"train_student/(?P<system>[^/]+)/(?P<tgt>[^/]+)/seed(?P<seed>\d+)", "students/{system}/{tgt}/seed{seed}"),
        ("softlabels", r"softlabels/(?P<src>[^/]+)/(?P<tgt>[^/]+)/seed(?P<seed>\d+)", "softlabels/{src}/{tgt}/seed{seed}.h5"),
        ("predict", r"predict/(?P<rest>.+)", "predictions/{rest}.h5"),
        ("embed", r"embed/(?P<lang>[^/]+)", "embeddings/{lang}/train.h5"),
    ]
    jobs = []
    for tsv in sorted(bench.rglob("*.tsv")):
        relative = tsv.relative_to(bench).with_suffix("").as_posix()
        for stage, pattern, output in layout:
            match = re.fullmatch(pattern, relative)
            if not match:
                continue
            target = results / output.format(**match.groupdict())
            # A prediction job writes <job>/dev.h5 and <job>/test.h5 (earlier runs: one file per job).
            outputs = [target] if target.exists() else sorted(target.with_suffix("").glob("*.h5"))
            if not outputs:
                print(f"skipped {relative}: {target} is gone")
            elif stage.startswith("train_"):
                jobs.append(training_job(stage, relative, tsv, target, results, counts, subwords, job_threads))
            else:
                jobs.append(inference_job(stage, relative, tsv, outputs, results, counts, subwords, job_threads))
            break
    return jobs


def busy_seconds(jobs) -> float:
    """Length of the union of the jobs' [end - s, end] intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted((j.end - j.seconds, j.end) for j in jobs):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def report(jobs, peaks, machine_threads):
    """Per job and per stage; "% peak" by wall time, "% CPU" by CPU time against the matmul's
    GFLOP per CPU-second at the same thread count (the figure a loaded machine distorts least)."""
    print(f"\n{'job':<52} {'thr':>3} {'s':>7} {'CPU-s':>7} {'sub-words':>10} {'sw/s':>7} {'sw/CPU-s':>8} {'GFLOP/s':>7} {'% peak':>6} {'% CPU':>6} {'eval':>5}")
    for job in jobs:
        rate, per_cpu = job.gflop / job.seconds, job.gflop / job.cpu_seconds
        print(
            f"{job.name:<52} {job.threads:>3} {job.seconds:>7.1f} {job.cpu_seconds:>7.1f} {job.subwords:>10,} "
            f"{job.subwords / job.seconds:>7.0f} {job.subwords / job.cpu_seconds:>8.0f} {rate:>7.1f} "
            f"{100 * rate / peaks[job.threads].wall:>5.1f}% {100 * per_cpu / peaks[job.threads].cpu:>5.1f}% {100 * job.eval_share:>4.0f}%"
        )
    print(
        f"\nper stage (aggregate: total work over the wall time any of its jobs ran, against the {machine_threads}-thread "
        f"peak {peaks[machine_threads].wall:.1f} GFLOP/s; % CPU: work per CPU-second against the matmul's at the jobs' threads)"
    )
    print(f"{'stage':<14} {'jobs':>4} {'sum s':>7} {'busy s':>7} {'GFLOP':>8} {'GFLOP/s':>7} {'% peak':>6} {'GFLOP/CPU-s':>11} {'% CPU':>6}")
    stages = defaultdict(list)
    for job in jobs:
        stages[job.stage].append(job)
    for stage, group in stages.items():
        work, busy, cpu = sum(j.gflop for j in group), busy_seconds(group), sum(j.cpu_seconds for j in group)
        cpu_peak = sum(peaks[j.threads].cpu * j.cpu_seconds for j in group) / cpu  # CPU-time-weighted
        print(
            f"{stage:<14} {len(group):>4} {sum(j.seconds for j in group):>7.0f} {busy:>7.0f} {work:>8.0f} "
            f"{work / busy:>7.1f} {100 * work / busy / peaks[machine_threads].wall:>5.1f}% {work / cpu:>11.1f} {100 * work / cpu / cpu_peak:>5.1f}%"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="results", help="a run's results folder (default: %(default)s)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the run's jobs ran (default: %(default)s)")
    parser.add_argument(
        "--job-threads", type=int, default=os.cpu_count(),
        help="threads of the jobs that do not record theirs (inference; older training summaries) (default: %(default)s, all)",
    )
    args = parser.parse_args(argv)
    jobs = find_jobs(Path(args.results), args.job_threads)
    if not jobs:
        raise SystemExit(f"no network job with a benchmark file under {args.results}/benchmarks")
    machine_threads = os.cpu_count() if args.device == "cpu" else 1
    dtype = torch.float32 if args.device == "cpu" else torch.bfloat16
    if args.device == "cpu":
        peaks = {t: matmul_peak(t) for t in sorted({j.threads for j in jobs} | {machine_threads})}
    else:  # one GPU per job: its thread count does not matter
        gpu_peak = matmul_peak(None, "cuda", dtype)
        peaks = {t: gpu_peak for t in {j.threads for j in jobs} | {machine_threads}}
    for t, peak in sorted(peaks.items()):
        print(f"peak: {str(dtype).removeprefix('torch.')} 2048x2048 matmul on {args.device}, {t} thread(s): {peak.wall:.1f} GFLOP/s, {peak.cpu:.1f} GFLOP/CPU-s")
    report(jobs, peaks, machine_threads)


if __name__ == "__main__":
    main()
