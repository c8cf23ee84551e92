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


HUB_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]  # HF ClassLabel order
EXPORT_README = """---
configs:
- config_name: es
  data_files:
  - {split: train, path: es/train/*.parquet}
  - {split: validation, path: es/validation/*.parquet}
  - {split: test, path: es/test/*.parquet}
---
"""


def write_parquet_export(root):
    """A hub parquet export in miniature: <config>/<split>/0000.parquet, tags as a ClassLabel."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=HUB_TAGS))})
    rows = {
        "train": [(["Lucía", "vive", "en", "Sevilla"], [1, 0, 0, 5])],
        "validation": [(["EFE", "dijo", "ayer"], [3, 0, 0]), (["Jan", "Smit"], [1, 2])],
        "test": [(["Madrid"], [5])],
    }
    for split, sentences in rows.items():
        (root / "es" / split).mkdir(parents=True)
        data = {"tokens": [t for t, _ in sentences], "ner_tags": [g for _, g in sentences]}
        Dataset.from_dict(data, features=features).to_parquet(root / "es" / split / "0000.parquet")
    (root / "README.md").write_text(EXPORT_README)
    return root


def test_hub_loader_reads_a_parquet_export_offline(tmp_path):
    """`xner prepare` with the config's hub entry, through `datasets`, on a local export, offline."""
    import os
    import subprocess
    import sys

    export = write_parquet_export(tmp_path / "export")
    source = {"format": "hf", "dataset": str(export), "config": "es", "revision": "refs/convert/parquet"}
    env = os.environ | {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    out = tmp_path / "es-dev.json"
    subprocess.run(
        [sys.executable, "-m", "xner", "prepare", "--lang", "es", "--split", "dev", "--source", json.dumps(source),
         "--labels", ",".join(DEFAULT_LABELS), "--out", str(out)],
        check=True, env=env, capture_output=True,
    )
    corpus = read_corpus(out)
    assert corpus.sentences == [Sentence(("EFE", "dijo", "ayer"), ("B-ORG", "O", "O")), Sentence(("Jan", "Smit"), ("B-PER", "I-PER"))]
    assert corpus.label_names == list(DEFAULT_LABELS)
    assert corpus.source == f"hf:{export}/es@refs/convert/parquet split=dev"
