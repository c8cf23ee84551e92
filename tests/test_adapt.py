"""Adaptation: a student for a language with raw text only, from teachers trained here or given."""

import hashlib
import json

import h5py
import numpy as np
import pytest
import yaml

from conftest import FAST, REPO
from workflow_helpers import planned_jobs, snakemake, write_config
from xner.cli import main
from xner.corpus import read_corpus_tokens
from xner.errors import XnerError
from xner.labelmap import iob1_types, label_mapping, map_probabilities

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
# A given model's labels: another order, no MISC.
GIVEN_LABELS = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


# --- label mapping ------------------------------------------------------------------------------


def test_matching_names_and_aliases_map_automatically():
    mapping = label_mapping(["O", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION", "B-ORGANIZATION", "I-org"], LABELS)
    assert mapping == {"O": "O", "B-PERSON": "B-PER", "I-PERSON": "I-PER", "B-LOCATION": "B-LOC", "I-LOCATION": "I-LOC",
                       "B-ORGANIZATION": "B-ORG", "I-org": "I-ORG"}


def test_explicit_mapping_wins_and_may_drop_a_type():
    mapping = label_mapping(["O", "B-GPE", "I-GPE", "B-DATE", "LABEL_7"], LABELS, {"GPE": "LOC", "B-DATE": "O", "LABEL_7": "B-MISC"})
    assert mapping == {"O": "O", "B-GPE": "B-LOC", "I-GPE": "I-LOC", "B-DATE": "O", "LABEL_7": "B-MISC"}


def test_unmapped_labels_are_listed_in_one_error():
    with pytest.raises(XnerError) as error:
        label_mapping(["O", "B-GPE", "I-GPE", "S-PER"], LABELS, where="config: adapt.ca.teachers[1].labels")
    message = str(error.value)
    assert "\n" not in message and message.startswith("config: adapt.ca.teachers[1].labels")
    assert "B-GPE, I-GPE, S-PER" in message


def test_a_missing_type_gets_no_mass_and_rows_still_sum_to_one():
    mapping = label_mapping(GIVEN_LABELS, LABELS)
    probs = np.random.default_rng(0).dirichlet(np.ones(len(GIVEN_LABELS)), size=5).astype(np.float32)
    mapped = map_probabilities(probs, GIVEN_LABELS, mapping, LABELS)
    assert np.allclose(mapped.sum(axis=1), 1, atol=1e-6)
    assert (mapped[:, [LABELS.index("B-MISC"), LABELS.index("I-MISC")]] == 0).all()
    assert np.allclose(mapped[:, LABELS.index("B-PER")], probs[:, GIVEN_LABELS.index("B-PER")])
    assert np.allclose(mapped[:, LABELS.index("I-LOC")], probs[:, GIVEN_LABELS.index("I-LOC")])


def test_iob1_teacher_starts_entities_with_b():
    teacher = ["O", "I-PER", "I-LOC"]
    mapping = label_mapping(teacher, LABELS)
    assert iob1_types(teacher, mapping) == ["LOC", "PER"]
    # Jan Smit lives in Madrid: I-PER I-PER O O I-LOC (IOB1) is B-PER I-PER O O B-LOC in BIO.
    probs = np.array([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8]])
    mapped = map_probabilities(probs, teacher, mapping, LABELS)
    assert [LABELS[j] for j in mapped.argmax(axis=1)] == ["B-PER", "I-PER", "O", "O", "B-LOC"]
    assert np.allclose(mapped.sum(axis=1), 1, atol=1e-6)


# --- the text, and no gold ------------------------------------------------------------------------


def _poisoned(conll_text: str) -> str:
    """The same tokens with every other column replaced by tags no label set knows."""
    lines = []
    for line in conll_text.splitlines():
        lines.append(f"{line.split()[0]} POISON-{len(lines)}" if line.strip() else line)
    return "\n".join(lines) + "\n"


def test_conll_text_reads_the_token_column_only(tmp_path, toy_conll):
    real, poisoned = tmp_path / "real", tmp_path / "poisoned"
    for folder, text in ((real, (toy_conll / "es/train.txt").read_text()), (poisoned, _poisoned((toy_conll / "es/train.txt").read_text()))):
        folder.mkdir()
        (folder / "train.txt").write_text(text, encoding="utf-8")
        spec = json.dumps({"format": "conll", "path": str(folder / "train.txt")})
        main(["adapt-text", "--name", "ca", "--spec", spec, "--labels", ",".join(LABELS), "--max-sentences", "30", "--out", str(folder / "text.json")])
    a, b = read_corpus_tokens(real / "text.json"), read_corpus_tokens(poisoned / "text.json")
    assert a.token_lists == b.token_lists and len(a.token_lists) == 30
    assert '"tags"' not in (real / "text.json").read_text()  # nothing there to be taken for gold


def test_soft_labels_do_not_depend_on_the_tag_column(tmp_path, toy_conll, teacher):
    outputs = []
    for name, text in (("real", (toy_conll / "es/train.txt").read_text()), ("poisoned", _poisoned((toy_conll / "es/train.txt").read_text()))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "train.txt").write_text(text, encoding="utf-8")
        main(["adapt-text", "--name", "ca", "--spec", json.dumps({"format": "conll", "path": str(folder / "train.txt")}),
              "--labels", ",".join(LABELS), "--out", str(folder / "text.json")])
        main(["adapt-predict", "--model", str(teacher), "--labels", ",".join(LABELS), "--corpus", str(folder / "text.json"),
              "--out", str(folder / "soft.h5"), "--max-length", "32", "--device", "cpu"])
        with h5py.File(folder / "soft.h5") as f:
            outputs.append(f["probs"][:])
    assert np.array_equal(*outputs)


def test_scores_refuse_predictions_of_other_tokens_than_the_test_file(tmp_path, toy_conll, teacher, capsys):
    """A test file scores only predictions made on its own tokens: predictions on the adaptation's
    text, or on another test file, are one error line naming the prediction file; nothing is written."""
    labels = ",".join(LABELS)
    main(["adapt-test", "--name", "ca", "--test", str(toy_conll / "es/test.txt"), "--labels", labels, "--out", str(tmp_path / "gold.json")])
    main(["adapt-test", "--name", "ca", "--test", str(toy_conll / "es/dev.txt"), "--labels", labels, "--out", str(tmp_path / "other.json")])
    main(["adapt-text", "--name", "ca", "--spec", json.dumps({"format": "conll", "path": str(toy_conll / "es/train.txt")}),
          "--labels", labels, "--out", str(tmp_path / "text.json")])
    for corpus in ("gold", "other", "text"):
        main(["adapt-predict", "--model", str(teacher), "--labels", labels, "--corpus", str(tmp_path / f"{corpus}.json"),
              "--out", str(tmp_path / f"on-{corpus}.h5"), "--max-length", "32", "--device", "cpu"])
    for wrong, named in (("on-text.h5", "labels of another text"), ("on-other.h5", "tokens_sha256")):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(["adapt-scores", "--gold", str(tmp_path / "gold.json"), "--system", f"en={tmp_path / wrong}",
                  "--system", f"student={tmp_path / 'on-gold.h5'}", "--student", "student", "--out", str(tmp_path / "scores.csv")])
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 2 and "Traceback" not in "\n".join(err)
        assert wrong in err[-1] and named in err[-1], err[-1]
        assert not (tmp_path / "scores.csv").exists()


def test_plain_text_is_split_with_the_chosen_tokenisation(tmp_path):
    text = tmp_path / "ca.txt"
    text.write_text("Segons va informar l'agència EFE.\n\n(Madrid) Pere Aragonès, ahir.\n", encoding="utf-8")
    main(["adapt-text", "--name", "ca", "--spec", json.dumps({"format": "text", "path": str(text), "tokenisation": "punctuation"}),
          "--labels", ",".join(LABELS), "--out", str(tmp_path / "text.json")])
    tokens = read_corpus_tokens(tmp_path / "text.json").token_lists
    assert len(tokens) == 2  # the blank line is no sentence
    assert tokens[0][-2:] == ("EFE", ".") and tokens[1][:3] == ("(", "Madrid", ")")


# --- end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def given_model(toy_conll, tiny_encoder, tmp_path_factory):
    """A model this workflow did not train: a Dutch teacher with another label order and no MISC,
    built beforehand by `xner prepare` and `xner train-teacher` (as docs/adapt.md shows)."""
    folder = tmp_path_factory.mktemp("given")
    for split in ("train", "dev"):
        main(["prepare", "--lang", "nl", "--split", split, "--labels", ",".join(GIVEN_LABELS), "--out", str(folder / f"{split}.json"),
              "--source", json.dumps({"format": "conll", "path": str(toy_conll / "nl")})])
    main(["train-teacher", "--encoder", str(tiny_encoder), "--train", str(folder / "train.json"), "--dev", str(folder / "dev.json"),
          "--out", str(folder / "nl-model"), *FAST])
    return folder / "nl-model"


def _adapt_config(tmp_path, toy_conll, adapt, **overrides):
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    settings.update(languages=["en"], single_source={"source": "en", "targets": []}, multi_source={"targets": []}, adapt=adapt)
    settings.update(overrides)
    return write_config(tmp_path / "c.yaml", toy_conll, **settings)


def _raw_text(toy_conll, path):
    """The toy Spanish train sentences as raw lines: punctuation stuck to its word ("Madrid.")."""
    sentences = (toy_conll / "es/train.txt").read_text().strip().split("\n\n")
    lines = [" ".join(line.split()[0] for line in s.splitlines()).replace(" .", ".") for s in sentences]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_plain_text_with_a_given_and_a_trained_teacher(tmp_path, toy_conll, given_model):
    text = _raw_text(toy_conll, tmp_path / "ca.txt")
    test_file = tmp_path / "test.txt"
    test_file.write_text(_poisoned((toy_conll / "es/test.txt").read_text()), encoding="utf-8")  # unreadable as gold
    adapt = {"ca": {
        "text": {"format": "text", "path": str(text), "tokenisation": "punctuation"},
        "teachers": [{"language": "en"}, {"name": "nl-model", "model": str(given_model)}],
        "weighting": "avg", "agreement_sentences": 10, "test": {"path": str(test_file)},
    }}
    config = _adapt_config(tmp_path, toy_conll, adapt)
    # The student is built while the test file's tags could not even be parsed: they are not read.
    snakemake(tmp_path, "--cores", "2", "--configfile", str(config), "--", "results/adapt/ca/student")
    student = tmp_path / "results/adapt/ca/student"
    weights = hashlib.sha256((student / "model.safetensors").read_bytes()).hexdigest()

    results = tmp_path / "results/adapt/ca"
    with h5py.File(results / "softlabels/nl-model.h5") as f:
        given = f["probs"][:]
        assert json.loads(f.attrs["label_mapping"]) == {label: label for label in GIVEN_LABELS}
    assert (given[:, [LABELS.index("B-MISC"), LABELS.index("I-MISC")]] == 0).all()
    # The mapping only moves columns: the given model's own predictions, in the workflow's order.
    main(["predict", "--model", str(given_model), "--corpus", str(results / "text.json"), "--out", str(tmp_path / "own.h5"),
          "--max-length", "32", "--device", "cpu"])
    with h5py.File(tmp_path / "own.h5") as f:
        own = f["probs"][:]
    for j, label in enumerate(GIVEN_LABELS):
        assert np.allclose(given[:, LABELS.index(label)], own[:, j], atol=1e-6)
    with h5py.File(results / "mixture.h5") as f:
        assert np.allclose(f["probs"][:].sum(axis=1), 1, atol=1e-3)
    tokens = read_corpus_tokens(results / "text.json").token_lists
    assert any(t[-1] == "." and t[-2] != "." for t in tokens)  # "Madrid." was split

    card = (student / "README.md").read_text()
    assert "never saw target-language gold tags" in card and "nl-model" in card and "trained here on en" in card
    record = json.loads((student / "adaptation.json").read_text())
    assert record["text"]["text_sha256"] == hashlib.sha256(text.read_bytes()).hexdigest()
    assert record["text"]["n_sentences"] == len(tokens)
    assert record["agreement_set"]["sentences"] == 10
    assert [t["alpha"] for t in record["teachers"]] == [0.5, 0.5]

    # With the real test file, scoring runs; the student is not retrained.
    test_file.write_text((toy_conll / "es/test.txt").read_text(), encoding="utf-8")
    run = snakemake(tmp_path, "--cores", "2", "--configfile", str(config), "--", "adapt")
    assert hashlib.sha256((student / "model.safetensors").read_bytes()).hexdigest() == weights
    scores = (results / "scores.csv").read_text().splitlines()
    assert scores[0].startswith("system,precision,recall,f1,student_minus_system")
    assert [row.split(",")[0] for row in scores[1:]] == ["en", "nl-model", "ensemble", "student"]
    assert "| student" in run.stderr  # the workflow prints the comparison


# --- bad inputs: one line, before any job ---------------------------------------------------------


def _fake_model(folder, labels, architecture="BertForTokenClassification", **config):
    folder.mkdir(parents=True)
    body = {"architectures": [architecture], "model_type": "bert", "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 2, "vocab_size": 300, **config}
    if labels is not None:
        body["id2label"] = {str(i): name for i, name in enumerate(labels)}
    (folder / "config.json").write_text(json.dumps(body))
    return folder


def _fails_before_any_job(tmp_path, config, *expected):
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), "--", "adapt", check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("xner workflow: error:")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert all(e in lines[0] for e in expected), lines[0]
    assert "Traceback" not in result.stderr and "Job stats" not in result.stdout + result.stderr


def _entry(text, *teachers, **more):
    return {"text": {"format": "text", "path": str(text)}, "teachers": list(teachers), **more}


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "ca.txt"
    path.write_text("Maria viu a Girona.\n", encoding="utf-8")
    return path


def test_unmapped_labels(tmp_path, toy_conll, text_file):
    model = _fake_model(tmp_path / "m", ["O", "B-GPE", "I-GPE", "B-PER", "I-PER"])
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(model)})})
    _fails_before_any_job(tmp_path, config, "adapt.ca.teachers[0].labels", "B-GPE, I-GPE")


