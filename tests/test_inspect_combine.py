import json

import numpy as np
import pytest

from xner.cli import main
from xner.combine import combine
from xner.corpus import tokens_sha256
from xner.inspect_probs import run
from xner.labels import DEFAULT_LABELS
from xner.softlabels import WordProbs, write_word_probs

TEXT = [["Hof", "sagte", "."], ["EFE", "."]]


def probs_file(path, seed, words=TEXT, labels=DEFAULT_LABELS, attrs=None):
    rng = np.random.default_rng(seed)
    blocks = [[rng.dirichlet(np.ones(len(labels)), len(t)).astype(np.float32) for t in words]]
    write_word_probs(path, words, blocks, labels, {"lang": "de", "split": "train", "tokens_sha256": tokens_sha256(words)} | (attrs or {}))
    return path


def test_inspect_summary_sentence_and_agreement(tmp_path, capsys):
    a, b = probs_file(tmp_path / "a.h5", 0), probs_file(tmp_path / "b.h5", 1)
    report = json.loads(run(a, sentence=1, other=b, as_json=True))
    soft = WordProbs(a)
    s = report["summary"]
    assert (s["sentences"], s["words"]) == (2, 5)
    assert s["mean_max_probability"] == pytest.approx(soft.probs.max(1).mean())
    assert sum(s["predicted_label_counts"].values()) == 5
    best = soft.probs[3]
    assert report["sentence"]["text"].startswith(f"EFE [{DEFAULT_LABELS[best.argmax()]}, {best.max():.2f}] .")
    expected = (soft.probs.argmax(1) == WordProbs(b).probs.argmax(1)).mean()
    assert report["agreement"]["argmax_agreement"] == pytest.approx(expected)
    main(["inspect", str(a), "--sentence", "0"])
    text = capsys.readouterr().out
    assert "2 sentences, 5 words" in text and "sentence 0: Hof [" in text


def test_combine_is_the_weighted_sum(tmp_path):
    a, b = probs_file(tmp_path / "a.h5", 0), probs_file(tmp_path / "b.h5", 1)
    combine([a, b], [0.25, 0.75], tmp_path / "mix.h5")
    mix = WordProbs(tmp_path / "mix.h5")
    np.testing.assert_allclose(mix.probs, 0.25 * WordProbs(a).probs + 0.75 * WordProbs(b).probs, rtol=1e-6)
    assert json.loads(mix.attrs["alpha"]) == [0.25, 0.75]
    assert "mean_max_probability" in json.loads(run(tmp_path / "mix.h5", as_json=True))["summary"]


@pytest.mark.parametrize(
    "other, message",
    [
        (dict(words=[["Hof", "sagte", "."], ["EFE", "!"]]), "same target text"),
        (dict(labels=DEFAULT_LABELS[::-1]), "label set .* differs"),
        (dict(attrs={"split": "dev"}), "split differs"),
    ],
)
def test_combine_rejects_mismatched_files(tmp_path, other, message):
    a, b = probs_file(tmp_path / "a.h5", 0), probs_file(tmp_path / "b.h5", 1, **other)
    with pytest.raises(ValueError, match=message):
        combine([a, b], [0.5, 0.5], tmp_path / "mix.h5")
    assert not (tmp_path / "mix.h5").exists()


def test_combine_rejects_bad_weights(tmp_path):
    a = probs_file(tmp_path / "a.h5", 0)
    with pytest.raises(ValueError, match="sum to 1"):
        combine([a, a], [0.5, 0.6], tmp_path / "mix.h5")
