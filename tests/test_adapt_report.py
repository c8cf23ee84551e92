"""An adaptation's label-free report, from small soft-label files and a tag-free text written here."""

import json

import numpy as np
import pytest

from xner.adapt import write_text_corpus
from xner.adapt_report import (
    HISTOGRAM_BINS, NOT_SEEN, agreement_curve, confidence_histogram, entity_counts, entity_types, example_indices,
    pairwise_agreement, tagged,
)
from xner.cli import main
from xner.io import tokens_sha256
from xner.softlabels import write_word_probs

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
TEXT = [("Maria", "viu", "a", "Girona", "."), ("Segons", "EFE", ",", "Pere", "Aragonès", "parla", "."), ("Plou", "molt", ".")]
# Argmax tags the files below are built to give.
TEACHER_TAGS = [["B-PER", "O", "O", "B-LOC", "O"], ["O", "B-ORG", "O", "B-PER", "I-PER", "O", "O"], ["O", "O", "O"]]
OTHER_TAGS = [["B-PER", "O", "O", "B-ORG", "O"], ["O", "B-MISC", "O", "B-PER", "I-PER", "O", "O"], ["O", "O", "O"]]


def test_entity_types_follow_the_label_order():
    assert entity_types(LABELS) == ["PER", "ORG", "LOC", "MISC"]


def test_entity_counts_of_known_tags():
    counts = entity_counts({"a": TEACHER_TAGS, "b": OTHER_TAGS}, entity_types(LABELS)).set_index("system")
    assert counts.loc["a"].to_dict() == {"PER": 2, "ORG": 1, "LOC": 1, "MISC": 0, "all": 4}
    assert counts.loc["b"].to_dict() == {"PER": 2, "ORG": 1, "LOC": 0, "MISC": 1, "all": 4}


def test_pairwise_agreement_is_one_for_identical_systems_and_less_otherwise():
    table = pairwise_agreement({"a": TEACHER_TAGS, "same": [list(t) for t in TEACHER_TAGS], "b": OTHER_TAGS})
    rows = {(r.reference, r.other): r for r in table.itertuples()}
    assert rows["a", "same"].word_agreement == 1.0 and rows["a", "same"].entity_f1 == 1.0
    assert rows["a", "b"].word_agreement == pytest.approx(13 / 15)  # two of 15 words differ
    assert rows["a", "b"].entity_f1 == pytest.approx(0.5)  # 2 of 4 entities shared each way
    assert len(table) == 3


def test_two_systems_without_entities_agree_and_have_no_entity_f1():
    nothing = [["O"] * len(t) for t in TEXT]
    row = pairwise_agreement({"a": nothing, "b": [list(t) for t in nothing]}).iloc[0]
    assert row.word_agreement == 1.0 and np.isnan(row.entity_f1)


def test_confidence_histogram_counts_every_word_once():
    rng = np.random.default_rng(0)
    probs = {"a": rng.dirichlet(np.ones(9), size=40), "b": np.eye(9)[rng.integers(0, 9, 40)] * (1 + 1e-7)}
    histogram = confidence_histogram(probs)
    assert len(histogram) == len(HISTOGRAM_BINS) - 1
    assert histogram["a"].sum() == 40 and histogram["b"].sum() == 40
    assert histogram["b"].iloc[-1] == 40  # certain words (a hair above 1 in float32) fall in the last bin


def test_agreement_curve_keeps_agreement_set_records_only():
    history = [{"step": 0, "epoch": 0, "heldout_entity_agreement": 0.1, "heldout_mse": 0.2, "heldout_kl": 0.3},
               {"step": 5, "epoch": 0.5, "loss": 1.0, "entity_agreement": 0.4},
               {"step": 10, "epoch": 1, "heldout_entity_agreement": 0.6, "heldout_mse": 0.1, "heldout_kl": 0.2}]
    curve = agreement_curve(history)
    assert curve["step"].tolist() == [0, 10] and curve["entity_agreement"].tolist() == [0.1, 0.6]


