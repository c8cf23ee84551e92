"""Raw-text tokenisation (xner.text): words, their character offsets in the line, and bad files."""

import pytest

from xner.errors import XnerError
from xner.text import TOKENISERS, read_text_sentences, split_words


def words(line, tokenisation="punctuation"):
    return [w for w, _, _ in split_words(line, tokenisation)]


@pytest.mark.parametrize("line, expected", [
    ("según informó la agencia EFE.", ["según", "informó", "la", "agencia", "EFE", "."]),
    ("Madrid (EFE) - Pedro Sánchez,", ["Madrid", "(", "EFE", ")", "-", "Pedro", "Sánchez", ","]),
    ("«Zürich», dijo: ¿Москва?", ["«", "Zürich", "»", ",", "dijo", ":", "¿", "Москва", "?"]),
    ("creció un 3,5% y 3.5 y 1.000.000.", ["creció", "un", "3,5", "%", "y", "3.5", "y", "1.000.000", "."]),
    ("Castilla-La Mancha, COVID-19 y -5", ["Castilla-La", "Mancha", ",", "COVID-19", "y", "-", "5"]),
    ("l'Hospitalet d’Aosta O'Neill 'hola'", ["l'", "Hospitalet", "d’", "Aosta", "O'", "Neill", "'", "hola", "'"]),
    ("Espera... vale.", ["Espera", "...", "vale", "."]),
    ("cuesta 5 € o $5", ["cuesta", "5", "€", "o", "$", "5"]),
    ("東京都に住む。", ["東京都に住む", "。"]),  # no word segmentation without spaces
])
def test_punctuation_splits(line, expected):
    assert words(line) == expected


def test_whitespace_is_str_split():
    line = "Madrid (EFE)\u00a0-\u3000Pedro\tSánchez.  \u2028fin\r"
    assert words(line, "whitespace") == line.split() == ["Madrid", "(EFE)", "-", "Pedro", "Sánchez.", "fin"]


@pytest.mark.parametrize("tokenisation", TOKENISERS)
@pytest.mark.parametrize("line", [
    "  Madrid (EFE).\u00a0Pedro Sánchez, l'Hospitalet 3,5%…  ",
    "e\u0301 cafe\u0301. (x)",  # combining accent stays with its letter
    "\u00bfQu\u00e9? \U0001f600!",
])
def test_offsets_round_trip(line, tokenisation):
    found = split_words(line, tokenisation)
    assert found and all(line[s:e] == w and w for w, s, e in found)
    assert all(a[2] <= b[1] for a, b in zip(found, found[1:]))
    # Nothing but whitespace is lost between words.
    assert "".join(w for w, _, _ in found) == "".join(line.split())


def test_combining_accent_kept():
    assert words("cafe\u0301.") == ["cafe\u0301", "."]


@pytest.mark.parametrize("tokenisation", TOKENISERS)
@pytest.mark.parametrize("line", ["", "   ", "\t\u00a0\r"])
def test_blank_line_has_no_words(line, tokenisation):
    assert split_words(line, tokenisation) == []


def test_unknown_tokenisation():
    with pytest.raises(ValueError, match="tokenisation"):
        split_words("a", "spacy")


def test_read_text_sentences(tmp_path):
    path = tmp_path / "ca.txt"
    path.write_bytes("\ufeffA l'Hospitalet.\r\n\n   \nSegons EFE.\n".encode())
    got = list(read_text_sentences(path, "punctuation"))
    assert [(n, line) for n, line, _ in got] == [(1, "A l'Hospitalet."), (4, "Segons EFE.")]
    assert got[0][2] == [("A", 0, 1), ("l'", 2, 4), ("Hospitalet", 4, 14), (".", 14, 15)]


def test_read_latin1(tmp_path):
    path = tmp_path / "es.txt"
    path.write_bytes("Sánchez.\n".encode("latin-1"))
    assert list(read_text_sentences(path, "whitespace", encoding="latin-1")) == [(1, "Sánchez.", [("Sánchez.", 0, 8)])]


