"""Teacher weights α (Eq. 7-11, Table 5) and frozen-encoder sentence embeddings (§4.1)."""

import json
import math

import numpy as np
import pytest
import torch

from xner.corpus import tokens_sha256
from xner.embed import read_embeddings, sentence_embeddings, write_embeddings
from xner.similarity import (
    LanguageIdentifier,
    alpha_from_scores,
    compute_alpha,
    cosine_scores,
    neg_l2_scores,
    temperature,
    train_language_identifier,
    write_alpha_json,
)


def _identifier(U, V, P):
    """A LanguageIdentifier with explicit U, V (d×m) and P (m×K, columns µ_k)."""
    P = torch.tensor(P, dtype=torch.float32)
    model = LanguageIdentifier(P.t(), rank=len(U))
    with torch.no_grad():
        model.U.copy_(torch.tensor(U, dtype=torch.float32))
        model.V.copy_(torch.tensor(V, dtype=torch.float32))
    return model


def test_bilinear_score_by_hand():
    # m = 2, d = 2, K = 2.  U = [[1,0],[2,1]], V = [[0,1],[1,1]], µ1 = (1,2), µ2 = (3,-1), g = (1,-1).
    # M = UᵀV = [[2,3],[1,1]];  gᵀM = (1, 2);  gᵀMµ1 = 1 + 4 = 5;  gᵀMµ2 = 3 - 2 = 1.
    model = _identifier(U=[[1, 0], [2, 1]], V=[[0, 1], [1, 1]], P=[[1, 3], [2, -1]])
    assert model.bilinear().tolist() == [[2.0, 3.0], [1.0, 1.0]]
    scores = model.scores(torch.tensor([[1.0, -1.0], [0.0, 0.0]]))
    assert scores.tolist() == [[5.0, 1.0], [0.0, 0.0]]


def test_regularizer_forms_by_hand():
    # m = 3, K = 2: µ1 = (1,0,1), µ2 = (0,2,1).
    # PᵀP = [[2,1],[1,5]];  PᵀP - I = [[1,1],[1,4]]  -> 1 + 1 + 1 + 16 = 19.
    # PPᵀ = [[1,0,1],[0,4,2],[1,2,2]];  PPᵀ - I = [[0,0,1],[0,3,2],[1,2,1]]
    #   -> 0+0+1 + 0+9+4 + 1+4+1 = 20  (= 19 + (m - K), the floor of the "paper" form).
    model = _identifier(U=[[1, 0, 0]], V=[[0, 1, 0]], P=[[1, 0], [0, 2], [1, 1]])
    assert model.regularizer("kxk").item() == pytest.approx(19.0)
    assert model.regularizer("paper").item() == pytest.approx(20.0)
    with pytest.raises(ValueError):
        model.regularizer("frobenius")


def test_paper_regularizer_floor_is_m_minus_k():
    # Orthonormal µ_k: the K×K form reaches 0, the m×m form as written in Eq. 10 stops at m - K.
    model = _identifier(U=[[1, 0, 0, 0]], V=[[1, 0, 0, 0]], P=[[1, 0], [0, 1], [0, 0], [0, 0]])
    assert model.regularizer("kxk").item() == pytest.approx(0.0)
    assert model.regularizer("paper").item() == pytest.approx(2.0)


def test_temperature_and_eq11_by_hand():
    # Scores [[1,3],[2,2]]: mean 2, population variance (1+1+0+0)/4 = 0.5 (unbiased would be 2/3).
    # s/τ = [[2,6],[4,4]] -> sentence 1: (1/(1+e^4), e^4/(1+e^4)) = (0.0179862, 0.9820138);
    # sentence 2: (0.5, 0.5).  α = mean = (0.2589931, 0.7410069).
    scores = np.array([[1.0, 3.0], [2.0, 2.0]])
    assert temperature(scores) == pytest.approx(0.5)
    alpha, tau, per_sentence = alpha_from_scores(scores)
    assert tau == pytest.approx(0.5)
    np.testing.assert_allclose(per_sentence, [[0.0179862, 0.9820138], [0.5, 0.5]], atol=1e-6)
    np.testing.assert_allclose(alpha, [0.2589931, 0.7410069], atol=1e-6)
    assert alpha.sum() == pytest.approx(1.0)
    assert (alpha >= 0).all()


def test_temperature_rejects_constant_scores():
    with pytest.raises(ValueError, match="variance 0"):
        alpha_from_scores(np.full((3, 2), 0.7))


def _clusters(seed=0, m=8, n=150):
    rng = np.random.default_rng(seed)
    centres = 4.0 * np.eye(3, m)
    sources = [c + 0.5 * rng.standard_normal((n, m)) for c in centres]
    target = centres[1] + 0.3 * np.ones(m) + 0.5 * rng.standard_normal((60, m))  # near source 2 (index 1)
    return [s.astype(np.float32) for s in sources], target.astype(np.float32)


