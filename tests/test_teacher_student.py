"""Teachers, soft labels and students on toy data with the tiny encoder, through the CLI."""

import json
import random

import h5py
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from xner.cli import main
from xner.corpus import Corpus, read_corpus, write_corpus
from xner.softlabels import WordProbs
from xner.student import distillation_loss, hard_labels, tempered

from conftest import FAST


def test_teacher_folder_is_a_standard_hf_model(teacher, toy_corpora):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from xner.features import encode

    model = AutoModelForTokenClassification.from_pretrained(teacher)
    labels = json.loads((teacher / "labels.json").read_text())
    assert [model.config.id2label[i] for i in range(len(labels))] == labels
    summary = json.loads((teacher / "training_summary.json").read_text())
    assert summary["role"] == "teacher" and "source_dev_f1" in summary["history"][-1]
    # What benchmarks/throughput.py reads: the precision run, the threads, the sub-words trained.
    assert summary["settings"]["precision"] == summary["settings"]["precision_setting"] == "fp32"
    assert summary["settings"]["threads"] == torch.get_num_threads()
    assert summary["stopping"]["steps"] == summary["stopping"]["planned_steps"] > 0
    windows = encode(AutoTokenizer.from_pretrained(teacher), [s.tokens for s in read_corpus(toy_corpora["en", "train"]).sentences], 32)
    assert summary["stopping"]["subwords"] == 2 * sum(len(w.input_ids) for w in windows)  # FAST: 2 epochs, max length 32


def test_softlabel_file_layout(soft_es, toy_corpora, tiny_encoder, teacher):
    corpus = read_corpus(toy_corpora["es", "train"])
    with h5py.File(soft_es) as f:
        assert f["probs"].dtype == np.float32 and f["probs"].compression == "gzip"
        assert f["probs"].shape == (sum(len(s.tokens) for s in corpus.sentences), 9)
        assert f["offsets"].dtype == np.int64 and f["offsets"].shape == (len(corpus.sentences) + 1,)
        for key in ("label_names", "source_model", "source_model_sha256", "encoder", "lang", "split", "tokens_sha256", "xner_version", "created"):
            assert key in f.attrs, key
        assert f.attrs["lang"] == "es" and f.attrs["split"] == "train"
        assert f.attrs["encoder"] == str(tiny_encoder) and f.attrs["source_model"] == str(teacher)
    soft = WordProbs(soft_es)
    assert soft.token_lists() == [list(s.tokens) for s in corpus.sentences]
    np.testing.assert_allclose(soft.probs.sum(1), 1.0, atol=1e-5)


def test_gold_tags_never_reach_soft_labels_or_students(teacher, soft_es, toy_corpora, tiny_encoder, tmp_path):
    """Garbage target tags: bit-identical soft labels and an identical student."""
    corpus = read_corpus(toy_corpora["es", "train"])
    rng = random.Random(0)
    garbage = [type(s)(s.tokens, tuple(rng.choice(corpus.label_names) for _ in s.tokens)) for s in corpus.sentences]
    assert garbage != corpus.sentences
    garbled = tmp_path / "es-garbage.json"
    write_corpus(garbled, Corpus(corpus.lang, corpus.split, corpus.label_names, garbage, "garbage"))
    soft_garbage = tmp_path / "soft-garbage.h5"
    main(["predict", "--model", str(teacher), "--corpus", str(garbled), "--out", str(soft_garbage), "--max-length", "32", "--device", "cpu"])
    a, b = WordProbs(soft_es), WordProbs(soft_garbage)
    assert a.probs.tobytes() == b.probs.tobytes()
    differ = {k for k in a.attrs if a.attrs[k] != b.attrs.get(k)}
    assert differ <= {"created", "corpus"}
    students, measured = [], []
    for name, soft in (("s1", soft_es), ("s2", soft_garbage)):
        out = tmp_path / name
        # With an agreement set: it is cut from the soft-label file, which holds no tags.
        main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft), "--out", str(out), *FAST,
              "--agreement-sentences", "4", "--eval-every", "2"])
        students.append(load_file(out / "model.safetensors"))
        history = json.loads((out / "training_summary.json").read_text())["history"]
        measured.append([{k: v for k, v in r.items() if k.startswith("heldout_")} for r in history if "heldout_mse" in r])
    assert students[0].keys() == students[1].keys()
    assert all(torch.equal(students[0][k], students[1][k]) for k in students[0])
    assert measured[0] == measured[1] and len(measured[0]) > 1


def test_student_training_reads_no_corpus(soft_es, tiny_encoder, tmp_path, monkeypatch):
    """Students, their agreement set and their start from the teachers never open a corpus (the
    only files with tags): every corpus reader fails here, and training still succeeds."""
    import xner.corpus

    def refuse(*args, **kwargs):
        raise AssertionError("a student read a corpus file")

    for name in ("read_corpus", "read_corpus_tokens", "prepare_corpus"):
        monkeypatch.setattr(xner.corpus, name, refuse)
    out = tmp_path / "student"
    main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(out), *FAST,
          "--agreement-sentences", "4", "--eval-every", "2", "--init", "teachers", "--patience", "3", "--keep-best"])
    assert (out / "model.safetensors").is_file()