@pytest.mark.parametrize("content", [b"", b"\n  \n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(XnerError, match=r"empty\.txt: no sentence"):
        list(read_text_sentences(path, "whitespace"))


def test_binary_file(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04\x00\x00abc\n")
    with pytest.raises(XnerError, match=r"model\.bin: binary content \(a NUL byte at byte offset 4\)"):
        list(read_text_sentences(path, "whitespace"))


def test_wrong_encoding(tmp_path):
    path = tmp_path / "es.txt"
    path.write_bytes("hola\nSánchez\n".encode("latin-1"))
    with pytest.raises(XnerError) as caught:
        list(read_text_sentences(path, "punctuation", encoding_key="adapt.ca.text.encoding"))
    assert str(caught.value) == f"{path}:2: byte offset 6 (b'\\xe1') is not utf-8 (set adapt.ca.text.encoding to the file's encoding)"


def test_missing_file(tmp_path):
    with pytest.raises(XnerError, match="does not exist"):
        list(read_text_sentences(tmp_path / "nope.txt", "whitespace"))


def test_tag_entities_get_character_offsets_in_the_line():
    """Given tags, as a model would give them: the entity "EFE" is cut from the line without the
    full stop, a name over an elided apostrophe is one span as written."""
    import numpy as np

    from xner.tag import entities, read_text

    line = "… según informó la agencia EFE. Vive en l'Hospitalet, dijo O'Neill"
    [(number, tokens, text, spans)] = read_text([line + "\n"], "punctuation")
    assert number == 1 and text == line
    assert tokens == ["…", "según", "informó", "la", "agencia", "EFE", ".", "Vive", "en", "l'", "Hospitalet", ",",
                      "dijo", "O'", "Neill"]
    tags = ["O"] * len(tokens)
    tags[5], tags[10], tags[13], tags[14] = "B-ORG", "B-LOC", "B-PER", "I-PER"
    labels = ["O", "B-PER", "I-PER", "B-ORG", "B-LOC"]
    probs = np.full((len(tokens), len(labels)), 0.1)
    for i, tag in enumerate(tags):
        probs[i, labels.index(tag)] = 0.6
    found = entities(tokens, tags, probs, labels, text, spans)
    assert [(e["type"], e["start"], e["end"], e["char_start"], e["char_end"], e["text"]) for e in found] == [
        ("ORG", 5, 6, 27, 30, "EFE"), ("LOC", 10, 11, 42, 52, "Hospitalet"), ("PER", 13, 15, 59, 66, "O'Neill"),
    ]
    assert all(line[e["char_start"]:e["char_end"]] == e["text"] for e in found)
    assert [e["probability"] for e in found] == [0.6, 0.6, 0.6]


def test_tag_text_with_punctuation_tokenisation(teacher, tmp_path, capsys):
    """`xner tag --tokenisation punctuation` on text: the words lose their punctuation and every
    entity's character offsets cut its text out of the original line (the tiny model's entities are
    whatever it predicts, so the offsets are checked on those)."""
    import json

    from xner.cli import main

    lines = ["… según informó la agencia EFE.", "", "Pedro Sánchez (PSOE) visitó Castilla-La Mancha, l'Hospitalet y Zürich."]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    main(["tag", "--model", str(teacher), "--input", str(source), "--output", str(out), "--format", "jsonl",
          "--tokenisation", "punctuation", "--max-length", "16", "--device", "cpu"])
    records = [json.loads(row) for row in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, 3]
    assert records[0]["tokens"] == ["…", "según", "informó", "la", "agencia", "EFE", "."]
    assert records[1]["tokens"][:5] == ["Pedro", "Sánchez", "(", "PSOE", ")"]
    assert sum(len(r["entities"]) for r in records) > 0  # the spans below are checked on something
    for r in records:
        line = lines[r["line"] - 1]
        for e in r["entities"]:
            assert line[e["char_start"]:e["char_end"]] == e["text"]
            assert e["text"].startswith(r["tokens"][e["start"]]) and e["text"].endswith(r["tokens"][e["end"] - 1])
    # Whitespace tokenisation (the default) keeps "EFE." as one word.
    main(["tag", "--model", str(teacher), "--input", str(source), "--output", str(out), "--format", "jsonl",
          "--max-length", "16", "--device", "cpu"])
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["tokens"][-1] == "EFE."
    # CoNLL input is words already.
    with pytest.raises(SystemExit):
        main(["tag", "--model", str(teacher), "--input", str(source), "--input-format", "conll",
              "--tokenisation", "punctuation", "--device", "cpu"])
    assert "--tokenisation: CoNLL input is split into words already" in capsys.readouterr().err
