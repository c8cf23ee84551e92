"""Bad input never trains silently and never ends in a traceback.

Each case gives one bad file, config key or number and asserts: exit status 2 (1 for the workflow),
one line `xner <command>: error: ...` naming the file, line, option or key, no traceback, and no
output that looks finished.
"""

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import yaml

from workflow_helpers import REPO, snakemake, snakemake_command, write_config
from xner.checks import read_yaml
from xner.cli import main
from xner.corpus import read_corpus_tokens
from xner.errors import XnerError
from xner.labels import DEFAULT_LABELS
from xner.softlabels import write_word_probs


@pytest.fixture(autouse=True)
def no_stale_log_stream(capsys):
    """`xner` and transformers log to the stderr of the test that first set them up, which pytest
    has closed since: point their handlers at this test's captured stderr (hence capsys)."""
    loggers = [logging.getLogger()] + [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for handler in {h for lg in loggers for h in lg.handlers if type(h) is logging.StreamHandler}:
        handler.stream = sys.stderr  # not setStream: it would flush the closed one


def fails(capsys, argv, *named):
    """Run `xner argv` in-process: exit status 2, no traceback, and one error line, the last thing
    on stderr (after any progress output), that contains every `named`."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("xner ")]
    assert errors == lines[-1:], err
    assert lines[-1].startswith(f"xner {argv[0]}: error: "), lines[-1]
    for name in named:
        assert str(name) in lines[-1], (name, lines[-1])
    return lines[-1]


def nothing_finished(out):
    """No output and no temporary file left beside it."""
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.tmp-*"))


# --- CoNLL files and `xner prepare` ----------------------------------------------------------------


def prepare(tmp_path, text: bytes, encoding="utf-8", split="train"):
    folder = tmp_path / "xx"
    folder.mkdir(exist_ok=True)
    (folder / f"{split}.txt").write_bytes(text)
    source = json.dumps({"format": "conll", "path": str(folder), "encoding": encoding, "scheme": "auto"})
    return ["prepare", "--lang", "xx", "--split", "train", "--source", source, "--labels", ",".join(DEFAULT_LABELS), "--out", tmp_path / "c.json"]


@pytest.mark.parametrize(
    "text, encoding, named",
    [
        (b"Hof O\nsagte B-PERSON\n", "utf-8", ["train.txt:2", "unknown tag 'B-PERSON'"]),
        (b"Hof O\nsagte\n", "utf-8", ["train.txt:2", "one column"]),
        (b"\n\n", "utf-8", ["train.txt:3", "empty file"]),
        ("Hof O\n\nMüller B-PER\n".encode(), "latin-1", ["train.txt:3", "likely utf-8"]),
        ("Hof O\n\nMüller B-PER\n".encode("latin-1"), "utf-8", ["train.txt:3", "likely latin-1"]),
    ],
    ids=["unknown-tag", "one-column", "empty", "utf8-declared-latin1", "latin1-declared-utf8"],
)
def test_bad_conll_file(tmp_path, capsys, text, encoding, named):
    fails(capsys, prepare(tmp_path, text, encoding), *named)
    nothing_finished(tmp_path / "c.json")


def test_real_german_conll_passes_the_encoding_check():
    """The check must not refuse real data: the shipped German files are UTF-8."""
    from xner.conll import read_conll

    german = REPO.parent / "shared/data/conll/de/train.txt"
    if not german.exists():
        pytest.skip("real CoNLL data not present")
    assert len(read_conll(german, encoding="utf-8")) > 10000
    with pytest.raises(XnerError, match="likely utf-8"):
        read_conll(german, encoding="latin-1")


def test_missing_data_folder(tmp_path, capsys):
    source = json.dumps({"format": "conll", "path": str(tmp_path / "nowhere"), "encoding": "utf-8"})
    fails(capsys, ["prepare", "--lang", "de", "--split", "dev", "--source", source, "--labels", "O", "--out", tmp_path / "c.json"], "data.de.path", "nowhere")


def test_missing_split_file(tmp_path, capsys):
    argv = prepare(tmp_path, b"Hof O\n")
    argv[argv.index("--split") + 1] = "dev"
    fails(capsys, argv, "data.xx.path", "dev.txt")


def test_source_that_is_not_json(tmp_path, capsys):
    argv = prepare(tmp_path, b"Hof O\n")
    argv[argv.index("--source") + 1] = "{format: conll"
    fails(capsys, argv, "--source", "not JSON")


# --- corpus JSON ---------------------------------------------------------------------------------


def corpus_copy(tmp_path, toy_corpora, edit):
    path = tmp_path / "corpus.json"
    path.write_bytes(edit(toy_corpora["es", "train"].read_bytes()))
    return path


@pytest.mark.parametrize(
    "edit, named",
    [
        (lambda b: b[: len(b) // 2], [":", "not a corpus JSON file"]),  # truncated: names the line
        (lambda b: b.replace(b'"Madrid"', b'"Toledo"', 1), ["tokens_sha256 mismatch"]),
        (lambda b: b.replace(b"xner-corpus/1", b"xner-corpus/9"), ["format is 'xner-corpus/9'"]),
        (lambda b: b"\xff\xfe" + b, ["is not UTF-8"]),
    ],
    ids=["truncated", "edited-token", "other-format", "not-utf8"],
)
def test_bad_corpus_file(tmp_path, capsys, toy_corpora, edit, named):
    path = corpus_copy(tmp_path, toy_corpora, edit)
    fails(capsys, ["encoder-tiny", "--corpus", path, "--out", tmp_path / "enc"], path, *named)
    nothing_finished(tmp_path / "enc")


def test_missing_corpus_file(tmp_path, capsys):
    fails(capsys, ["encoder-tiny", "--corpus", tmp_path / "none.json", "--out", tmp_path / "enc"], "none.json", "does not exist")


def test_predict_needs_one_out_per_corpus(tmp_path, capsys, toy_corpora):
    dev, test = toy_corpora["es", "dev"], toy_corpora["es", "test"]
    fails(capsys, ["predict", "--model", tmp_path, "--corpus", dev, "--corpus", test, "--out", tmp_path / "dev.h5"],
          "--out", "2 --corpus but 1 --out")
    assert not (tmp_path / "dev.h5").exists()


# --- soft-label files (HDF5) and their contract ------------------------------------------------------


@pytest.fixture(scope="module")
def es_tokens(toy_corpora):
    return read_corpus_tokens(toy_corpora["es", "train"])


def soft_file(path, corpus, rows=None, attrs=None):
    """A soft-label file for `corpus`; `rows(probs)` may spoil the probabilities."""
    rng = np.random.default_rng(0)
    probs = [rng.dirichlet(np.ones(len(DEFAULT_LABELS)), len(t)).astype(np.float32) for t in corpus.token_lists]
    if rows is not None:
        rows(probs)
    recorded = {"lang": corpus.lang, "split": corpus.split, "tokens_sha256": corpus.tokens_sha256}
    write_word_probs(path, corpus.token_lists, [probs], DEFAULT_LABELS, recorded | (attrs or {}))
    return path


def with_nan(probs):
    probs[3][1] = np.nan


def unnormalised(probs):
    probs[0][0] *= 2


def test_soft_labels_with_nan_rows_never_train(tmp_path, capsys, toy_corpora, tiny_encoder, es_tokens):
    soft = soft_file(tmp_path / "s.h5", es_tokens, with_nan)
    out = tmp_path / "student"
    fails(capsys, ["train-student", "--encoder", tiny_encoder, "--softlabels", soft, "--out", out], soft, "NaN")
    nothing_finished(out)


def test_soft_labels_of_another_split_never_train(tmp_path, capsys, toy_corpora, tiny_encoder):
    soft = soft_file(tmp_path / "s.h5", read_corpus_tokens(toy_corpora["es", "dev"]))
    out = tmp_path / "student"
    argv = ["train-student", "--encoder", tiny_encoder, "--softlabels", soft, "--expect-corpus", toy_corpora["es", "train"], "--out", out]
    fails(capsys, argv, soft, "split is 'dev'", "'train'")
    nothing_finished(out)


def test_soft_labels_of_another_language_are_not_combined(tmp_path, capsys, toy_corpora, es_tokens):
    nl = soft_file(tmp_path / "nl.h5", read_corpus_tokens(toy_corpora["nl", "train"]))
    es = soft_file(tmp_path / "es.h5", es_tokens)
    alpha = tmp_path / "alpha.json"
    alpha.write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    out = tmp_path / "mix.h5"
    argv = ["combine", "--alpha", alpha, "--input", f"en={es}", "--input", f"de={nl}", "--expect-corpus", toy_corpora["es", "train"], "--out", out]
    fails(capsys, argv, nl, "lang is 'nl'")
    nothing_finished(out)


@pytest.mark.parametrize(
    "spoil, named",
    [
        (dict(rows=unnormalised), "do not sum to 1"),
        (dict(rows=with_nan), "NaN"),
        (dict(attrs={"label_names": DEFAULT_LABELS[:8]}), "for 8 labels"),
        (dict(attrs={"tokens_sha256": "0" * 64}), "do not match the recorded tokens_sha256"),
    ],
    ids=["rows-not-summing-to-1", "nan", "width-not-label-set", "words-not-hash"],
)
def test_soft_label_contract_in_combine(tmp_path, capsys, es_tokens, spoil, named):
    good, bad = soft_file(tmp_path / "a.h5", es_tokens), soft_file(tmp_path / "b.h5", es_tokens, **spoil)
    alpha = tmp_path / "alpha.json"
    alpha.write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    out = tmp_path / "mix.h5"
    fails(capsys, ["combine", "--alpha", alpha, "--input", f"en={good}", "--input", f"de={bad}", "--out", out], bad, named)
    nothing_finished(out)


@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "not a readable HDF5"),
        (lambda p: p.write_text("word O\n"), "not a readable HDF5"),
        (lambda p: h5py.File(p, "w").close(), "not an xner word-probability file"),
    ],
    ids=["truncated", "not-hdf5", "foreign-hdf5"],
)
def test_unreadable_soft_label_file_in_inspect(tmp_path, capsys, es_tokens, damage, named):
    path = soft_file(tmp_path / "s.h5", es_tokens)
    damage(path)
    fails(capsys, ["inspect", path], path, named)


def test_different_label_sets_are_not_combined(tmp_path, capsys, es_tokens):
    a = soft_file(tmp_path / "a.h5", es_tokens)
    b = tmp_path / "b.h5"
    write_word_probs(b, es_tokens.token_lists, [[np.full((len(t), 9), 1 / 9, np.float32) for t in es_tokens.token_lists]], DEFAULT_LABELS[::-1],
                     {"lang": "es", "split": "train", "tokens_sha256": es_tokens.tokens_sha256})
    alpha = tmp_path / "alpha.json"
    alpha.write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    fails(capsys, ["combine", "--alpha", alpha, "--input", f"en={a}", "--input", f"de={b}", "--out", tmp_path / "mix.h5"], b, "label set")


@pytest.mark.parametrize(
    "alpha_text, named",
    [
        ("{'alpha': 1", [":1", "not a alpha JSON file"]),
        (json.dumps({"weights": {}}), ["has no 'alpha' object"]),
        (json.dumps({"alpha": {"en": 0.5, "nl": 0.5}}), ["differ from the --input languages"]),
        (json.dumps({"alpha": {"en": 0.7, "de": 0.7}}), ["alpha", "sum to 1"]),
    ],
    ids=["not-json", "no-alpha", "other-languages", "not-summing-to-1"],
)
def test_bad_alpha_file(tmp_path, capsys, es_tokens, alpha_text, named):
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    alpha = tmp_path / "alpha.json"
    alpha.write_text(alpha_text)
    out = tmp_path / "mix.h5"
    fails(capsys, ["combine", "--alpha", alpha, "--input", f"en={soft}", "--input", f"de={soft}", "--out", out], *named)
    nothing_finished(out)


def test_predictions_of_another_split_are_not_scored(tmp_path, capsys, toy_corpora):
    pred = soft_file(tmp_path / "dev.h5", read_corpus_tokens(toy_corpora["es", "dev"]))
    out = tmp_path / "m.json"
    argv = ["score", "--system", "s", "--target", "es", "--seed", "1", "--split", f"test={pred},{toy_corpora['es', 'test']}", "--out", out]
    fails(capsys, argv, pred, "split is 'dev'")
    nothing_finished(out)


def test_embeddings_that_are_not_hdf5(tmp_path, capsys):
    bad = tmp_path / "e.h5"
    bad.write_text("not hdf5")
    argv = ["alpha", "--method", "cosine", "--target", "es", "--source", f"en={bad}", "--source", f"nl={bad}", "--target-embeddings", bad, "--out", tmp_path / "a.json"]
    fails(capsys, argv, bad, "not a readable embeddings file")


def test_sentence_out_of_range(tmp_path, capsys, es_tokens):
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    fails(capsys, ["inspect", soft, "--sentence", "1000"], "--sentence", "out of range")


# --- numbers, options and encoders on the command line ------------------------------------------------


@pytest.mark.parametrize(
    "option, value",
    [("--epochs", "-1"), ("--epochs", "0"), ("--batch-size", "0"), ("--lr", "nan"), ("--warmup-ratio", "1.5"), ("--dropout", "-0.1"), ("--max-length", "0"), ("--threads", "0"), ("--batch-size", "eight")],
)
def test_bad_training_number(tmp_path, capsys, option, value):
    out = tmp_path / "student"
    argv = ["train-student", "--encoder", "x", "--softlabels", "s.h5", "--out", out, option, value]
    fails(capsys, argv, f"argument {option}", value)
    nothing_finished(out)


@pytest.mark.parametrize("option, value", [("--batch-size", "0"), ("--batch-size", "-4"), ("--max-length", "0"), ("--max-length", "2")])
@pytest.mark.parametrize("command", ["predict", "tag", "embed"])
def test_bad_inference_number(tmp_path, capsys, toy_corpora, command, option, value):
    """Inference commands refuse a batch size below 1 and a window without room for a sub-word
    beside the two special tokens, before any model is opened; an earlier output stays as it was."""
    out = tmp_path / "earlier.h5"
    out.write_bytes(b"an earlier output")
    corpus = toy_corpora["es", "train"]
    argv = {
        "predict": ["predict", "--model", tmp_path, "--corpus", corpus, "--out", out],
        "tag": ["tag", "--model", tmp_path, "--input", corpus, "--output", out],
        "embed": ["embed", "--encoder", tmp_path, "--corpus", corpus, "--out", out],
    }[command]
    fails(capsys, argv + [option, value], f"argument {option}", value)
    assert out.read_bytes() == b"an earlier output"


def number_options():
    """(command, option) of every option of every sub-command that takes a number."""
    from xner.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    return [
        (name, action, action.option_strings[0])
        for name, command in commands.items()
        for action in command._actions
        if action.type is not None or isinstance(action.default, (int, float)) and not isinstance(action.default, bool)
    ]


def test_every_number_option_is_validated():
    """No sub-command takes a plain int or float: each goes through one of the checked types."""
    from xner.checks import NUMBER_TYPES

    options = number_options()
    assert len(options) > 50  # the parser was read, not an empty list
    unchecked = [(name, option) for name, action, option in options if action.type not in NUMBER_TYPES]
    assert unchecked == []


@pytest.mark.parametrize(
    "argv, option, value",
    [
        (["prepare", "--lang", "xx", "--split", "train", "--source", "{}", "--labels", "O"], "--seed", "-1"),
        (["encoder-tiny"], "--seed", "-3"),
        (["encoder-tiny"], "--hidden", "33"),
        (["encoder-tiny"], "--layers", "0"),
        (["alpha", "--method", "sim", "--target", "es", "--source", "en=e.h5"], "--rank", "0"),
        (["inspect", "x.h5"], "--sentence", "-1"),
        (["train-student", "--encoder", "x", "--softlabels", "s.h5"], "--agreement-sentences", "-2"),
    ],
    ids=["prepare-seed", "tiny-seed", "tiny-hidden-odd", "tiny-layers", "alpha-rank", "inspect-sentence", "agreement-sentences"],
)
def test_bad_number_on_other_commands(tmp_path, capsys, argv, option, value):
    out = tmp_path / "out"
    out.write_bytes(b"an earlier output")
    fails(capsys, [*argv, "--out", out, option, value] if argv[0] != "inspect" else [*argv, option, value], f"argument {option}", value)
    assert out.read_bytes() == b"an earlier output"


@pytest.mark.parametrize(
    "argv, option, form",
    [
        (["score", "--system", "s", "--target", "es", "--seed", "1", "--split", "test=pred.h5"], "--split", "NAME=PRED.h5,GOLD.json"),
        (["score", "--system", "s", "--target", "es", "--seed", "1", "--split", "pred.h5,gold.json"], "--split", "NAME=PRED.h5,GOLD.json"),
        (["score", "--system", "s", "--target", "es", "--seed", "1", "--split", "test=pred.h5,"], "--split", "NAME=PRED.h5,GOLD.json"),
        (["combine", "--alpha", "a.json", "--input", "en="], "--input", "LANG=FILE.h5"),
        (["combine", "--alpha", "a.json", "--input", "en.h5"], "--input", "LANG=FILE.h5"),
        (["figure5", "--case", "es=t.h5,s.h5", "--out-csv", "f.csv", "--out-png", "f.png", "--out-cases"], "--case", "TGT=TEACHER.h5,STUDENT.h5,GOLD.json"),
        (["runtimes", "--benchmarks", ".", "--rule", "train_teacher", "--out-csv", "r.csv", "--out-png"], "--rule", "RULE=PATTERN"),
        (["plot-training", "--model", "teacher-en="], "--model", "SYSTEM=FOLDER"),
    ],
    ids=["score-without-gold", "score-without-name", "score-empty-gold", "combine-empty-file", "combine-without-lang",
         "figure5-two-files", "runtimes-without-pattern", "plot-training-empty-folder"],
)
def test_key_and_files_option_with_a_part_missing(tmp_path, capsys, argv, option, form):
    out = tmp_path / "out"
    fails(capsys, [*argv, out] if argv[-1].startswith("--out") else [*argv, "--out", out], option, form)
    assert not out.exists()


def test_bad_key_value_option(tmp_path, capsys):
    fails(capsys, ["plot-training", "--model", "folder-without-system", "--out", tmp_path / "p.png"], "--model", "SYSTEM=FOLDER")


def test_encoder_folder_that_does_not_exist(tmp_path, capsys, es_tokens):
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    fails(capsys, ["train-student", "--encoder", tmp_path / "no/such/encoder", "--softlabels", soft, "--out", tmp_path / "m"], "--encoder", "does not exist")


def test_encoder_folder_that_is_not_a_model(tmp_path, capsys, es_tokens):
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    fails(capsys, ["train-student", "--encoder", tmp_path, "--softlabels", soft, "--out", tmp_path / "m"], "--encoder", "no config.json")


def test_hub_encoder_offline(tmp_path, capsys, es_tokens, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    line = fails(capsys, ["train-student", "--encoder", "xner-tests/no-such-model", "--softlabels", soft, "--out", tmp_path / "m"], "--encoder")
    assert "offline mode is set" in line


def test_more_frozen_layers_than_the_encoder_has(tmp_path, toy_corpora, tiny_encoder):
    # In a fresh process: in-process, transformers' load report goes to a log handler an earlier
    # test's captured stderr still holds.
    out = tmp_path / "teacher"
    argv = ["train-teacher", "--encoder", tiny_encoder, "--train", toy_corpora["en", "train"], "--dev", toy_corpora["en", "dev"], "--freeze-layers", "5", "--max-length", "32", "--out", out]
    done = subprocess.run([sys.executable, "-m", "xner", *map(str, argv)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("xner train-teacher: error:") and "--freeze-layers" in last and "2 layers" in last
    nothing_finished(out)


def test_debug_shows_the_traceback(tmp_path, capsys):
    with pytest.raises(XnerError, match="does not exist"):
        main(["--debug", "encoder-tiny", "--corpus", str(tmp_path / "none.json"), "--out", str(tmp_path / "enc")])


def test_unexpected_errors_keep_their_traceback(monkeypatch, tmp_path):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("xner.encoders.build_tiny_encoder", bug)
    with pytest.raises(ZeroDivisionError):
        main(["encoder-tiny", "--out", str(tmp_path / "enc")])


def test_yaml_error_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("seeds: [1, 2]\nteacher:\n  lr: [5e-5\n  epochs: 3\n")
    with pytest.raises(XnerError, match=r"config\.yaml:\d+: invalid YAML"):
        read_yaml(path)


# --- model folders given to predict and tag ----------------------------------------------------------


def checksums(*paths):
    """sha256 of each file (or of every file in a folder), to show a failed command changed nothing."""
    import hashlib

    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")) if p.is_dir() else []) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def ner_model(tiny_encoder, tmp_path_factory):
    """An untrained NER model folder as training writes it (encoder + head + labels), made in a second."""
    from transformers import AutoTokenizer

    from xner.model import new_model

    folder = tmp_path_factory.mktemp("ner") / "model"
    new_model(str(tiny_encoder), DEFAULT_LABELS).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    return folder


def spoilt_model(tmp_path, ner_model, spoil):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(ner_model, folder)
    spoil(folder)
    return folder


def without(*names):
    def spoil(folder):
        for name in names:
            (folder / name).unlink(missing_ok=True)

    return spoil


def with_config(**changes):
    def spoil(folder):
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config | changes))

    return spoil


@pytest.mark.parametrize(
    "spoil, named",
    [
        (without("model.safetensors"), "no weights file (model.safetensors)"),
        (without("tokenizer.json", "tokenizer_config.json", "vocab.txt"), "no tokenizer"),
        (with_config(architectures=["BertModel"]), "without a token-classification head"),
        (with_config(id2label={"0": "LABEL_0", "1": "LABEL_1"}, label2id={"LABEL_0": 0, "LABEL_1": 1}), "not BIO entity labels"),
    ],
    ids=["no-weights", "no-tokenizer", "no-head", "generic-labels"],
)
@pytest.mark.parametrize("command", ["predict", "tag"])
def test_model_folder_that_is_not_a_trained_ner_model(tmp_path, capsys, toy_corpora, ner_model, spoil, named, command):
    model = spoilt_model(tmp_path, ner_model, spoil)
    corpus, out = toy_corpora["es", "dev"], tmp_path / "earlier.out"
    out.write_bytes(b"an earlier output")
    before = checksums(model, corpus, out)
    argv = {
        "predict": ["predict", "--model", model, "--corpus", corpus, "--out", out],
        "tag": ["tag", "--model", model, "--input", corpus, "--input-format", "text", "--output", out],
    }[command]
    fails(capsys, argv, "--model", model, named)
    assert checksums(model, corpus, out) == before


@pytest.mark.parametrize("command", ["predict", "tag"])
def test_bare_encoder_is_not_a_trained_ner_model(tmp_path, capsys, toy_corpora, tiny_encoder, command):
    """The pre-trained encoder itself would tag everything LABEL_0/LABEL_1 with exit status 0."""
    corpus, out = toy_corpora["es", "dev"], tmp_path / "out"
    argv = {
        "predict": ["predict", "--model", tiny_encoder, "--corpus", corpus, "--out", out],
        "tag": ["tag", "--model", tiny_encoder, "--input", corpus, "--output", out],
    }[command]
    fails(capsys, argv, "--model", tiny_encoder, "not a trained NER model")
    nothing_finished(out)


def test_a_model_folder_as_training_writes_it_passes(tmp_path, ner_model):
    text = tmp_path / "in.txt"
    text.write_text("Juan vive en Madrid .\n")
    main(["tag", "--model", str(ner_model), "--input", str(text), "--output", str(tmp_path / "out.conll"), "--device", "cpu"])
    rows = [line.split("\t") for line in (tmp_path / "out.conll").read_text().splitlines() if line]
    assert [r[0] for r in rows] == ["Juan", "vive", "en", "Madrid", "."]
    assert all(r[1] in DEFAULT_LABELS for r in rows)


# --- `xner tag` and `xner inspect` output ------------------------------------------------------------


def xner_process(*argv, **popen):
    """`xner argv` in a fresh process that takes Ctrl-C as a terminal would deliver it (a test
    runner started in the background may have SIGINT ignored, and a child inherits that)."""
    return subprocess.Popen([sys.executable, "-m", "xner", *map(str, argv)], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **popen)


def text_file(folder, lines):
    path = folder / f"{lines}.txt"
    path.write_text("Juan Pérez vive en Madrid y trabaja para EFE .\n" * lines, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def large_text(tmp_path_factory):
    """Many blocks of sentences (xner.predict.BLOCK_SENTENCES), each written when it is tagged."""
    return text_file(tmp_path_factory.mktemp("text"), 40000)


def test_tag_interrupted_half_way_leaves_the_earlier_output(tmp_path, ner_model, large_text):
    out = tmp_path / "tags.conll"
    out.write_text("an earlier output\n")
    before = checksums(out, large_text)
    tagging = xner_process("tag", "--model", ner_model, "--input", large_text, "--output", out, "--device", "cpu", "--threads", "1")
    try:
        partial = []
        while not any(p.stat().st_size > 0 for p in partial):  # the first sentences are written
            assert tagging.poll() is None, tagging.stderr.read()
            partial = list(tmp_path.glob(".tags.conll.tmp-*"))
            time.sleep(0.05)
        tagging.send_signal(signal.SIGINT)
        _, err = tagging.communicate(timeout=120)
    finally:
        tagging.kill()
    assert tagging.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "xner tag: interrupted"
    assert checksums(out, large_text) == before
    assert not list(tmp_path.glob(".tags.conll.tmp-*"))


def test_tag_into_a_pipe_that_closes(tmp_path, ner_model):
    """`xner tag ... | head -1`: the reader goes away after one line (of more than a pipe holds)."""
    tagging = xner_process("tag", "--model", ner_model, "--input", text_file(tmp_path, 3000), "--device", "cpu", "--threads", "1",
                           stdout=subprocess.PIPE)
    assert tagging.stdout.readline().startswith("Juan\t")
    tagging.stdout.close()
    err = tagging.stderr.read()
    assert tagging.wait(timeout=120) == 141 and "Traceback" not in err and "Error" not in err, err


def test_inspect_into_a_pipe_that_closes(tmp_path, es_tokens):
    soft = soft_file(tmp_path / "s.h5", es_tokens)
    inspecting = xner_process("inspect", soft, stdout=subprocess.PIPE)
    inspecting.stdout.close()  # before the process has started up: its first write finds no reader
    err = inspecting.stderr.read()
    assert inspecting.wait(timeout=120) == 141 and "Traceback" not in err and "Error" not in err, err


def test_tag_input_that_is_not_utf8(tmp_path, capsys, ner_model):
    text = tmp_path / "in.txt"
    text.write_bytes("Juan vive en Madrid\nMüller vive en Köln\n".encode("latin-1"))
    out = tmp_path / "tags.conll"
    out.write_text("an earlier output\n")
    before = checksums(out, text)
    fails(capsys, ["tag", "--model", ner_model, "--input", text, "--output", out], f"{text}:2", "byte 21 is not UTF-8", "iconv")
    assert checksums(out, text) == before


def test_tag_failing_after_the_model_loads_leaves_the_earlier_output(tmp_path, capsys, ner_model, monkeypatch):
    text = tmp_path / "in.txt"
    text.write_text("Juan vive en Madrid\n")
    out = tmp_path / "tags.conll"
    out.write_text("an earlier output\n")

    def no_space(*args, **kwargs):
        raise XnerError("tags.conll", "a failure half-way")

    monkeypatch.setattr("xner.tag.entities", no_space)
    fails(capsys, ["tag", "--model", ner_model, "--input", text, "--output", out, "--device", "cpu"], "half-way")
    assert out.read_text() == "an earlier output\n"
    assert not list(tmp_path.glob(".tags.conll.tmp-*"))


# --- an HDF5 file another process is writing ---------------------------------------------------------


@pytest.fixture
def held_open():
    """Hold an HDF5 file open for writing in another process, as a job that is still writing it does."""
    holders = []

    def hold(path):
        code = f"import h5py, sys, time; f = h5py.File({str(path)!r}, 'a'); print('open', flush=True); time.sleep(600)"
        holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout.readline() == "open\n"
        return path

    yield hold
    for holder in holders:
        holder.kill()
        holder.wait()


def embeddings_file(path, corpus):
    from xner.embed import write_embeddings

    vectors = np.random.default_rng(0).normal(size=(len(corpus.token_lists), 8)).astype(np.float32)
    write_embeddings(path, vectors, {"encoder": "e", "lang": corpus.lang, "split": corpus.split, "tokens_sha256": corpus.tokens_sha256})
    return path


@pytest.mark.parametrize("command", ["inspect", "combine", "score", "alpha"])
def test_hdf5_file_locked_by_a_writer_is_not_called_damaged(tmp_path, capsys, toy_corpora, es_tokens, held_open, command):
    if command == "alpha":
        locked = embeddings_file(tmp_path / "locked.h5", es_tokens)
        other = embeddings_file(tmp_path / "other.h5", es_tokens)
    else:
        locked, other = soft_file(tmp_path / "locked.h5", es_tokens), soft_file(tmp_path / "other.h5", es_tokens)
    alpha = tmp_path / "alpha.json"
    alpha.write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    argv = {
        "inspect": ["inspect", locked],
        "combine": ["combine", "--alpha", alpha, "--input", f"en={other}", "--input", f"de={locked}", "--out", tmp_path / "mix.h5"],
        "score": ["score", "--system", "s", "--target", "es", "--seed", "1", "--split", f"train={locked},{toy_corpora['es', 'train']}", "--out", tmp_path / "m.json"],
        "alpha": ["alpha", "--method", "cosine", "--target", "es", "--source", f"en={other}", "--source", f"nl={locked}", "--target-embeddings", other, "--out", tmp_path / "a.json"],
    }[command]
    held_open(locked)
    before = checksums(tmp_path)
    line = fails(capsys, argv, locked, "locked by another process")
    assert "delete" not in line
    assert checksums(tmp_path) == before


# --- an output that is also an input ------------------------------------------------------------------


@pytest.fixture
def some_inputs(tmp_path, toy_corpora, es_tokens, tiny_encoder):
    """Copies of one input of each kind, in tmp_path (so that a failing check cannot harm the shared ones)."""
    import shutil

    files = {"soft": soft_file(tmp_path / "s.h5", es_tokens), "corpus": tmp_path / "corpus.json", "alpha": tmp_path / "alpha.json",
             "metrics": tmp_path / "m.json", "encoder": tmp_path / "encoder", "text": tmp_path / "in.txt"}
    shutil.copy(toy_corpora["es", "train"], files["corpus"])
    shutil.copytree(tiny_encoder, files["encoder"])
    files["alpha"].write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    files["metrics"].write_text("{}")
    files["text"].write_text("Juan vive en Madrid\n")
    (tmp_path / "link.h5").symlink_to(files["soft"])
    (tmp_path / "folder").mkdir()
    return files


CLASHES = {
    # command line (names from some_inputs in braces), the option named, the path named
    "combine-out-is-input": ("combine --alpha {alpha} --input en={soft} --input de={soft} --out {soft}", "--out", "s.h5"),
    "combine-out-is-input-by-symlink": ("combine --alpha {alpha} --input en={soft} --input de={soft} --out {dir}/link.h5", "--out", "link.h5"),
    "combine-out-is-alpha": ("combine --alpha {alpha} --input en={soft} --input de={soft} --out {alpha}", "--out", "alpha.json"),
    "predict-same-out-twice": ("predict --model {encoder} --corpus {corpus} --out {dir}/p.h5 --corpus {corpus} --out {dir}/p.h5", "--out", "given twice"),
    "predict-out-is-corpus": ("predict --model {encoder} --corpus {corpus} --out {corpus}", "--out", "corpus.json"),
    "tag-output-is-input": ("tag --model {encoder} --input {text} --output {text}", "--output", "in.txt"),
    "score-out-is-gold": ("score --system s --target es --seed 1 --split test={soft},{corpus} --out {corpus}", "--out", "corpus.json"),
    "embed-out-is-corpus": ("embed --encoder {encoder} --corpus {corpus} --out {corpus}", "--out", "corpus.json"),
    "table-out-is-metrics": ("table table2 --metrics {metrics} --out {metrics}", "--out", "m.json"),
    "teacher-out-is-encoder": ("train-teacher --encoder {encoder} --train {corpus} --dev {corpus} --out {encoder}", "--out", "encoder"),
    "teacher-out-holds-input": ("train-teacher --encoder {encoder} --train {corpus} --dev {corpus} --out {dir}", "--out", "holds the input"),
    "figure5-same-outputs": ("figure5 --case es={soft},{soft},{corpus} --out-csv {dir}/f --out-png {dir}/f --out-cases {dir}/c.txt", "--out-png", "given twice"),
    "alpha-out-is-embeddings": ("alpha --method cosine --target es --source en={soft} --target-embeddings {soft} --out {soft}", "--out", "s.h5"),
}


@pytest.mark.parametrize("case", list(CLASHES))
def test_output_that_is_an_input_or_another_output(tmp_path, capsys, some_inputs, case):
    line, option, named = CLASHES[case]
    before = checksums(tmp_path)
    fails(capsys, line.format(dir=tmp_path, **some_inputs).split(), option, named)
    assert checksums(tmp_path) == before
    assert not (tmp_path / "p.h5").exists() and not (tmp_path / "f").exists()


# --- a full disk ----------------------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A small tmpfs filled to the last byte (mounting needs root; elsewhere the test is skipped,
    and test_full_disk_in_any_writer still runs)."""
    folder = tmp_path / "full"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        with open(folder / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"x" * 4096)
            except OSError:
                pass
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("command", ["encoder-tiny", "prepare", "combine", "tag"])
def test_disk_full_while_writing(tmp_path, capsys, toy_conll, es_tokens, ner_model, full_disk, command):
    """safetensors (a model folder), JSON, HDF5 and text outputs: one line, nothing partial left."""
    out = full_disk / "out"
    alpha, soft, text = tmp_path / "alpha.json", soft_file(tmp_path / "s.h5", es_tokens), tmp_path / "in.txt"
    alpha.write_text(json.dumps({"alpha": {"en": 0.5, "de": 0.5}}))
    text.write_text("Juan vive en Madrid\n" * 2000)
    source = json.dumps({"format": "conll", "path": str(toy_conll / "es"), "encoding": "utf-8"})
    argv = {
        "encoder-tiny": ["encoder-tiny", "--out", out],
        "prepare": ["prepare", "--lang", "es", "--split", "train", "--source", source, "--labels", ",".join(DEFAULT_LABELS), "--out", out],
        "combine": ["combine", "--alpha", alpha, "--input", f"en={soft}", "--input", f"de={soft}", "--out", out],
        "tag": ["tag", "--model", ner_model, "--input", text, "--output", out, "--device", "cpu"],
    }[command]
    before = checksums(full_disk, tmp_path / "s.h5", text)
    fails(capsys, argv, out, "no space left on the device")
    assert checksums(full_disk, tmp_path / "s.h5", text) == before
    assert [p.name for p in full_disk.iterdir()] == ["filler"]


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("I/O error: No space left on device (os error 28)")],
    ids=["oserror", "library-error-text"],
)
def test_full_disk_in_any_writer(tmp_path, failure):
    """What safetensors and h5py raise on a full disk becomes one error naming the output."""
    from xner.io import atomic_output

    out = tmp_path / "model"
    with pytest.raises(XnerError, match=f"{out}: no space left on the device"):
        with atomic_output(out, directory=True) as tmp:
            (tmp / "part").write_text("half")
            raise failure
    assert list(tmp_path.iterdir()) == []


