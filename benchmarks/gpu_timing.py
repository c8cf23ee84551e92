"""Teacher, student and inference rates of an mBERT-shaped encoder, and the paper protocol's wall
time predicted from them.

The encoder is `xner encoder-tiny`'s random BERT (xner.encoders.build_tiny_encoder) at mBERT's
sizes: 12 layers, hidden 768, 12 heads, feed-forward 3072, its embedding matrix grown to a
119,547-piece vocabulary; random weights, as timing needs the shapes, not trained weights. Each
measurement runs the project's own code on sentences of one-letter words whose windows are all L
sub-words long: xner.train.fit
with the teacher's cross-entropy or the student's MSE for a training step (the steps of a short
warm-up run are not counted), xner.predict.predict_probs for inference, at `precision: auto`.

Printed: sub-words/s and TFLOP/s per step kind at the paper's settings (batch 32, L 128, bottom 3
blocks and the embeddings frozen), as a share of the accelerator's matrix-multiply peak measured
in the same run (bf16 on CUDA, fp32 on CPU; benchmarks/throughput.py's matmul_peak). FLOPs per
sub-word are throughput.py's: 2 x non-embedding parameters forward, plus 4 x trainable ones for
the backward pass; attention's L-squared term is left out (about 3% of a 128-long window).

Prediction: step times measured at L in {16, 32, 64, 128} give, by linear interpolation, the time
of every batch the protocol runs. Training and prediction both batch windows of similar length,
so the batches are read off the per-split window-length histograms of --counts
(benchmarks/gpu_subword_counts.py): the windows in length order, cut into batches, each batch
costing a step of its longest window. To that each job adds a start (a fresh Python process
importing xner, loading the model onto the device: measured once) and, for training, saving the
model. The protocol is config.yaml's: a teacher per language and seed (its epochs, plus a source
dev prediction after each epoch), soft labels of every other language's teacher on each
multi-source target's train text, sentence embeddings of each language's train text, Table 3's
students (avg and sim, each target and seed) and their dev and test predictions, one job at a
time on one device. Left out: corpus preparation, the similarity model and α, combining soft
labels and scoring, which need no network (seconds on the CPU).

Usage: python benchmarks/gpu_timing.py --work DIR [--device cuda] [--counts FILE] [--out FILE.json]
       (smaller models for a CPU rehearsal: --layers 2 --hidden 64 --heads 4 --freeze-layers 1 --steps 2)
"""

import argparse
import json
import string
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import matmul_peak  # noqa: E402

from xner.device import resolve_device, resolve_precision  # noqa: E402
from xner.encoders import build_tiny_encoder  # noqa: E402
from xner.io import write_json  # noqa: E402
from xner.labels import DEFAULT_LABELS  # noqa: E402
from xner.model import freeze, new_model  # noqa: E402
from xner.predict import predict_probs  # noqa: E402
from xner.student import distillation_loss  # noqa: E402
from xner.teacher import cross_entropy_loss  # noqa: E402
from xner.train import TrainSettings, fit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MBERT_VOCAB = 119_547
LENGTHS = (16, 32, 64, 128)
TABLE3_METHODS = ("avg", "sim")  # workflow/rules/common.smk: alpha_methods("table3")
GOAL_SECONDS = 2 * 3600  # the whole protocol in at most 2 hours on one GPU

JOB_START = """
import sys, time
import torch
import transformers
from xner.device import resolve_device
from xner.model import load_model
transformers.logging.disable_progress_bar()
device = resolve_device(sys.argv[2])
model, tokenizer, labels = load_model(sys.argv[1])
model.to(device)
torch.zeros(1, device=device).sum().item()
"""


def sentences(n, length):
    """n sentences of one-letter words (one sub-word each) whose windows are `length` sub-words long ([CLS] and [SEP] included)."""
    letters = string.ascii_letters
    return [[letters[(i + j) % len(letters)] for j in range(length - 2)] for i in range(n)]


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_seconds(model, tokenizer, loss_fn, length, batch_size, steps, freeze_layers, device) -> float:
    """Seconds per step of xner.train.fit on batches of windows `length` long (after a 2-step warm-up)."""
    rng = np.random.default_rng(0)

    def run(n_steps):
        words = sentences(batch_size * n_steps, length)
        if loss_fn is cross_entropy_loss:
            targets = [rng.integers(0, len(DEFAULT_LABELS), len(s)).tolist() for s in words]
        else:
            targets = [rng.dirichlet(np.ones(len(DEFAULT_LABELS)), len(s)).astype(np.float32) for s in words]
        settings = TrainSettings(epochs=1, batch_size=batch_size, max_length=128, freeze_layers=freeze_layers, log_every=10**9)
        _, stopping = fit(model, tokenizer, words, targets, loss_fn, settings, device, "auto")
        assert stopping["steps"] == n_steps and stopping["subwords"] == n_steps * batch_size * length, stopping
        return stopping["seconds"]

    run(2)
    started = time.perf_counter()
    run(steps)  # fit's own "seconds" is rounded to 0.1 s: too coarse for a few steps
    return (time.perf_counter() - started) / steps