def test_examples_prefer_sentences_with_entities_and_are_seeded():
    with_entities = list(range(0, 100, 3))  # 34 of 100
    chosen = example_indices(with_entities, 100, 20, seed=1)
    assert len(chosen) == 20 and set(chosen) <= set(with_entities) and chosen == sorted(chosen)
    assert example_indices(with_entities, 100, 20, seed=1) == chosen
    assert example_indices(with_entities, 100, 20, seed=2) != chosen
    few = example_indices([2, 5], 8, 20, seed=0)
    assert few == list(range(8))  # all of them when there are fewer
    assert set(example_indices([2, 5], 8, 4, seed=0)) >= {2, 5}


def test_tagged_shows_each_word_with_label_and_probability():
    probs = np.array([[0.02, 0, 0, 0.97, 0.01, 0, 0, 0, 0], [0.9, 0, 0, 0, 0.1, 0, 0, 0, 0]])
    assert tagged(["EFE", "informa"], probs, LABELS) == "EFE [B-ORG 0.97] informa [O 0.90]"


# --- the command ---------------------------------------------------------------------------------


def _probs_of(tags, confidence):
    rows = np.full((len(tags), len(LABELS)), (1 - confidence) / (len(LABELS) - 1), dtype=np.float32)
    rows[np.arange(len(tags)), [LABELS.index(t) for t in tags]] = confidence
    return rows


def _soft_file(path, token_lists, tag_lists, confidence, **attrs):
    blocks = [[_probs_of(t, confidence) for t in tag_lists]]
    write_word_probs(path, token_lists, blocks, LABELS,
                     {"lang": "ca", "split": "text", "tokens_sha256": tokens_sha256(token_lists), **attrs})
    return path


@pytest.fixture
def inputs(tmp_path):
    """An adaptation's files: text, two teachers, mixture, the student's predictions and folder, α."""
    corpus = tmp_path / "text.json"
    write_text_corpus(corpus, "ca", "text", TEXT, LABELS, "ca.txt (test)", "ab" * 32)
    files = {
        "en": _soft_file(tmp_path / "en.h5", TEXT, TEACHER_TAGS, 0.9),
        "nl": _soft_file(tmp_path / "nl.h5", TEXT, OTHER_TAGS, 0.6),
        "mixture": _soft_file(tmp_path / "mixture.h5", TEXT, TEACHER_TAGS, 0.75),
        "student": _soft_file(tmp_path / "student.h5", TEXT, TEACHER_TAGS, 0.97),
    }
    student = tmp_path / "student"
    student.mkdir()
    history = [{"step": s, "epoch": s / 10, "heldout_entity_agreement": a, "heldout_mse": 0.1, "heldout_kl": 0.2}
               for s, a in ((0, 0.0), (10, 0.5), (20, 0.8))]
    summary = {"role": "student", "history": history, "agreement_set": {"sentences": 1, "seed": 1, "indices": [1]}}
    (student / "training_summary.json").write_text(json.dumps(summary))
    alpha = tmp_path / "alpha.json"
    alpha.write_text(json.dumps({"method": "avg", "target": {"lang": "ca"}, "alpha": {"en": 0.5, "nl": 0.5}}))
    return tmp_path, corpus, files, student, alpha


def _args(inputs, out, **replace):
    tmp_path, corpus, files, student, alpha = inputs
    values = {"corpus": corpus, "mixture": files["mixture"], "student_probs": files["student"], "student": student, "alpha": alpha} | replace
    teachers = replace.get("teachers", {"en": files["en"], "nl": files["nl"]})
    return ["adapt-report", "--name", "ca", "--corpus", str(values["corpus"]),
            *[x for name, path in teachers.items() for x in ("--teacher", f"{name}={path}")],
            "--mixture", str(values["mixture"]), "--student-probs", str(values["student_probs"]),
            "--student", str(values["student"]), "--alpha", str(values["alpha"]), "--out", str(out)]


