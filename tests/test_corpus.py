import json

import pytest

from xner.conll import Sentence
from xner.corpus import (
    Corpus,
    CorpusFileError,
    prepare_corpus,
    read_corpus,
    read_corpus_tokens,
    subsample,
    write_corpus,
)
from xner.errors import XnerError
from xner.labels import DEFAULT_LABELS


def make_corpus(tags2=("B-LOC", "O")):
    sentences = [
        Sentence(("Müller", "sagt"), ("B-PER", "O")),
        Sentence(("in", "Köln"), ("O", "B-LOC")),
        Sentence(("Köln", "!"), tuple(tags2)),
    ]
    return Corpus("de", "dev", list(DEFAULT_LABELS), sentences, "test fixture")


def test_round_trip(tmp_path):
    corpus = make_corpus()
    path = tmp_path / "sub" / "de.dev.json"
    write_corpus(path, corpus)
    assert read_corpus(path) == corpus

    text = path.read_text(encoding="utf-8")
    assert "Müller" in text  # ensure_ascii=False
    assert len(text.splitlines()) == 1 + len(corpus.sentences) + 1  # header, one line per sentence, end
    data = json.loads(text)
    assert data["format"] == "xner-corpus/1"
    assert (data["n_sentences"], data["n_words"]) == (3, 6)
    assert data["tokens_sha256"] == corpus.tokens_sha256
    assert data["sha256"] == corpus.sha256
    assert list(tmp_path.joinpath("sub").iterdir()) == [path]  # no temp file left behind


def test_round_trip_empty_corpus(tmp_path):
    corpus = Corpus("en", "train", ["O"], [], "nothing")
    write_corpus(tmp_path / "c.json", corpus)
    assert read_corpus(tmp_path / "c.json") == corpus


def test_hashes():
    a, b = make_corpus(), make_corpus(tags2=("B-ORG", "O"))
    # Replacing gold tags leaves the token hash (what soft labels record) unchanged.
    assert a.tokens_sha256 == b.tokens_sha256
    assert a.sha256 != b.sha256
    c = make_corpus()
    c.label_names = list(reversed(c.label_names))
    assert c.sha256 != a.sha256 and c.tokens_sha256 == a.tokens_sha256
    # Sentence boundaries are part of the token hash.
    d = make_corpus()
    d.sentences = [Sentence(d.sentences[0].tokens + d.sentences[1].tokens, ("O",) * 4), d.sentences[2]]
    assert d.tokens_sha256 != a.tokens_sha256


def test_read_corpus_tokens(tmp_path):
    path = tmp_path / "c.json"
    write_corpus(path, make_corpus())
    tc = read_corpus_tokens(path)
    assert tc.token_lists == [("Müller", "sagt"), ("in", "Köln"), ("Köln", "!")]
    assert tc.tokens_sha256 == make_corpus().tokens_sha256
    assert (tc.label_names, tc.lang, tc.split) == (DEFAULT_LABELS, "de", "dev")
    assert "tags" not in tc._fields


def test_tampering_is_detected(tmp_path):
    path = tmp_path / "c.json"
    write_corpus(path, make_corpus())
    text = path.read_text(encoding="utf-8")

    path.write_text(text.replace('"B-PER"', '"B-ORG"'), encoding="utf-8")
    with pytest.raises(CorpusFileError, match="sha256 mismatch"):
        read_corpus(path)
    read_corpus_tokens(path)  # tags are not its business

    path.write_text(text.replace('"sagt"', '"sagte"'), encoding="utf-8")
    with pytest.raises(CorpusFileError, match="tokens_sha256 mismatch"):
        read_corpus(path)
    with pytest.raises(CorpusFileError, match="tokens_sha256 mismatch"):
        read_corpus_tokens(path)

    path.write_text(text.replace("xner-corpus/1", "xner-corpus/0"), encoding="utf-8")
    with pytest.raises(CorpusFileError, match="format"):
        read_corpus(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(XnerError, match="not a corpus JSON file"):
        read_corpus_tokens(path)


def test_subsample():
    items = list(range(100))
    a = subsample(items, 10, seed=1)
    assert a == subsample(items, 10, seed=1)
    assert a == sorted(a) and len(set(a)) == 10
    assert a != subsample(items, 10, seed=2)
    assert subsample(items, None, 0) == items
    assert subsample(items, 100, 0) == items
    assert subsample(items, 1000, 0) == items
    assert subsample(items, 0, 0) == []
    with pytest.raises(ValueError):
        subsample(items, -1, 0)


def test_prepare_corpus_conll(tmp_path):
    folder = tmp_path / "de"
    folder.mkdir()
    (folder / "train.txt").write_bytes("Müller B-PER\n\nin O\nKöln I-LOC\n\nx O\n".encode("latin-1"))
    spec = {"format": "conll", "path": str(folder), "encoding": "latin-1", "scheme": "iob1"}

    corpus = prepare_corpus(spec, "de", "train", DEFAULT_LABELS)
    assert (corpus.lang, corpus.split, corpus.label_names) == ("de", "train", DEFAULT_LABELS)
    assert corpus.sentences[1] == Sentence(("in", "Köln"), ("O", "B-LOC"))
    assert "train.txt" in corpus.source and "latin-1" in corpus.source

    small = prepare_corpus(spec, "de", "train", DEFAULT_LABELS, max_sentences=2, seed=3)
    assert small.sentences == prepare_corpus(spec, "de", "train", DEFAULT_LABELS, 2, 3).sentences
    assert len(small.sentences) == 2 and "2 of 3 sentences" in small.source


def test_prepare_corpus_errors(tmp_path):
    with pytest.raises(XnerError, match=r"data\.de\.path: folder .*nowhere"):
        prepare_corpus({"format": "conll", "path": str(tmp_path / "nowhere")}, "de", "dev", DEFAULT_LABELS)
    with pytest.raises(XnerError, match=r"data\.de\.path: .*dev\.txt"):
        prepare_corpus({"format": "conll", "path": str(tmp_path)}, "de", "dev", DEFAULT_LABELS)
    with pytest.raises(ValueError, match=r"data\.de\.format"):
        prepare_corpus({"format": "csv"}, "de", "dev", DEFAULT_LABELS)
    with pytest.raises(ValueError, match=r"data\.de: format 'hf' needs revision"):
        prepare_corpus({"format": "hf", "dataset": "conll2002"}, "de", "dev", DEFAULT_LABELS)


def test_prepare_corpus_hf_maps_dev_to_validation(monkeypatch):
    import xner.corpus

    seen = {}

    def fake_read_hf_conll(dataset, config, split, revision, label_names):
        seen.update(dataset=dataset, config=config, split=split, revision=revision)
        return [Sentence(("Hola",), ("O",))]

    monkeypatch.setattr(xner.corpus, "read_hf_conll", fake_read_hf_conll)
    spec = {"format": "hf", "dataset": "conll2002", "config": "es", "revision": "refs/convert/parquet"}
    corpus = prepare_corpus(spec, "es", "dev", DEFAULT_LABELS)
    assert seen == {"dataset": "conll2002", "config": "es", "split": "validation",
                    "revision": "refs/convert/parquet"}
    assert corpus.source == "hf:conll2002/es@refs/convert/parquet split=dev"
    assert corpus.sentences == [Sentence(("Hola",), ("O",))]
