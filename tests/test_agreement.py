"""The label-free agreement set, early stopping with best weights, KL loss and warm-started students."""

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from xner.agreement import agreement, split_agreement_set
from xner.cli import main
from xner.softlabels import WordProbs
from xner.student import distillation_loss, kl_loss
from xner.train import TrainSettings, fit

from conftest import FAST


def test_agreement_set_is_seeded_disjoint_and_complete():
    train, held = split_agreement_set(50, 10, seed=3)
    again_train, again_held = split_agreement_set(50, 10, seed=3)
    np.testing.assert_array_equal(held, again_held)
    np.testing.assert_array_equal(train, again_train)
    assert len(held) == 10 and not set(train) & set(held)
    assert sorted(set(train) | set(held)) == list(range(50))
    assert not np.array_equal(held, split_agreement_set(50, 10, seed=4)[1])
    with pytest.raises(ValueError, match="needs 0 < size < 50"):
        split_agreement_set(50, 50, seed=3)


def test_agreement_figures_match_hand_computation():
    # Labels (O, B-PER). Word 1: target O (not an entity word). Word 2: target B-PER, predicted
    # B-PER. Word 3: target B-PER, predicted O. Entity agreement 1 of 2.
    targets = [np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.4, 0.6]])]
    predicted = [np.array([[1.0, 0.0], [0.3, 0.7]]), np.array([[0.5, 0.5 - 1e-9]])]
    got = agreement(predicted, targets, outside=0)
    assert got["entity_agreement"] == 0.5 and got["entity_words"] == 2
    squared = [0.01, 0.01, 0.01, 0.01, 0.01, 0.01]
    assert got["mse"] == pytest.approx(np.mean(squared))
    kl = [0.9 * np.log(0.9 / 1.0) + 0.1 * np.log(0.1 / 1e-8), 0.2 * np.log(0.2 / 0.3) + 0.8 * np.log(0.8 / 0.7), 0.4 * np.log(0.4 / 0.5) + 0.6 * np.log(0.6 / 0.5)]
    assert got["kl"] == pytest.approx(np.mean(kl), rel=1e-4)


def test_kl_loss_matches_hand_computation():
    logits = torch.tensor([[[0.0, 0.0], [np.log(3.0), 0.0]]])
    targets = torch.tensor([[[1.0, 0.0], [0.75, 0.25]]])
    mask = torch.tensor([[True, True]])
    # word 1: KL([1, 0] || [.5, .5]) = ln 2; word 2: KL = 0. Sentence mean: ln 2 / 2.
    assert kl_loss(logits, targets, mask).item() == pytest.approx(np.log(2) / 2, rel=1e-5)


class ScriptedMonitor:
    """Returns scripted entity agreements and remembers the weights it saw at each measurement."""

    def __init__(self, values):
        self.values, self.seen = list(values), []

    def __call__(self, model):
        self.seen.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return {"entity_agreement": self.values.pop(0), "mse": 0.0, "kl": 0.0, "entity_words": 1}


@pytest.fixture(scope="module")
def tiny_model_and_data(soft_es, tiny_encoder):
    from transformers import AutoTokenizer

    from xner.model import new_model

    soft = WordProbs(soft_es)
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    return lambda: new_model(str(tiny_encoder), soft.label_names), tokenizer, soft.token_lists(), soft.prob_lists()


def test_patience_stops_and_best_weights_are_kept(tiny_model_and_data):
    make_model, tokenizer, tokens, targets = tiny_model_and_data
    # Measured before step 0 (reference only), then after steps 2, 4, 6, 8: best at step 4, then
    # two measurements without improvement -> stop after step 8 of the 40 the epochs would give.
    monitor = ScriptedMonitor([0.99, 0.2, 0.7, 0.5, 0.6, 0.9])
    settings = TrainSettings(epochs=20, batch_size=8, lr=1e-3, freeze_layers=1, max_length=32, eval_every=2, patience=2, keep_best=True)
    model = make_model()
    history, stopping = fit(model, tokenizer, tokens, targets, distillation_loss, settings, torch.device("cpu"), monitor=monitor)
    assert stopping["stopped_early"] and stopping["steps"] == 8 and stopping["best_step"] == 4
    assert stopping["best_heldout_entity_agreement"] == 0.7 and stopping["planned_steps"] > 8
    assert [r["step"] for r in history if "heldout_entity_agreement" in r] == [0, 2, 4, 6, 8]
    best = monitor.seen[2]
    final = model.state_dict()
    assert all(torch.equal(final[k], best[k]) for k in final)
    assert not all(torch.equal(final[k], monitor.seen[-1][k]) for k in final)


