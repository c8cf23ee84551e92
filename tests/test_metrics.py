import warnings

import pytest
from seqeval.metrics import f1_score

from xner.metrics import score

GOLD = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["O", "B-ORG", "I-ORG", "O", "B-LOC", "I-LOC"],
]


def test_perfect():
    result = score(GOLD, GOLD)
    for mode in ("default", "strict"):
        assert result[mode]["f1"] == result[mode]["precision"] == result[mode]["recall"] == 1.0
        assert set(result[mode]["per_type"]) == {"PER", "ORG", "LOC"}
        assert result[mode]["per_type"]["LOC"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert (result["n_sentences"], result["n_words"]) == (2, 10)
    assert result["n_gold_entities"] == result["n_pred_entities"] == 4


def test_all_o_prediction_scores_zero_without_warnings():
    pred = [["O"] * len(s) for s in GOLD]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = score(GOLD, pred)
    assert result["default"]["precision"] == result["default"]["recall"] == result["default"]["f1"] == 0.0
    assert result["default"]["per_type"]["PER"]["support"] == 1
    assert result["n_pred_entities"] == 0


def test_entity_starting_with_i_default_vs_strict():
    # The PER entity is predicted as I-PER I-PER: conlleval-style default mode accepts it as an
    # entity, strict IOB2 does not. LOC in sentence 1 is missed; sentence 2 is right.
    pred = [
        ["I-PER", "I-PER", "O", "O"],
        ["O", "B-ORG", "I-ORG", "O", "B-LOC", "I-LOC"],
    ]
    result = score(GOLD, pred)
    d, s = result["default"], result["strict"]
    # default: 3 predicted, 3 correct, 4 gold
    assert d["precision"] == 1.0
    assert d["recall"] == pytest.approx(3 / 4)
    assert d["f1"] == pytest.approx(2 * 1 * 0.75 / 1.75)
    assert d["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert d["per_type"]["LOC"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    # strict: the I-PER span is no entity, so 2 predicted, 2 correct
    assert s["precision"] == 1.0
    assert s["recall"] == pytest.approx(2 / 4)
    assert s["f1"] == pytest.approx(2 / 3)
    assert s["per_type"]["PER"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["n_pred_entities"] == 3
    # Same numbers as calling seqeval directly.
    assert d["f1"] == pytest.approx(f1_score(GOLD, pred))


def test_wrong_type_and_boundary():
    gold = [["B-PER", "I-PER", "O", "B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC", "O"]]  # PER too short, ORG typed as LOC
    result = score(gold, pred)
    assert result["default"]["f1"] == 0.0
    per_type = result["default"]["per_type"]
    assert set(per_type) == {"PER", "ORG", "LOC"}
    assert per_type["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert per_type["ORG"]["support"] == 1


def test_mixed_precision_recall():
    gold = [["B-PER", "O", "B-LOC", "O", "B-MISC"]]
    pred = [["B-PER", "B-LOC", "B-LOC", "O", "O"]]
    d = score(gold, pred)["default"]
    assert d["precision"] == pytest.approx(2 / 3)
    assert d["recall"] == pytest.approx(2 / 3)
    assert d["per_type"]["LOC"]["precision"] == pytest.approx(0.5)
    assert d["per_type"]["MISC"]["recall"] == 0.0


def test_accepts_tuples():
    assert score([tuple(s) for s in GOLD], [tuple(s) for s in GOLD])["default"]["f1"] == 1.0


def test_shape_errors():
    with pytest.raises(ValueError, match="2 sentences but pred has 1"):
        score(GOLD, GOLD[:1])
    with pytest.raises(ValueError, match="sentence 1: gold has 6 tags but pred has 5"):
        score(GOLD, [GOLD[0], GOLD[1][:5]])
    with pytest.raises(ValueError, match="no sentences"):
        score([], [])
    with pytest.raises(ValueError, match="sentence 0: pred tag 'PER'"):
        score([["O"]], [["PER"]])


def test_entity_counts_add_up_to_seqeval_default_f1():
    import numpy as np

    from xner.metrics import entity_counts, f1_of_counts

    # An I- start counts as an entity in the default mode; the second sentence's LOC is cut short.
    pred = [["B-PER", "I-PER", "O", "I-LOC"], ["O", "B-ORG", "I-ORG", "O", "B-LOC", "O"]]
    counts = entity_counts(GOLD, pred)
    assert counts.tolist() == [[2, 2, 2], [1, 2, 2]]
    assert f1_of_counts(counts.sum(0)) == pytest.approx(f1_score(GOLD, pred)) == pytest.approx(0.75)
    assert f1_of_counts(np.array([0, 0, 0])) == 0.0  # nothing predicted, nothing gold


def test_paired_bootstrap_separates_a_better_system_from_an_equal_one():
    import numpy as np

    from xner.metrics import paired_bootstrap

    rng = np.random.default_rng(3)
    gold = rng.integers(1, 4, size=400)
    baseline = np.stack([gold // 2, gold, gold], axis=1)  # finds about half of each sentence's entities
    better = np.stack([gold, gold, gold], axis=1)  # finds all of them
    same = paired_bootstrap(baseline, baseline, resamples=200)
    assert same == {"difference": 0.0, "low": 0.0, "high": 0.0, "a_not_better": 1.0}
    gain = paired_bootstrap(better, baseline, resamples=200)
    assert gain["difference"] > 0.2 and 0 < gain["low"] < gain["difference"] < gain["high"]
    assert gain["a_not_better"] == 0.0
    assert paired_bootstrap(better, baseline, resamples=200) == gain  # seeded: the same resamples
    with pytest.raises(ValueError, match="different sentences"):
        paired_bootstrap(better, baseline[:-1])