def test_explicit_mapping_makes_the_same_model_usable(tmp_path, toy_conll, text_file):
    model = _fake_model(tmp_path / "m", ["O", "B-GPE", "I-GPE", "B-PER", "I-PER"])
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(model), "labels": {"GPE": "LOC"}})})
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), "--", "adapt")
    assert "adapt_softlabels" in result.stdout + result.stderr


def test_name_clash_with_a_language(tmp_path, toy_conll, text_file):
    config = _adapt_config(tmp_path, toy_conll, {"en": _entry(text_file, {"language": "en"})})
    _fails_before_any_job(tmp_path, config, "adapt.en", "is a language")


def test_sim_without_source_text(tmp_path, toy_conll, text_file):
    model = _fake_model(tmp_path / "m", GIVEN_LABELS)
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"language": "en"}, {"name": "m", "model": str(model)}, weighting="sim")})
    _fails_before_any_job(tmp_path, config, "adapt.ca.teachers[1].source_text", "weighting: avg")


def test_teacher_folder_that_is_not_a_token_classifier(tmp_path, toy_conll, text_file):
    model = _fake_model(tmp_path / "m", None, architecture="BertModel")
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(model)})})
    _fails_before_any_job(tmp_path, config, "adapt.ca.teachers[0].model", "not a token-classification model")


