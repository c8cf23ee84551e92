"""Raw text, one sentence per line, split into words with their character offsets in the line.

Two tokenisations (`TOKENISERS`):

- ``whitespace``: words are the runs of non-whitespace characters, exactly as ``str.split()``
  (every Unicode whitespace character separates words, U+00A0 and U+3000 included).
- ``punctuation``: the whitespace words, with Unicode punctuation (categories P*) and symbols
  (S*: ``$ € % + = © …``) split off as words of their own, so that "Madrid." is "Madrid", "."
  and "(EFE)" is "(", "EFE", ")". Letters, marks and digits (L*, M*, N*) stay together, so
  accented and non-Latin words are whole ("Sánchez", "Zürich", "Москва"). Kept inside a word:
    * "." and "," between two digits: decimal numbers and thousands ("3,5", "3.5", "1.000.000");
    * a hyphen between two letters or digits: "Castilla-La", "Hewlett-Packard", "COVID-19";
    * a run of full stops stays one word: "..." (as CoNLL writes an ellipsis).
  An apostrophe (' or U+2019) between two letters ends the word and stays with its left part, for
  the elision of Catalan, French and Italian: "l'Hospitalet" is "l'", "Hospitalet" and
  "d’Aosta" is "d’", "Aosta". The cost: "O'Neill" is "O'", "Neill" and "don't" is "don'", "t";
  a name over both parts is still one entity, and its text, cut from the line by character
  offsets, is "O'Neill" as written.
  Abbreviations split at their full stops ("EE.UU." is "EE", ".", "UU", "."), a span that an
  entity can still cover. Other characters (format characters such as U+200D, private use) stay
  inside words.

Neither tokenisation segments text written without spaces: a CJK sentence "東京都に住む。" is the
one word "東京都に住む" and "。" under ``punctuation``. Such text needs words separated by spaces
beforehand.

Every word is ``(text, start, end)`` with ``line[start:end] == text``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterator

from .errors import XnerError

TOKENISERS = ("whitespace", "punctuation")

# Python's \s for str patterns is the same set as str.isspace(), so this is str.split()'s words.
_NON_SPACE = re.compile(r"\S+")
_APOSTROPHES = "'\u2019"
_HYPHENS = "-\u2010\u2011"
_NUMBER_SEPARATORS = ".,"


def _is_word_char(c: str) -> bool:
    # Punctuation and symbols split; letters, marks, digits and the rest (format, private use) do not.
    return unicodedata.category(c)[0] not in "PS"


def _split_punctuation(chunk: str, offset: int) -> Iterator[tuple[str, int, int]]:
    """The words of one whitespace-free chunk that starts at `offset` in its line."""
    start = 0  # start of the word being built, within chunk
    n = len(chunk)
    i = 0
    while i < n:
        c = chunk[i]
        if _is_word_char(c):
            i += 1
            continue
        before = chunk[i - 1] if i > 0 else ""
        after = chunk[i + 1] if i + 1 < n else ""
        if c in _NUMBER_SEPARATORS and before.isdigit() and after.isdigit():
            i += 1
            continue
        if c in _HYPHENS and before and after and _is_word_char(before) and _is_word_char(after):
            i += 1
            continue
        if c in _APOSTROPHES and before.isalpha() and after.isalpha() and start < i:
            yield chunk[start : i + 1], offset + start, offset + i + 1
            i += 1
            start = i
            continue
        if start < i:
            yield chunk[start:i], offset + start, offset + i
        end = i + 1
        if c == ".":
            while end < n and chunk[end] == ".":
                end += 1
        yield chunk[i:end], offset + i, offset + end
        i = start = end
    if start < n:
        yield chunk[start:], offset + start, offset + n


def split_words(line: str, tokenisation: str) -> list[tuple[str, int, int]]:
    """The words of `line` as (word, start, end), `line[start:end] == word`; [] for a blank line."""
    if tokenisation not in TOKENISERS:
        raise ValueError(f"tokenisation must be one of {TOKENISERS}, got {tokenisation!r}")
    words = []
    for match in _NON_SPACE.finditer(line):
        if tokenisation == "whitespace":
            words.append((match.group(), match.start(), match.end()))
        else:
            words.extend(_split_punctuation(match.group(), match.start()))
    return words


def decode_text(path, data: bytes, encoding: str = "utf-8", encoding_key: str = "") -> str:
    """The text of a raw-text file; binary or undecodable content is an XnerError naming the file.

    `encoding_key` names the setting that chose `encoding` (a config key or option), so that the
    error says what to change."""
    change = f"set {encoding_key} to the file's encoding" if encoding_key else "give the file's encoding"
    nul = data.find(b"\0")
    if nul >= 0:
        raise XnerError(path, f"binary content (a NUL byte at byte offset {nul})", "give a text file, one sentence per line")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise XnerError(
            f"{path}:{line}", f"byte offset {e.start} ({data[e.start:e.end]!r}) is not {encoding}", change
        ) from None
    return text.removeprefix("\ufeff")  # a UTF-8 byte order mark would start the first word


def text_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its line break). Lines end at "\\n" only (str.splitlines()
    would also break at U+2028 or U+0085 inside a sentence); a "\\r" before it is dropped."""
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line.removesuffix("\r")


def read_text_sentences(path, tokenisation: str, encoding: str = "utf-8", encoding_key: str = ""):
    """Yield (line number, line, words) per non-blank line of a text file, one sentence per line.

    words are `split_words(line, tokenisation)`. Raises XnerError naming the file for binary
    content, bytes that are not `encoding` (with their byte offset; `encoding_key` is named as the
    setting to change), and a file without a non-blank line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise XnerError(path, "text file does not exist", "check the path") from None
    found = False
    for number, line in text_lines(decode_text(path, data, encoding, encoding_key)):
        words = split_words(line, tokenisation)
        if words:
            found = True
            yield number, line, words
    if not found:
        raise XnerError(path, "no sentence: the file is empty or blank", "give one sentence per line")
