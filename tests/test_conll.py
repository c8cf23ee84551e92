from pathlib import Path

import pytest

from xner.conll import ConllFormatError, Sentence, read_conll, sentences_from_records

REAL_DATA = Path(__file__).resolve().parents[2] / "shared/data/conll"


def write(tmp_path, text, name="x.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_columns_and_converts_iob1(tmp_path):
    # English-style 4 columns in IOB1: "I-ORG" starts an entity, "B-PER" follows a PER.
    path = write(tmp_path, "EU NNP B-NP I-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP I-PER\n"
                           "Paul NNP I-NP B-PER\n\n")
    assert read_conll(path) == [
        Sentence(("EU", "rejects"), ("B-ORG", "O")),
        Sentence(("Peter", "Paul"), ("B-PER", "B-PER")),
    ]
    assert read_conll(path, scheme="iob1") == read_conll(path)
    # "bio" keeps what is written.
    assert read_conll(path, scheme="bio")[0].tags == ("I-ORG", "O")


def test_auto_leaves_bio_unchanged(tmp_path):
    path = write(tmp_path, "New B-LOC\nYork I-LOC\nCity I-LOC\nand O\nBerlin B-LOC\n\n")
    assert read_conll(path)[0].tags == ("B-LOC", "I-LOC", "I-LOC", "O", "B-LOC")
    assert read_conll(path, scheme="bio") == read_conll(path, scheme="auto")


def test_bad_scheme(tmp_path):
    with pytest.raises(ValueError, match="scheme"):
        read_conll(write(tmp_path, "a O\n"), scheme="bioes")


def test_docstart_skipped_everywhere(tmp_path):
    # Own block (CoNLL-2003) and inside a sentence (Dutch CoNLL-2002); the blank line after an
    # own-block -DOCSTART- must not produce an empty sentence.
    text = "-DOCSTART- -X- -X- O\n\nA O\nB B-PER\n\n-DOCSTART- -X- O O\n\n\nDe O\n-DOCSTART- -DOCSTART- O\ntekst O\n"
    sentences = read_conll(write(tmp_path, text))
    assert [s.tokens for s in sentences] == [("A", "B"), ("De", "tekst")]


def test_missing_final_blank_line_and_crlf(tmp_path):
    path = write(tmp_path, "a O\r\nb B-LOC\r\n\r\nc B-MISC\r\nd I-MISC")
    assert read_conll(path) == [
        Sentence(("a", "b"), ("O", "B-LOC")),
        Sentence(("c", "d"), ("B-MISC", "I-MISC")),
    ]


def test_tabs_and_tokens_with_odd_characters(tmp_path):
    # Columns are split on spaces/tabs only; U+0085 inside a token must not split the line.
    path = write(tmp_path, "a\u0085b\tX\tO\nc\u00a0d O\n")
    assert read_conll(path)[0].tokens == ("a\u0085b", "c\u00a0d")


def test_latin1(tmp_path):
    path = write(tmp_path, "Müller B-PER\nsagt O\n\n", encoding="latin-1")
    assert read_conll(path, encoding="latin-1")[0].tokens == ("Müller", "sagt")
    with pytest.raises(ConllFormatError, match=r"x\.txt:1: cannot decode .*utf-8"):
        read_conll(path)


def test_undecodable_byte_reports_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"a O\n\nb O\nc\xff O\n")
    with pytest.raises(ConllFormatError) as info:
        read_conll(path)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{path}:4: ")


@pytest.mark.parametrize("text, line, message", [
    ("", 1, "empty file"),
    ("\n\n", 3, "empty file"),
    ("-DOCSTART- -X- O\n\n", 3, "no sentences"),
    ("a O\nlonely\n", 2, "one column"),
    ("a O\nb B-FOO\n", 2, "unknown tag 'B-FOO'"),
    ("a O\nb I-FOO\n", 2, r"unknown tag 'B-FOO' \(from 'I-FOO'\)"),
])
def test_bad_input(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ConllFormatError, match=message) as info:
        read_conll(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_unknown_tag_lists_known_labels(tmp_path):
    path = write(tmp_path, "a B-PER\n")
    with pytest.raises(ConllFormatError, match=r"known: O, B-LOC, I-LOC"):
        read_conll(path, label_names=["O", "B-LOC", "I-LOC"])


def test_sentences_from_records():
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    records = [
        {"tokens": ["-DOCSTART-"], "ner_tags": [0]},
        {"tokens": ["Peter", "Blackburn"], "ner_tags": [1, 2]},
        {"tokens": [], "ner_tags": []},
        {"tokens": ["in", "Bonn"], "ner_tags": [0, 6]},  # stray I- becomes B-
    ]
    assert sentences_from_records(records, names) == [
        Sentence(("Peter", "Blackburn"), ("B-PER", "I-PER")),
        Sentence(("in", "Bonn"), ("O", "B-LOC")),
    ]
    with pytest.raises(ValueError, match="record 0: unknown tag"):
        sentences_from_records([{"tokens": ["a"], "ner_tags": [1]}], ["O", "B-FOO"])
    with pytest.raises(ValueError, match="record 0: 1 tokens but 2"):
        sentences_from_records([{"tokens": ["a"], "ner_tags": [0, 0]}], names)
    with pytest.raises(ValueError, match="do not index"):
        sentences_from_records([{"tokens": ["a"], "ner_tags": [99]}], names)


REAL_COUNTS = {
    "de": (12152, 2867, 3005),
    "en": (14041, 3250, 3453),
    "es": (8323, 1915, 1517),
    "nl": (15806, 2895, 5195),
}


def test_real_conll_sentence_counts():
    if not (REAL_DATA / "en" / "train.txt").exists():
        pytest.skip(f"no CoNLL data at {REAL_DATA}")
    for lang, counts in REAL_COUNTS.items():
        for split, expected in zip(("train", "dev", "test"), counts):
            assert len(read_conll(REAL_DATA / lang / f"{split}.txt")) == expected, (lang, split)


class _FakeHubDataset(list):
    """Stands in for a `datasets.Dataset`: iterable records plus a ClassLabel-like feature."""

    class _Names:
        names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]

    features = {"ner_tags": type("Sequence", (), {"feature": _Names})}


def test_read_hf_conll_with_fake_datasets(monkeypatch):
    import sys
    import types

    from xner.conll import read_hf_conll

    calls = []

    def load_dataset(*args, **kwargs):
        calls.append((args, kwargs))
        return _FakeHubDataset([{"tokens": ["Madrid", "gana"], "ner_tags": [6, 0]}])

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    sentences = read_hf_conll("conll2002", "es", "validation", "refs/convert/parquet")
    assert sentences == [Sentence(("Madrid", "gana"), ("B-LOC", "O"))]
    assert calls == [(("conll2002", "es"), {"split": "validation", "revision": "refs/convert/parquet"})]


def test_read_hf_conll_without_datasets(monkeypatch):
    import sys

    from xner.conll import read_hf_conll

    from xner.errors import XnerError

    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(XnerError, match="hub dataset conll2002/es: reading the hub needs the 'datasets' package"):
        read_hf_conll("conll2002", "es", "train", "refs/convert/parquet")