def test_report_page_and_figures(inputs):
    out = inputs[0] / "report"
    main(_args(inputs, out))
    assert sorted(p.name for p in out.iterdir()) == ["agreement.png", "confidence.png", "report.md"]
    for png in ("agreement.png", "confidence.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.md").read_text(encoding="utf-8")
    assert NOT_SEEN in page and "`" + "ab" * 32 + "`" in page and "3 sentences, 15 words" in page
    assert "en α = 0.5000, nl α = 0.5000" in page
    # The student's tags equal the mixture's on the agreement sentence: entity F1 1 there.
    assert "against the mixture's argmax tags there: **1.0000**" in page
    assert "![agreement curve](agreement.png)" in page and "![confidence histogram](confidence.png)" in page
    # Every sentence is an example here (3 < 20), two of them with entities.
    assert page.count("\nstudent  ") == 3 and "## 3 example sentences" in page
    assert "EFE [B-ORG 0.97]" in page and "EFE [B-ORG 0.75]" in page
    # en and nl differ on 2 of 15 words and share 2 of their 4 entities each.
    pair = next(line for line in page.splitlines() if line.startswith("| en ") and "| nl " in line)
    assert [cell.strip() for cell in pair.strip("|").split("|")] == ["en", "nl", "0.8667", "0.5000"]
    last_step = next(line for line in page.splitlines() if line.startswith("|") and "0.8000" in line)
    assert [cell.strip() for cell in last_step.strip("|").split("|")][:3] == ["20", "2.0000", "0.8000"]
    assert not list(inputs[0].glob(".report.tmp-*"))


def test_without_an_agreement_set_no_curve_is_drawn(inputs):
    student = inputs[3]
    (student / "training_summary.json").write_text(json.dumps({"role": "student", "history": [], "agreement_set": None}))
    out = inputs[0] / "report"
    main(_args(inputs, out))
    assert sorted(p.name for p in out.iterdir()) == ["confidence.png", "report.md"]
    assert "No agreement set was held out" in (out / "report.md").read_text(encoding="utf-8")


def _fails_in_one_line(capsys, argv, *expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("xner adapt-report: error:") and all(e in err for e in expected), err


def test_soft_labels_of_another_text_are_refused(inputs, capsys):
    other = [list(t) for t in TEXT]
    other[2][0] = "Neva"
    wrong = _soft_file(inputs[0] / "other.h5", other, TEACHER_TAGS, 0.9)
    out = inputs[0] / "report"
    out.mkdir()
    (out / "report.md").write_text("an earlier report")
    _fails_in_one_line(capsys, _args(inputs, out, teachers={"en": wrong, "nl": inputs[2]["nl"]}), str(wrong), "tokens_sha256")
    assert [p.name for p in out.iterdir()] == ["report.md"] and (out / "report.md").read_text() == "an earlier report"


@pytest.mark.parametrize("what", ["mixture", "student", "alpha"])
def test_missing_or_mismatched_input(inputs, capsys, what):
    tmp_path = inputs[0]
    out = tmp_path / "report"
    if what == "mixture":
        _fails_in_one_line(capsys, _args(inputs, out, mixture=tmp_path / "none.h5"), "none.h5", "does not exist")
    elif what == "student":
        (inputs[3] / "training_summary.json").unlink()
        _fails_in_one_line(capsys, _args(inputs, out), str(inputs[3]), "training_summary.json")
    else:
        inputs[4].write_text(json.dumps({"method": "avg", "alpha": {"en": 1.0}}))
        _fails_in_one_line(capsys, _args(inputs, out), str(inputs[4]), "['en', 'nl']")
    assert not out.exists()


def test_a_bad_teacher_option_is_one_line(inputs, capsys):
    argv = _args(inputs, inputs[0] / "report")
    argv[argv.index("--teacher") + 1] = "en"
    _fails_in_one_line(capsys, argv, "--teacher", "NAME=SOFT.h5")