def inference_seconds(model, tokenizer, length, batch_size, batches, device) -> float:
    """Seconds per batch of xner.predict.predict_probs on windows `length` long (after a warm-up)."""
    predict_probs(model, tokenizer, sentences(batch_size, length), 128, batch_size, device, "auto")
    words = sentences(batch_size * batches, length)
    synchronize(device)
    started = time.perf_counter()
    predict_probs(model, tokenizer, words, 128, batch_size, device, "auto")
    return (time.perf_counter() - started) / batches


def parameter_counts(model) -> tuple[int, int]:
    """(non-embedding parameters, trainable non-embedding parameters), as throughput.py counts them."""
    embedding = {id(p) for p in model.base_model.embeddings.parameters()}
    params = [p for p in model.parameters() if id(p) not in embedding]
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def batch_lengths(histogram: dict, batch_size: int) -> np.ndarray:
    """Longest window of each batch when the windows are batched in length order."""
    lengths = np.repeat([int(n) for n in histogram], list(histogram.values()))
    return np.array([lengths[min(i + batch_size, len(lengths)) - 1] for i in range(0, len(lengths), batch_size)])


def split_seconds(split: dict, batch_size: int, step_seconds: dict) -> float:
    measured = sorted(step_seconds)
    return float(np.interp(batch_lengths(split["window_lengths"], batch_size), measured, [step_seconds[n] for n in measured]).sum())