def test_language_identifier_learns_clusters_and_weights_nearest_source(tmp_path):
    sources, target = _clusters()
    result = compute_alpha(
        "sim", ["a", "b", "c"], sources, target,
        rank=4, epochs=15, lr=1e-2, batch_size=32, seed=0, device="cpu",
    )
    assert result["source_id_accuracy"] > 0.9
    alpha = result["alpha"]
    assert max(alpha, key=alpha.get) == "b"
    assert sum(alpha.values()) == pytest.approx(1.0)
    assert min(alpha.values()) >= 0
    assert result["tau"] > 0
    assert result["trained_on"]["labels_used"] == "language identity only"
    assert result["trained_on"]["source_sentences"] == {"a": 150, "b": 150, "c": 150}
    assert len(result["history"]) == 15
    assert result["n_target_sentences"] == 60
    assert set(result["per_sentence_weights"]["b"]) == {
        "mean", "std", "min", "p05", "p25", "median", "p75", "p95", "max"
    }
    assert result["per_sentence_weights"]["b"]["mean"] == pytest.approx(alpha["b"])
    path = tmp_path / "alpha" / "es.json"
    write_alpha_json(path, result)
    assert json.loads(path.read_text()) == result
    assert [p.name for p in path.parent.iterdir()] == ["es.json"]


def test_training_is_seeded():
    sources, _ = _clusters()
    kwargs = dict(rank=4, epochs=2, lr=1e-2, seed=3, device="cpu")
    m1, h1 = train_language_identifier(sources, **kwargs)
    m2, h2 = train_language_identifier(sources, **kwargs)
    assert h1 == h2
    assert torch.equal(m1.U, m2.U) and torch.equal(m1.P, m2.P)


@pytest.mark.parametrize("method", ["cosine", "l2"])
def test_table5_metrics_rank_nearest_source_first(method):
    sources, target = _clusters()
    means = np.stack([s.mean(axis=0) for s in sources])
    scorer = cosine_scores if method == "cosine" else neg_l2_scores
    scores = scorer(target, means)
    assert scores.shape == (60, 3)
    assert (scores.argmax(axis=1) == 1).mean() > 0.9
    result = compute_alpha(method, ["a", "b", "c"], sources, target)
    assert max(result["alpha"], key=result["alpha"].get) == "b"
    assert sum(result["alpha"].values()) == pytest.approx(1.0)


def test_cosine_and_l2_values_by_hand():
    g = np.array([[3.0, 4.0]])
    means = np.array([[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(cosine_scores(g, means), [[0.6, 0.8]])
    # |(3,4)-(1,0)| = sqrt(4+16) = sqrt(20); |(3,4)-(0,2)| = sqrt(9+4) = sqrt(13).
    np.testing.assert_allclose(neg_l2_scores(g, means), [[-math.sqrt(20), -math.sqrt(13)]])


def test_avg_is_uniform():
    result = compute_alpha("avg", ["de", "en", "nl"], None, None)
    assert result["alpha"] == pytest.approx({"de": 1 / 3, "en": 1 / 3, "nl": 1 / 3})
    assert result["tau"] is None
    json.dumps(result)


def test_embeddings_hdf5_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((5, 4)).astype(np.float32)
    tokens = [["a"], ["b", "c"], [], ["d"], ["e"]]
    attrs = {"encoder": "enc", "lang": "es", "split": "train", "tokens_sha256": tokens_sha256(tokens)}
    path = tmp_path / "emb.h5"
    write_embeddings(path, emb, attrs)
    back, meta = read_embeddings(path)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, emb)
    for key, value in attrs.items():
        assert meta[key] == value
    assert meta["n_sentences"] == 5
    assert meta["pooling"] == "first_token_final_hidden"
    assert meta["xner_version"]
    assert "created" in meta
    assert [p.name for p in tmp_path.iterdir()] == ["emb.h5"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "el", "gato"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]",
    )
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    return str(folder)


def test_sentence_embeddings_tiny_bert_order_and_padding(tiny_bert):
    from transformers import AutoModel

    sentences = [
        ["the", "cat"],
        ["a", "dog", "ran", "on", "the", "mat", "el", "gato"],
        ["gato"],
        ["the", "cat", "sat", "on", "the", "mat"],
        ["zebra", "ran"],  # unknown word
    ]
    batched = sentence_embeddings(tiny_bert, sentences, batch_size=3, device="cpu")
    assert batched.shape == (5, 32)
    assert batched.dtype == np.float32
    for i, words in enumerate(sentences):
        alone = sentence_embeddings(tiny_bert, [words], device="cpu")
        np.testing.assert_allclose(batched[i], alone[0], atol=1e-5)
    # Row 0 is the final hidden state of [CLS] (position 0), not the pooler output.
    model = AutoModel.from_pretrained(tiny_bert).eval()
    ids = torch.tensor([[2, 4, 5, 3]])  # [CLS] the cat [SEP]
    with torch.no_grad():
        cls = model(input_ids=ids).last_hidden_state[0, 0].numpy()
    np.testing.assert_allclose(batched[0], cls, atol=1e-5)


def test_sentence_embeddings_truncates_long_sentences(tiny_bert):
    out = sentence_embeddings(tiny_bert, [["the"] * 200, ["cat"]], max_length=16, device="cpu")
    assert out.shape == (2, 32)
    assert np.isfinite(out).all()
