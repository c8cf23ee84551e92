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