def test_encoder_mismatch_under_init_teachers(tmp_path, toy_conll, text_file, tiny_encoder):
    model = _fake_model(tmp_path / "m", LABELS, hidden_size=64)
    student = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())["student"] | {"init": "teachers"}
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(model)})},
                           encoder=str(tiny_encoder), student=student)
    _fails_before_any_job(tmp_path, config, "student.init: teachers", "hidden_size 64 vs 32")


def test_init_teachers_takes_the_workflow_labels_in_another_order_but_not_another_set(tmp_path, toy_conll, text_file, tiny_encoder):
    student = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())["student"] | {"init": "teachers"}
    encoder = json.loads((tiny_encoder / "config.json").read_text())
    shape = {k: encoder[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")}
    reordered = _fake_model(tmp_path / "reordered", list(reversed(LABELS)), **shape)
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(reordered)})},
                           encoder=str(tiny_encoder), student=student)
    planned = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), "--", "adapt", check=False)
    assert planned.returncode == 0 and "adapt_student" in planned.stdout, planned.stderr[-2000:]
    no_misc = _fake_model(tmp_path / "no-misc", GIVEN_LABELS, **shape)
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text_file, {"name": "m", "model": str(no_misc)})},
                           encoder=str(tiny_encoder), student=student)
    _fails_before_any_job(tmp_path, config, "student.init: teachers", "not the workflow's")