def test_other_write_errors_are_not_called_a_full_disk(tmp_path):
    from xner.io import atomic_output

    with pytest.raises(PermissionError):
        with atomic_output(tmp_path / "out") as tmp:
            tmp.write_text("half")
            raise PermissionError(errno.EACCES, "Permission denied")
    assert list(tmp_path.iterdir()) == []


# --- stale temporary files of killed jobs ----------------------------------------------------------


def test_a_job_that_starts_again_removes_stale_temporaries(tmp_path, capsys, toy_conll):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out = tmp_path / "c.json"
    stale = tmp_path / f".c.json.tmp-{dead.stdout.strip()}"
    live = tmp_path / f".c.json.tmp-{os.getppid()}"  # a writer that is still running keeps its file
    stale.write_text("half")
    live.write_text("half")
    source = json.dumps({"format": "conll", "path": str(toy_conll / "en"), "encoding": "utf-8"})
    main(["prepare", "--lang", "en", "--split", "dev", "--source", source, "--labels", ",".join(DEFAULT_LABELS), "--out", str(out)])
    assert out.exists() and not stale.exists() and live.exists()


# --- the workflow's config, before any job ------------------------------------------------------------


def workflow_fails(tmp_path, config, *named, targets=()):
    result = snakemake(tmp_path, "-n", "--cores", "1", *targets, "--configfile", str(config), check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("xner workflow: error: "), result.stderr
    for name in named:
        assert name in errors[0], (name, errors[0])
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "overrides, named",
    [
        (dict(multi_source={"targets": ["es", "fr"]}), ["config: multi_source.targets", "fr not in languages"]),
        (dict(single_source={"source": "it", "targets": ["es"]}), ["config: single_source.source", "it"]),
        (dict(languages=["en", "de", "es", "nl", "pt"]), ["config: data.languages.pt", "missing"]),
        (dict(encoder="models/no-such-folder/here"), ["config: encoder", "models/no-such-folder/here"]),
        (dict(encoder="xner-tests/no-such-model"), ["config: encoder", "offline mode is set"]),
        (dict(student={"encoder": "/no/such/encoder"}), ["config: student.encoder"]),
    ],
    ids=["target-not-in-languages", "source-not-in-languages", "language-without-entry", "encoder-path", "hub-encoder-offline", "student-encoder"],
)
def test_config_mistake_stops_before_any_job(tmp_path, toy_conll, overrides, named):
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    for key, value in overrides.items():
        settings[key] = settings[key] | value if isinstance(settings.get(key), dict) else value
    workflow_fails(tmp_path, write_config(tmp_path / "c.yaml", toy_conll, **settings), *named)


