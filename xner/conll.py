"""Read CoNLL-2002/2003 NER data: column files on disk, or the Hugging Face parquet export.

Everything is returned as BIO (IOB2) tags checked against a label set, so the rest of the
pipeline never sees IOB1 or an unknown tag.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .errors import XnerError
from .labels import DEFAULT_LABELS, to_bio

DOCSTART = "-DOCSTART-"
SCHEMES = ("auto", "bio", "iob1")

# Columns are separated by ASCII spaces/tabs only. str.split() would also split on characters
# such as U+00A0 that can legitimately occur inside a token.
_COLUMN_SEP = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    def __post_init__(self):
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"{len(self.tokens)} tokens but {len(self.tags)} tags")


class ConllFormatError(XnerError):
    """A problem in a CoNLL file; the message starts with "path:line:" (1-based line)."""

    def __init__(self, path, line: int, message: str, fix: str = ""):
        self.path = str(path)
        self.line = line
        super().__init__(f"{self.path}:{line}", message, fix)


def _normalise(tags: list[str], scheme: str) -> list[str]:
    # to_bio is idempotent on valid BIO, so "auto" is safe for both IOB1 and BIO input; "bio"
    # exists for callers who want the tags exactly as written.
    return tags if scheme == "bio" else to_bio(tags)


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start:e.end]
        hint = "likely latin-1" if codecs.lookup(encoding).name.startswith("utf") else "wrong encoding"
        raise ConllFormatError(
            path, line, f"cannot decode byte(s) {bad!r} as {encoding}", f"{hint}: set the language's encoding in the config"
        ) from None
    if not codecs.lookup(encoding).name.startswith("utf") and not data.isascii() and _is_utf8(data):
        # Non-ASCII bytes that all form valid UTF-8 sequences are almost never latin-1 text: read
        # as latin-1 they would silently become mojibake (Ã¤ for ä).
        first = next(i for i, b in enumerate(data) if b >= 0x80)
        line = data.count(b"\n", 0, first) + 1
        raise ConllFormatError(
            path, line, f"declared {encoding} but the file is UTF-8 (multi-byte sequences from here on)",
            "likely utf-8: set the language's encoding: utf-8 in the config",
        )
    # A UTF-8 byte order mark would otherwise become part of the first token.
    return text.removeprefix("\ufeff")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def read_conll(
    path,
    encoding: str = "utf-8",
    label_names: Sequence[str] = DEFAULT_LABELS,
    scheme: str = "auto",
) -> list[Sentence]:
    """Read a CoNLL NER file: token in the first column, tag in the last, blank line between sentences.

    scheme: "iob1" converts IOB1 to BIO; "bio" keeps the tags as written; "auto" (default) converts
    too, which is safe for both because the conversion leaves valid BIO unchanged.
    -DOCSTART- lines are skipped wherever they are (Dutch has them inside a sentence).
    Raises ConllFormatError (naming file and line) for undecodable bytes, a one-column line, a tag
    not in label_names, or a file without sentences.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    path = Path(path)
    text = _decode(path, path.read_bytes(), encoding)
    known = set(label_names)

    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    line_numbers: list[int] = []

    def finish_sentence():
        if not tokens:  # several blank lines, or the blank line after a -DOCSTART- block
            return
        bio = _normalise(tags, scheme)
        for tag, raw, n in zip(bio, tags, line_numbers):
            if tag not in known:
                shown = repr(tag) if tag == raw else f"{tag!r} (from {raw!r})"
                raise ConllFormatError(path, n, f"unknown tag {shown} (known: {', '.join(label_names)})")
        sentences.append(Sentence(tuple(tokens), tuple(bio)))
        tokens.clear()
        tags.clear()
        line_numbers.clear()

    # Split on "\n" only: str.splitlines() would also break at U+0085 or U+2028, which a
    # latin-1/UTF-8 token may contain. A trailing "\r" (CRLF files) is removed per line.
    lines = text.split("\n")
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r").strip(" \t")
        if not line:
            finish_sentence()
            continue
        columns = _COLUMN_SEP.split(line)
        if columns[0] == DOCSTART:
            continue
        if len(columns) < 2:
            raise ConllFormatError(path, n, f"expected 'TOKEN ... TAG', found one column: {line!r}")
        tokens.append(columns[0])
        tags.append(columns[-1])
        line_numbers.append(n)
    finish_sentence()  # the file may lack a final blank line

    if not sentences:
        what = "empty file" if not text.strip() else "no sentences (only blank or -DOCSTART- lines)"
        raise ConllFormatError(path, len(lines), what)
    return sentences


def sentences_from_records(
    records: Iterable[Mapping],
    tag_names: Sequence[str],
    label_names: Sequence[str] = DEFAULT_LABELS,
) -> list[Sentence]:
    """Turn hub-style records ({"tokens": [...], "ner_tags": [int, ...]}) into BIO Sentences.

    tag_names maps the integer ids to tag strings (the dataset's ClassLabel names). Empty records
    and -DOCSTART- tokens are dropped, as read_conll does for files.
    """
    known = set(label_names)
    sentences = []
    for i, record in enumerate(records):
        tokens, ids = list(record["tokens"]), list(record["ner_tags"])
        if len(tokens) != len(ids):
            raise ValueError(f"record {i}: {len(tokens)} tokens but {len(ids)} ner_tags")
        try:
            raw = [tag_names[k] for k in ids]
        except (IndexError, TypeError) as e:
            raise ValueError(f"record {i}: ner_tags {ids} do not index tag_names ({e})") from None
        kept = [(tok, tag) for tok, tag in zip(tokens, raw) if tok != DOCSTART]
        if not kept:
            continue
        tokens = [tok for tok, _ in kept]
        bio = to_bio([tag for _, tag in kept])
        unknown = sorted(set(bio) - known)
        if unknown:
            raise ValueError(f"record {i}: unknown tag(s) {unknown} (known: {', '.join(label_names)})")
        sentences.append(Sentence(tuple(tokens), tuple(bio)))
    if not sentences:
        raise ValueError("no sentences in the records")
    return sentences


def read_hf_conll(
    dataset_id: str,
    config_name: str | None,
    split: str,
    revision: str,
    label_names: Sequence[str] = DEFAULT_LABELS,
) -> list[Sentence]:
    """Load a CoNLL split from the Hugging Face hub (e.g. conll2002 "es"/"nl", conll2003).

    Pin revision to a parquet export such as "refs/convert/parquet" so no loading script runs and
    the data cannot change under a fixed config. Needs the optional `datasets` package.
    """
    where = f"hub dataset {dataset_id}" + (f"/{config_name}" if config_name else "")
    local = "or put the CoNLL files in the language's data folder"
    try:
        import datasets
    except ImportError:
        raise XnerError(where, "reading the hub needs the 'datasets' package", f"pip install 'xner[hub]', {local}") from None
    try:
        dataset = datasets.load_dataset(dataset_id, config_name, split=split, revision=revision)
    except FileNotFoundError as e:  # datasets' DatasetNotFoundError and missing files of a revision
        raise XnerError(where, f"not found at revision {revision} ({str(e).splitlines()[0]})", f"check data.languages.<lang>.hub, {local}") from None
    except (ConnectionError, TimeoutError) as e:  # offline mode, no network, hub down; datasets has retried already
        raise XnerError(where, f"cannot be downloaded ({str(e).splitlines()[0]})", f"go online (offline mode off) and rerun, {local}") from None
    tag_names = dataset.features["ner_tags"].feature.names
    return sentences_from_records(dataset, tag_names, label_names)