def test_student_with_another_tokenizer(soft_es, toy_corpora, tmp_path):
    """Word-level soft labels teach a student whose tokenizer differs from the teacher's."""
    from transformers import AutoTokenizer

    from xner.corpus import read_corpus_tokens
    from xner.encoders import build_tiny_encoder

    words = read_corpus_tokens(toy_corpora["es", "train"]).token_lists
    other = tmp_path / "other-encoder"
    build_tiny_encoder(other, words, vocab_size=800, hidden=16, layers=2, seed=3)
    assert AutoTokenizer.from_pretrained(other).get_vocab() != AutoTokenizer.from_pretrained(WordProbs(soft_es).attrs["source_model"]).get_vocab()
    out = tmp_path / "student"
    main(["train-student", "--encoder", str(other), "--softlabels", str(soft_es), "--out", str(out), *FAST])
    predictions = tmp_path / "pred.h5"
    main(["predict", "--model", str(out), "--corpus", str(toy_corpora["es", "test"]), "--out", str(predictions), "--max-length", "32", "--device", "cpu"])
    assert WordProbs(predictions).n_sentences == len(read_corpus(toy_corpora["es", "test"]).sentences)


def test_one_predict_call_for_several_corpora_writes_what_separate_calls_do(soft_es, teacher, toy_corpora, tmp_path):
    """`xner predict` with two --corpus/--out pairs (the workflow's dev and test in one job) loads the
    model once and writes each file as a call of its own would: same probabilities, same metadata."""
    args = ["--max-length", "32", "--device", "cpu"]
    together = {split: tmp_path / f"together-{split}.h5" for split in ("dev", "test")}
    main(["predict", "--model", str(teacher), *args,
          "--corpus", str(toy_corpora["es", "dev"]), "--out", str(together["dev"]),
          "--corpus", str(toy_corpora["es", "test"]), "--out", str(together["test"])])
    for split, path in together.items():
        alone = tmp_path / f"alone-{split}.h5"
        main(["predict", "--model", str(teacher), "--corpus", str(toy_corpora["es", split]), "--out", str(alone), *args])
        a, b = WordProbs(path), WordProbs(alone)
        assert a.attrs["split"] == split and a.n_sentences == len(read_corpus(toy_corpora["es", split]).sentences)
        assert all(np.array_equal(x, y) for x, y in zip(a.prob_lists(), b.prob_lists()))
        assert {k: v for k, v in a.attrs.items() if k != "created"} == {k: v for k, v in b.attrs.items() if k != "created"}


def test_mse_loss_matches_hand_computation():
    # One sentence of two words, two labels. Student logits [0, 0] -> softmax [.5, .5];
    # logits [ln 3, 0] -> [.75, .25]. Targets [1, 0] and [.75, .25].
    logits = torch.tensor([[[0.0, 0.0], [np.log(3.0), 0.0]]])
    targets = torch.tensor([[[1.0, 0.0], [0.75, 0.25]]])
    mask = torch.tensor([[True, True]])
    # word 1: mean((.5-1)^2, (.5-0)^2) = .25; word 2: 0. Sentence mean over words (Eq. 3) = .125.
    assert distillation_loss(logits, targets, mask).item() == pytest.approx(0.125)
    # A padded third word must not count; a second sentence averages in (Eq. 4 up to scale).
    logits2 = torch.cat([torch.cat([logits, torch.zeros(1, 1, 2)], 1), torch.zeros(1, 3, 2)])
    targets2 = torch.cat([torch.cat([targets, torch.zeros(1, 1, 2)], 1), torch.tensor([[[0.5, 0.5]] * 3])])
    mask2 = torch.tensor([[True, True, False], [True, True, True]])
    assert distillation_loss(logits2, targets2, mask2).item() == pytest.approx((0.125 + 0.0) / 2)


def test_hard_labels_round_to_one_hot():
    p = [np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]], dtype=np.float32)]
    [h] = hard_labels(p)
    np.testing.assert_array_equal(h, [[0, 1, 0], [1, 0, 0]])


@pytest.fixture(scope="module")
def student(soft_es, tiny_encoder, tmp_path_factory):
    out = tmp_path_factory.mktemp("student") / "ts-en-es"
    main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(out), *FAST,
          "--agreement-sentences", "4", "--eval-every", "2"])
    return out