def test_unknown_encoding_stops_before_any_job(tmp_path, toy_conll):
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    config = write_config(tmp_path / "c.yaml", toy_conll, **settings)
    data = yaml.safe_load(config.read_text())
    data["data"]["languages"]["de"]["encoding"] = "latin-9000"
    config.write_text(yaml.safe_dump(data))
    workflow_fails(tmp_path, config, "config: data.languages.de.encoding", "latin-9000")


@pytest.mark.parametrize(
    "target, named",
    [
        ("results/tables/table3.csv", ["config: multi_source.targets", "table3 needs three languages", "only en, es have data"]),
        ("results/tables/table5.csv", ["config: multi_source.targets", "table5 needs three languages"]),
    ],
)
def test_multi_source_table_with_two_languages_says_why(tmp_path, toy_conll, target, named):
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    settings |= {"single_source": {"source": "en", "targets": ["es"]}, "multi_source": {"targets": ["es"]}}
    config = write_config(tmp_path / "c.yaml", toy_conll, languages=["en", "es"], **settings)
    workflow_fails(tmp_path, config, *named, targets=[target])


def test_single_source_figure_without_targets_says_why(tmp_path, toy_conll):
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    settings |= {"single_source": {"source": "en", "targets": []}}
    config = write_config(tmp_path / "c.yaml", toy_conll, **settings)
    workflow_fails(tmp_path, config, "config: single_source.targets", "figure5 has nothing to build", targets=["results/figures/figure5.png"])