@pytest.mark.parametrize("content, expected", [(b"", "is empty"), (b"\x00\x01binary\x00", "binary"), (b"caf\xe9\n", "is not utf-8")])
def test_bad_text_file(tmp_path, toy_conll, content, expected):
    text = tmp_path / "ca.txt"
    text.write_bytes(content)
    config = _adapt_config(tmp_path, toy_conll, {"ca": _entry(text, {"language": "en"})})
    _fails_before_any_job(tmp_path, config, str(text), expected)


def test_long_line_is_windowed_not_dropped(tmp_path, teacher):
    text = tmp_path / "long.txt"
    text.write_text(" ".join(["Maria", "viu", "a", "Girona"] * 5000) + "\n", encoding="utf-8")
    main(["adapt-text", "--name", "ca", "--spec", json.dumps({"format": "text", "path": str(text)}), "--labels", ",".join(LABELS),
          "--out", str(tmp_path / "text.json")])
    main(["adapt-predict", "--model", str(teacher), "--labels", ",".join(LABELS), "--corpus", str(tmp_path / "text.json"),
          "--out", str(tmp_path / "soft.h5"), "--max-length", "32", "--device", "cpu"])
    with h5py.File(tmp_path / "soft.h5") as f:
        assert f["probs"].shape == (20000, len(LABELS))
        assert np.allclose(f["probs"][:].sum(axis=1), 1, atol=1e-3)