def predict_protocol(counts, config, train_step, inference_step, job_start, save_seconds) -> dict:
    """{stage: {jobs, subwords, seconds}} of the paper protocol, one job at a time."""
    corpora, seeds = counts["corpora"], len(config["seeds"])
    langs = [lang for lang in config["languages"] if lang in corpora]
    targets = [t for t in config["multi_source"]["targets"] if t in corpora]
    teacher, student, eval_batch = config["teacher"], config["student"], config["eval_batch_size"]
    stages = {}

    def add(stage, jobs, subwords, seconds):
        entry = stages.setdefault(stage, {"jobs": 0, "subwords": 0, "seconds": 0.0})
        entry["jobs"] += jobs
        entry["subwords"] += jobs * subwords
        entry["seconds"] += jobs * seconds

    def infer(split):
        return split["subwords"], split_seconds(split, eval_batch, inference_step)

    for lang in langs:
        train, dev = corpora[lang]["train"], corpora[lang]["dev"]
        epoch = split_seconds(train, teacher["batch_size"], train_step)
        dev_words, dev_seconds = infer(dev)
        epochs = teacher["epochs"]
        add("teachers", seeds, epochs * (train["subwords"] + dev_words), job_start + save_seconds + epochs * (epoch + dev_seconds))
        train_words, train_seconds = infer(train)
        add("embeddings", 1, train_words, job_start + train_seconds)
    for tgt in targets:
        train = corpora[tgt]["train"]
        words, seconds = infer(train)
        add("soft labels", seeds * (len(langs) - 1), words, job_start + seconds)
        epoch = split_seconds(train, student["batch_size"], train_step)
        add("students (Table 3)", seeds * len(TABLE3_METHODS), student["epochs"] * train["subwords"], job_start + save_seconds + student["epochs"] * epoch)
        (dev_words, dev_seconds), (test_words, test_seconds) = infer(corpora[tgt]["dev"]), infer(corpora[tgt]["test"])
        add("predictions", seeds * len(TABLE3_METHODS), dev_words + test_words, job_start + dev_seconds + test_seconds)
    return stages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="scratch folder for the encoder and the saved model")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="(default: %(default)s)")
    parser.add_argument("--counts", default=str(REPO / "benchmarks/gpu_subword_counts.json"), help="sub-word counts (default: %(default)s)")
    parser.add_argument("--config", default=str(REPO / "config.yaml"), help="the protocol's config (default: %(default)s)")
    parser.add_argument("--out", default=None, help="also write the figures as JSON here")
    parser.add_argument("--layers", type=int, default=12, help="(default: %(default)s, mBERT's)")
    parser.add_argument("--hidden", type=int, default=768, help="(default: %(default)s, mBERT's)")
    parser.add_argument("--heads", type=int, default=12, help="(default: %(default)s, mBERT's)")
    parser.add_argument("--freeze-layers", type=int, default=3, help="bottom blocks frozen (default: %(default)s, the paper's)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps (inference: batches) per measurement (default: %(default)s)")
    args = parser.parse_args(argv)
    import logging

    import transformers

    logging.getLogger("xner").setLevel(logging.WARNING)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    device = resolve_device(args.device)
    config = yaml.safe_load(Path(args.config).read_text())
    counts = json.loads(Path(args.counts).read_text())
    batch, eval_batch = config["teacher"]["batch_size"], config["eval_batch_size"]
    work = Path(args.work)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(0)
        peak = matmul_peak(None, "cuda", torch.bfloat16, size=8192, repeats=5).wall / 1000
        peak_kind = "bf16 8192^3 matmul"
    else:
        name = "CPU"
        peak = matmul_peak(None, "cpu", torch.float32, size=1024, repeats=3).wall / 1000
        peak_kind = "fp32 1024^3 matmul"
    print(f"device: {name} | torch {torch.__version__} | precision auto -> {resolve_precision('auto', device)} | peak ({peak_kind}): {peak:.3g} TFLOP/s")

    started = time.perf_counter()
    encoder = work / "encoder"
    build_tiny_encoder(encoder, hidden=args.hidden, layers=args.layers, heads=args.heads)
    model = new_model(str(encoder), DEFAULT_LABELS)
    # The embedding matrix grows to mBERT's vocabulary: frozen, it costs no FLOPs, but its size is
    # in every model a job loads and saves. The tokenizer keeps its few pieces (letters among them).
    model.resize_token_embeddings(MBERT_VOCAB, mean_resizing=False)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(encoder)
    print(f"encoder: {args.layers} layers, hidden {args.hidden}, {args.heads} heads, vocabulary {MBERT_VOCAB:,} (built in {time.perf_counter() - started:.0f} s)")
    freeze(model, True, args.freeze_layers)
    forward, trainable = parameter_counts(model)

    lengths = [n for n in LENGTHS if n <= 128]
    steps = {"teacher": {}, "student": {}, "inference": {}}
    for n in lengths:
        steps["teacher"][n] = train_seconds(model, tokenizer, cross_entropy_loss, n, batch, args.steps, args.freeze_layers, device)
        steps["student"][n] = train_seconds(model, tokenizer, distillation_loss, n, batch, args.steps, args.freeze_layers, device)
        steps["inference"][n] = inference_seconds(model, tokenizer, n, eval_batch, args.steps, device)
    saved = work / "model"
    started = time.perf_counter()
    model.save_pretrained(saved)  # what save_model writes, less the small summary files
    tokenizer.save_pretrained(saved)
    save_seconds = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", JOB_START, str(saved), device.type], check=True)
    job_start = time.perf_counter() - started

    rates = {}
    print(f"\nstep kind   batch  length  s/step   sub-words/s  TFLOP/s  % of peak   (non-embedding parameters {forward:,}, trainable {trainable:,})")
    for kind, size, flop in (("teacher", batch, 2 * forward + 4 * trainable), ("student", batch, 2 * forward + 4 * trainable), ("inference", eval_batch, 2 * forward)):
        seconds = steps[kind][128]
        rate = size * 128 / seconds
        rates[kind] = {"batch": size, "length": 128, "seconds_per_step": seconds, "subwords_per_s": rate, "tflops": rate * flop / 1e12, "percent_of_peak": 100 * rate * flop / 1e12 / peak}
        print(f"{kind:<10} {size:>6} {128:>7} {seconds:>7.4f} {rate:>13,.0f} {rates[kind]['tflops']:>8.3g} {rates[kind]['percent_of_peak']:>9.1f}%")
    print("seconds per step by window length: " + "; ".join(f"{k} " + ", ".join(f"{n}: {s:.4f}" for n, s in v.items()) for k, v in steps.items()))
    print(f"job start (python, xner, model onto the device): {job_start:.1f} s; saving a model: {save_seconds:.1f} s")

    train_step = {n: max(steps["teacher"][n], steps["student"][n]) for n in lengths}
    stages = predict_protocol(counts, config, train_step, steps["inference"], job_start, save_seconds)
    total = sum(s["seconds"] for s in stages.values())
    print(f"\npredicted paper protocol on this device (config.yaml, counts of {Path(args.counts).name}, tokenizer {counts['tokenizer']}):")
    print(f"{'stage':<20} {'jobs':>4} {'sub-words':>12} {'minutes':>8}")
    for stage, s in stages.items():
        print(f"{stage:<20} {s['jobs']:>4} {s['subwords']:>12,} {s['seconds'] / 60:>8.1f}")
    verdict = "within" if total <= GOAL_SECONDS else "over"
    print(f"{'total':<20} {sum(s['jobs'] for s in stages.values()):>4} {sum(s['subwords'] for s in stages.values()):>12,} {total / 60:>8.1f}"
          f"   goal <= {GOAL_SECONDS / 60:.0f} min: {verdict} ({total / GOAL_SECONDS:.2f} x the goal)")
    if args.out:
        write_json(args.out, {
            "device": name, "torch": torch.__version__, "precision": resolve_precision("auto", device),
            "encoder": {"layers": args.layers, "hidden": args.hidden, "heads": args.heads, "vocab_size": MBERT_VOCAB, "freeze_layers": args.freeze_layers},
            "peak_tflops": peak, "peak_kind": peak_kind, "rates": rates,
            "step_seconds": {k: {str(n): s for n, s in v.items()} for k, v in steps.items()},
            "job_start_seconds": job_start, "save_seconds": save_seconds,
            "protocol": {"counts": Path(args.counts).name, "tokenizer": counts["tokenizer"], "stages": stages,
                         "total_seconds": total, "goal_seconds": GOAL_SECONDS, "within_goal": total <= GOAL_SECONDS},
        })


if __name__ == "__main__":
    main()