def test_every_model_folder_has_a_model_card(teacher, student, soft_es):
    teacher_card = (teacher / "README.md").read_text()
    assert teacher_card.startswith("---\nlibrary_name: transformers\npipeline_tag: token-classification\n")
    dev_f1 = json.loads((teacher / "training_summary.json").read_text())["history"][-1]["source_dev_f1"]
    assert f"Source-language dev F1 (seqeval, after the last epoch): {100 * dev_f1:.2f}" in teacher_card
    assert "`B-PER`" in teacher_card and "| lr | 0.001 |" in teacher_card and "language: [en]" in teacher_card
    card = (student / "README.md").read_text()
    assert "never saw target-language gold tags" in card and "never saw" not in teacher_card
    assert str(soft_es) in card and "language: [es]" in card and "Entity agreement with the teachers'" in card
    assert "on 4 held-out soft-labelled sentences (best, step" in card and "| loss | mse |" in card


def test_tag_raw_text_to_conll_and_json_lines(student, tmp_path, monkeypatch, capsys):
    long_line = " ".join(["Maria", "vive", "en", "Madrid"] * 12)  # 48 words: several 16-piece windows
    text = tmp_path / "in.txt"
    text.write_text("Jan trabaja para EFE\n\n" + long_line + "\n", encoding="utf-8")
    jsonl = tmp_path / "out.jsonl"
    main(["tag", "--model", str(student), "--input", str(text), "--output", str(jsonl), "--format", "jsonl",
          "--max-length", "16", "--device", "cpu"])
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["line"] for r in records] == [1, 3]  # blank lines are not sentences
    assert [len(r["tags"]) for r in records] == [4, 48] and records[1]["tokens"] == long_line.split()
    labels = json.loads((student / "labels.json").read_text())
    for r in records:
        assert set(r["tags"]) <= set(labels) and all(0 < p <= 1 for p in r["probabilities"])
        for e in r["entities"]:
            assert r["tags"][e["start"]].endswith(e["type"]) and e["text"] == " ".join(r["tokens"][e["start"]:e["end"]])
            assert 0 < e["probability"] <= 1
    # CoNLL in (first column only) from stdin, CoNLL out to stdout: the same tags.
    conll_in = "-DOCSTART- -X- O\n\nJan X B-PER\ntrabaja X O\npara X O\nEFE X B-ORG\n"
    monkeypatch.setattr("sys.stdin", __import__("io").TextIOWrapper(__import__("io").BytesIO(conll_in.encode())))
    main(["tag", "--model", str(student), "--input-format", "conll", "--max-length", "16", "--device", "cpu"])
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert [r[0] for r in rows] == ["Jan", "trabaja", "para", "EFE"]
    assert [r[1] for r in rows] == records[0]["tags"]


def test_entity_spans_and_probabilities():
    from xner.tag import entities

    labels = ["O", "B-PER", "I-PER", "B-LOC"]
    probs = np.array([[0.1, 0.8, 0.05, 0.05], [0.1, 0.1, 0.6, 0.2], [0.9, 0.0, 0.0, 0.1], [0.2, 0.0, 0.0, 0.8]])
    found = entities(["Jan", "Smit", "in", "Köln"], ["B-PER", "I-PER", "O", "B-LOC"], probs, labels)
    assert found == [
        {"start": 0, "end": 2, "type": "PER", "text": "Jan Smit", "probability": 0.7},
        {"start": 3, "end": 4, "type": "LOC", "text": "Köln", "probability": 0.8},
    ]


def test_student_folder_loads_in_a_transformers_pipeline(student):
    """As the README shows it: word-level groups (first sub-word), "O" kept here to see every word."""
    from transformers import pipeline

    ner = pipeline("token-classification", model=str(student), aggregation_strategy="first", device="cpu")
    groups = ner("Maria vive en Madrid", ignore_labels=[])
    labels = {name.split("-")[-1] for name in json.loads((student / "labels.json").read_text())}
    assert groups and all(g["entity_group"] in labels for g in groups)


def test_temperature_sharpens_or_flattens_the_targets(soft_es, tiny_encoder, tmp_path, capsys):
    p = np.array([[0.6, 0.4, 0.0], [0.2, 0.2, 0.6]], dtype=np.float32)
    assert tempered([p], 1.0)[0] == pytest.approx(p)
    # Squared and renormalised: 0.36 / 0.52 and 0.16 / 0.52; a zero stays zero.
    assert tempered([p], 0.5)[0][0] == pytest.approx([0.6923, 0.3077, 0.0], abs=1e-4)
    assert tempered([p], 2.0)[0][0] == pytest.approx([0.5505, 0.4495, 0.0], abs=1e-4)  # square roots
    assert tempered([p], 0.01)[0].argmax(axis=1).tolist() == [0, 2]  # near HL's one-hot labels
    assert tempered([p], 0.01)[0].max(axis=1) == pytest.approx([1.0, 1.0])
    out = tmp_path / "student"
    main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(out), *FAST,
          "--max-steps", "2", "--temperature", "0.5"])
    assert json.loads((out / "training_summary.json").read_text())["targets"] == "soft, temperature 0.5"
    with pytest.raises(SystemExit) as exit_info:
        main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(tmp_path / "x"),
              *FAST, "--hard", "--temperature", "0.5"])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--temperature" in error and "no meaning with --hard" in error
    assert not (tmp_path / "x").exists()