def test_adapt_example_plans_one_teacher_two_soft_label_files_and_one_student(tmp_path, toy_conll, given_model):
    """config/adapt-example.yaml with its paths pointed at toy files and a given model made here."""
    example = yaml.safe_load((REPO / "config/adapt-example.yaml").read_text())
    entry = example["adapt"]["es"]
    entry["text"]["path"] = str(toy_conll / "es/train.txt")
    entry["test"]["path"] = str(toy_conll / "es/test.txt")
    entry["teachers"][1]["model"] = str(given_model)
    example["data"]["conll_dir"] = str(toy_conll)
    example["student"]["init"] = "pretrained"  # the toy given model has no MISC: its weights cannot be averaged
    config = tmp_path / "example.yaml"
    config.write_text(yaml.safe_dump(example))
    jobs = planned_jobs(tmp_path, "--configfile", str(config), "--", "adapt")
    assert jobs["train_teacher"] == 1 and jobs["adapt_softlabels"] == 2 and jobs["adapt_student"] == 1
    assert jobs["adapt_predict_teacher"] == 2 and jobs["adapt_scores"] == 1
    assert jobs["adapt_student_on_text"] == 1 and jobs["adapt_report"] == 1  # the label-free report
    assert "train_student" not in jobs and "adapt_embed_text" not in jobs  # avg needs no embeddings


@pytest.mark.slow
def test_only_given_models_need_no_labelled_data(tmp_path, toy_conll, given_model):
    empty = tmp_path / "no-data"
    empty.mkdir()
    text = _raw_text(toy_conll, tmp_path / "ca.txt")
    adapt = {"ca": {"text": {"format": "text", "path": str(text), "tokenisation": "punctuation"},
                    "teachers": [{"name": "nl-model", "model": str(given_model)}]}}
    config = _adapt_config(tmp_path, empty, adapt)
    run = snakemake(tmp_path, "--cores", "2", "--configfile", str(config), "--", "adapt")
    assert "no folder" in run.stderr and "Traceback" not in run.stderr  # en has no data here, and nothing needs it
    assert (tmp_path / "results/adapt/ca/student/model.safetensors").is_file()
    assert not (tmp_path / "results/teachers").exists() and not (tmp_path / "results/corpora").exists()