def test_without_keep_best_the_last_weights_stay_and_max_steps_caps(tiny_model_and_data):
    make_model, tokenizer, tokens, targets = tiny_model_and_data
    monitor = ScriptedMonitor([0.5, 0.9, 0.1, 0.1])
    settings = TrainSettings(epochs=20, batch_size=8, lr=1e-3, freeze_layers=1, max_length=32, eval_every=2, max_steps=5)
    model = make_model()
    history, stopping = fit(model, tokenizer, tokens, targets, distillation_loss, settings, torch.device("cpu"), monitor=monitor)
    assert stopping["steps"] == 5 and not stopping["stopped_early"] and stopping["weights"] == "last (step 5)"
    assert [r["step"] for r in history if "heldout_entity_agreement" in r] == [0, 2, 4, 5]
    final = model.state_dict()
    assert all(torch.equal(final[k], monitor.seen[-1][k]) for k in final)


def test_a_measurement_just_before_the_end_gives_way_to_the_final_one(tiny_model_and_data):
    make_model, tokenizer, tokens, targets = tiny_model_and_data
    monitor = ScriptedMonitor([0.5, 0.6, 0.7, 0.8])
    settings = TrainSettings(epochs=20, batch_size=8, lr=1e-3, freeze_layers=1, max_length=32, eval_every=4, max_steps=9)
    history, stopping = fit(make_model(), tokenizer, tokens, targets, distillation_loss, settings, torch.device("cpu"), monitor=monitor)
    # Step 8 is one step, under half an interval, before the end: 9 is measured instead.
    assert [r["step"] for r in history if "heldout_entity_agreement" in r] == [0, 4, 9]
    assert stopping["steps"] == 9


def test_student_with_agreement_set(soft_es, tiny_encoder, tmp_path):
    out = tmp_path / "student"
    main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(out), *FAST,
          "--agreement-sentences", "6", "--eval-every", "3", "--patience", "50", "--keep-best", "--loss", "kl"])
    summary = json.loads((out / "training_summary.json").read_text())
    n = WordProbs(soft_es).n_sentences
    held = summary["agreement_set"]["indices"]
    assert len(held) == 6 and summary["trained_sentences"] == n - 6 and summary["loss"] == "kl"
    np.testing.assert_array_equal(held, split_agreement_set(n, 6, seed=1)[1])
    measured = [r for r in summary["history"] if "heldout_entity_agreement" in r]
    assert measured[0]["step"] == 0 and measured[-1]["step"] == summary["stopping"]["steps"]
    assert all(0 <= r["heldout_entity_agreement"] <= 1 and r["heldout_kl"] >= 0 for r in measured)


def test_patience_needs_an_agreement_set(soft_es, tiny_encoder, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(tmp_path / "s"), *FAST, "--patience", "2"])
    assert exit_info.value.code == 2 and "--agreement-sentences" in capsys.readouterr().err


def test_student_started_from_its_teacher_agrees_with_it_before_training(soft_es, tiny_encoder, teacher, tmp_path):
    out = tmp_path / "student"
    main(["train-student", "--encoder", str(tiny_encoder), "--softlabels", str(soft_es), "--out", str(out), *FAST,
          "--init", "teachers", "--agreement-sentences", "6", "--eval-every", "3"])
    summary = json.loads((out / "training_summary.json").read_text())
    assert summary["init"] == {"from": "teachers", "teachers": [{"model": str(teacher), "weight": 1.0}]}
    before = next(r for r in summary["history"] if r.get("step") == 0 and "heldout_mse" in r)
    # The untrained student is the teacher, so it reproduces the teacher's soft labels.
    assert before["heldout_entity_agreement"] == 1.0 and before["heldout_mse"] < 1e-10