def test_unreachable_hub_is_said_up_front(tmp_path, toy_conll, monkeypatch):
    """Not offline, but the hub does not answer: one warning before the plan (it may answer later)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    config = write_config(tmp_path / "c.yaml", toy_conll, encoder="xner-tests/no-such-model")
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config))
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == ["xner workflow: warning: config: encoder: hub model xner-tests/no-such-model is not in the local "
                        "cache and the hub cannot be reached (go online, or give a local folder)"]


def hub_config(tmp_path, conll_dir):
    config = write_config(tmp_path / "c.yaml", tmp_path, encoder="tiny")
    data = yaml.safe_load(config.read_text())
    data["data"]["conll_dir"] = conll_dir
    config.write_text(yaml.safe_dump(data))
    return config


def test_data_folder_that_does_not_exist_stops_before_any_job(tmp_path):
    """A missing data folder is a mistake, not a request for the hub (whose download may fail)."""
    config = hub_config(tmp_path, str(tmp_path / "no-such-data"))
    workflow_fails(tmp_path, config, "config: data.conll_dir", str(tmp_path / "no-such-data"), "does not exist", "null")


def test_hub_dataset_offline_is_one_line(tmp_path, capsys):
    source = json.dumps({"format": "hf", "dataset": "xner-tests/no-such-dataset", "config": "es", "revision": "refs/convert/parquet"})
    out = tmp_path / "c.json"
    fails(capsys, ["prepare", "--lang", "es", "--split", "dev", "--source", source, "--labels", ",".join(DEFAULT_LABELS), "--out", out],
          "hub dataset xner-tests/no-such-dataset/es", "cannot be downloaded", "OfflineModeIsEnabled", "go online")
    nothing_finished(out)


def test_data_from_the_hub_is_stated(tmp_path):
    """data.conll_dir null asks for the hub: its source is said once, and without `datasets` the
    run stops up front."""
    config = hub_config(tmp_path, None)
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), check=False)
    assert result.stderr.count("xner: data: en from the hub (eriktks/conll2003") == 1
    import importlib.util

    if importlib.util.find_spec("datasets") is None:
        assert result.returncode != 0 and "xner workflow: error: config: data.languages.en.hub" in result.stderr
        assert "Traceback" not in result.stderr


def test_plain_dry_run_uses_the_default_profile(tmp_path, toy_conll):
    config = write_config(tmp_path / "c.yaml", toy_conll, encoder="tiny")
    result = snakemake(tmp_path, "-n", "--configfile", str(config))
    assert f"Using workflow specific profile {REPO / 'profiles/default'}" in result.stdout + result.stderr


def test_catalog_entry_point_uses_the_default_profile(tmp_path, toy_conll):
    """Run from another directory through workflow/Snakefile, Snakemake looks for the default
    profile beside that file: workflow/profiles/default points at the same profile."""
    config = write_config(tmp_path / "c.yaml", toy_conll, encoder="tiny")
    result = snakemake(tmp_path, "-n", "--configfile", str(config), snakefile=REPO / "workflow/Snakefile")
    assert f"Using workflow specific profile {REPO / 'workflow/profiles/default'}" in result.stdout + result.stderr
    assert (REPO / "workflow/profiles/default/config.yaml").read_bytes() == (REPO / "profiles/default/config.yaml").read_bytes()


def job_processes(parent, marker):
    """Processes under `parent` whose command line contains `marker` (the job's shell and the
    `xner` process it runs)."""
    import psutil  # Snakemake's own dependency

    found = []
    for child in psutil.Process(parent).children(recursive=True):
        try:
            if marker in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.mark.slow
def test_kill_during_soft_labels_then_plain_rerun(finished, tmp_path_factory):
    """The soft-label job is killed with SIGKILL; the README's plain command then completes with
    the outputs of the uninterrupted run (the `finished` fixture, same config and data)."""
    run_dir, config, _ = finished
    workdir = tmp_path_factory.mktemp("killed")
    target = "results/tables/table2.csv"
    soft = "results/softlabels/en/es/seed1.h5"
    log = workdir.parent / "killed-run.log"  # a file, not a pipe: a full pipe would stall Snakemake
    with open(log, "w") as out:
        first = subprocess.Popen(snakemake_command(workdir, "--cores", "2", target, "--configfile", str(config)),
                                 cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        try:
            job = []
            while not job:
                if first.poll() is not None:
                    raise AssertionError(f"snakemake ended before the soft-label job started:\n{log.read_text()[-3000:]}")
                job = job_processes(first.pid, f"--out {soft}")
                time.sleep(0.02)
            for pid in job:
                os.kill(pid, signal.SIGKILL)
            assert first.wait() != 0
        finally:
            if first.poll() is None:
                first.kill()
    assert not (workdir / soft).exists()
    snakemake(workdir, "--cores", "2", target, "--configfile", str(config))  # the README's plain command
    for produced in (target, "results/tables/table2.md", "results/metrics/student-ts-en/es/seed1.json"):
        assert (workdir / produced).read_bytes() == (run_dir / produced).read_bytes(), produced
    with h5py.File(workdir / soft) as a, h5py.File(run_dir / soft) as b:
        assert a["probs"][:].tobytes() == b["probs"][:].tobytes()
    assert not list((workdir / soft).parent.glob(".*.tmp-*"))