def test_alpha_weighted_average_of_two_teachers(soft_es, teacher, tiny_encoder, tmp_path):
    from xner.combine import combine
    from xner.model import new_model
    from xner.student import start_from_teachers, teachers_of

    other = tmp_path / "other-teacher"
    shutil.copytree(teacher, other)
    weights = load_file(teacher / "model.safetensors")
    # The embeddings stay as they are (frozen in training): every teacher shares them.
    shifted = {k: v + 1.0 if v.is_floating_point() and "embeddings" not in k else v for k, v in weights.items()}
    save_file(shifted, other / "model.safetensors")
    other_soft = tmp_path / "other.h5"
    shutil.copy(soft_es, other_soft)
    import h5py

    with h5py.File(other_soft, "a") as f:
        f.attrs["source_model"] = str(other)
    mixed = tmp_path / "mixed.h5"
    combine([soft_es, other_soft], [0.25, 0.75], mixed)
    found = teachers_of(WordProbs(mixed))
    assert found == [(str(teacher), 0.25), (str(other), 0.75)]
    model = new_model(str(tiny_encoder), WordProbs(mixed).label_names)
    start_from_teachers(model, found)
    shared = [k for k in weights if "embeddings" in k]
    assert shared
    for k, v in model.state_dict().items():
        if k in shared:
            assert torch.equal(v, weights[k])
        elif k in weights and v.is_floating_point():
            torch.testing.assert_close(v, weights[k] + 0.75)


def _relabelled_copy(teacher, out, order):
    """`teacher` with its labels in `order` (indices into its own labels): labels.json, config.json
    and the classifier's rows permuted together, so it is the same model."""
    shutil.copytree(teacher, out)
    labels = json.loads((teacher / "labels.json").read_text())
    new_labels = [labels[i] for i in order]
    (out / "labels.json").write_text(json.dumps(new_labels))
    config = json.loads((teacher / "config.json").read_text())
    config["id2label"] = {str(i): name for i, name in enumerate(new_labels)}
    config["label2id"] = {name: i for i, name in enumerate(new_labels)}
    (out / "config.json").write_text(json.dumps(config))
    weights = load_file(teacher / "model.safetensors")
    index = torch.tensor(order)
    save_file({k: v.index_select(0, index) if k.startswith("classifier.") else v for k, v in weights.items()}, out / "model.safetensors")
    return new_labels


def test_a_teacher_with_another_label_order_starts_the_same_student(soft_es, teacher, tiny_encoder, tmp_path):
    from xner.model import new_model
    from xner.student import start_from_teachers

    labels = json.loads((teacher / "labels.json").read_text())
    reordered = tmp_path / "reordered"
    new_labels = _relabelled_copy(teacher, reordered, list(reversed(range(len(labels)))))
    assert new_labels != labels
    (reordered / "labels.json").unlink()  # a folder from elsewhere: its order comes from config.json
    direct, via_reordered = (new_model(str(tiny_encoder), labels) for _ in range(2))
    start_from_teachers(direct, [(str(teacher), 1.0)])
    start_from_teachers(via_reordered, [(str(reordered), 1.0)])
    for k, v in direct.state_dict().items():
        assert torch.equal(v, via_reordered.state_dict()[k]), k


def test_a_teacher_of_another_label_set_is_refused(teacher, tiny_encoder, tmp_path):
    from xner.errors import XnerError
    from xner.model import new_model
    from xner.student import start_from_teachers

    labels = json.loads((teacher / "labels.json").read_text())
    model = new_model(str(tiny_encoder), labels[:-2] + ["B-GPE", "I-GPE"])
    with pytest.raises(XnerError, match="are not the soft labels'"):
        start_from_teachers(model, [(str(teacher), 1.0)])


def test_a_missing_teacher_folder_is_named(soft_es, tmp_path):
    import h5py

    from xner.student import teachers_of

    moved = tmp_path / "soft.h5"
    shutil.copy(soft_es, moved)
    with h5py.File(moved, "a") as f:
        f.attrs["source_model"] = str(tmp_path / "gone")
    with pytest.raises(ValueError, match="gone"):
        teachers_of(WordProbs(moved))
