"""The prepared corpus: one JSON file per language and split that every later stage reads.

Two hashes are stored. `tokens_sha256` covers the tokens only: soft labels, similarities and
student data record it, so replacing or removing gold tags changes nothing downstream of the
tokens. `sha256` also covers the tags and label names and guards the gold data used for scoring.
Target-language code should read text with `read_corpus_tokens`, which hands out no tags.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

from .checks import read_json
from .conll import Sentence, read_conll, read_hf_conll
from .errors import XnerError
from .io import _json_sha256, atomic_output, tokens_sha256  # noqa: F401 (tokens_sha256: re-exported)

FORMAT = "xner-corpus/1"
_KEYS = ("lang", "split", "source", "label_names", "n_sentences", "n_words", "tokens_sha256", "sha256",
         "sentences")

# Our split names -> the split names of the hub datasets.
_HF_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@dataclass
class Corpus:
    lang: str
    split: str
    label_names: list[str]
    sentences: list[Sentence]
    source: str  # human description: path and encoding, or hub id@revision

    @property
    def n_words(self) -> int:
        return sum(len(s.tokens) for s in self.sentences)

    @property
    def tokens_sha256(self) -> str:
        return tokens_sha256([s.tokens for s in self.sentences])

    @property
    def sha256(self) -> str:
        return _json_sha256({
            "label_names": list(self.label_names),
            "sentences": [[list(s.tokens), list(s.tags)] for s in self.sentences],
        })


class TokenCorpus(NamedTuple):
    """The tag-free view of a corpus, for code that must not see gold labels."""

    token_lists: list[tuple[str, ...]]
    tokens_sha256: str
    label_names: list[str]
    lang: str
    split: str


class CorpusFileError(XnerError):
    def __init__(self, path, what: str, fix: str = "prepare it again: delete it and rerun the workflow"):
        super().__init__(path, what, fix)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_corpus(path, corpus: Corpus) -> None:
    """Write `corpus` as one JSON file, one sentence per line, atomically (temp file + os.replace)."""
    path = Path(path)
    header = {
        "format": FORMAT,
        "lang": corpus.lang,
        "split": corpus.split,
        "source": corpus.source,
        "label_names": list(corpus.label_names),
        "n_sentences": len(corpus.sentences),
        "n_words": corpus.n_words,
        "tokens_sha256": corpus.tokens_sha256,
        "sha256": corpus.sha256,
    }
    # Still a single JSON object; the layout just keeps each sentence on its own line for humans.
    lines = [_dumps({"tokens": list(s.tokens), "tags": list(s.tags)}) for s in corpus.sentences]
    text = _dumps(header)[:-1] + ',"sentences":[\n' + ",\n".join(lines) + "\n]}\n"

    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def _load(path: Path) -> dict:
    data = read_json(path, "corpus JSON file")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CorpusFileError(path, f"format is {found!r}, expected {FORMAT!r}", "give a corpus written by `xner prepare`")
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise CorpusFileError(path, f"missing field(s) {', '.join(missing)}")
    return data


def _check(path: Path, what: str, recorded, actual) -> None:
    if recorded != actual:
        raise CorpusFileError(path, f"{what} mismatch (file says {recorded}, content gives {actual}): edited or damaged")


def read_corpus(path) -> Corpus:
    """Read a corpus file, checking its format, counts and both hashes."""
    path = Path(path)
    data = _load(path)
    try:
        sentences = [Sentence(tuple(s["tokens"]), tuple(s["tags"])) for s in data["sentences"]]
    except (KeyError, TypeError, ValueError) as e:
        raise CorpusFileError(path, f"malformed sentence entry ({e})") from None
    corpus = Corpus(data["lang"], data["split"], list(data["label_names"]), sentences, data["source"])
    _check(path, "n_sentences", data["n_sentences"], len(sentences))
    _check(path, "n_words", data["n_words"], corpus.n_words)
    _check(path, "tokens_sha256", data["tokens_sha256"], corpus.tokens_sha256)
    _check(path, "sha256", data["sha256"], corpus.sha256)
    return corpus


def read_corpus_tokens(path) -> TokenCorpus:
    """Read only the tokens of a corpus file (checked against tokens_sha256); tags are not returned."""
    path = Path(path)
    data = _load(path)
    try:
        token_lists = [tuple(s["tokens"]) for s in data["sentences"]]
    except (KeyError, TypeError) as e:
        raise CorpusFileError(path, f"malformed sentence entry ({e})") from None
    digest = tokens_sha256(token_lists)
    _check(path, "tokens_sha256", data["tokens_sha256"], digest)
    return TokenCorpus(token_lists, digest, list(data["label_names"]), data["lang"], data["split"])


def subsample(sentences: Sequence, n: int | None, seed: int) -> list:
    """A deterministic random sample of n sentences, kept in their original order.

    n None or >= len(sentences) returns all of them.
    """
    if n is None or n >= len(sentences):
        return list(sentences)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    chosen = sorted(random.Random(seed).sample(range(len(sentences)), n))
    return [sentences[i] for i in chosen]


def prepare_corpus(
    source_spec: dict,
    lang: str,
    split: str,
    label_names: Sequence[str],
    max_sentences: int | None = None,
    seed: int = 0,
) -> Corpus:
    """Read one language's split as configured under `data.<lang>` and return it as a Corpus.

    source_spec is {"format": "conll", "path": folder, "encoding": "utf-8", "scheme": "auto"}
    (reads folder/{split}.txt) or {"format": "hf", "dataset": id, "config": name?, "revision": rev}.
    """
    key = f"data.{lang}"
    fmt = source_spec.get("format")
    if fmt == "conll":
        if "path" not in source_spec:
            raise XnerError(key, "format 'conll' needs a 'path'", f"the folder with {split}.txt")
        folder = Path(source_spec["path"])
        encoding = source_spec.get("encoding", "utf-8")
        scheme = source_spec.get("scheme", "auto")
        if not folder.is_dir():
            raise XnerError(f"{key}.path", f"folder {folder} does not exist", "check data.conll_dir or the path")
        file = folder / f"{split}.txt"
        if not file.is_file():
            raise XnerError(f"{key}.path", f"{file} does not exist", f"put {split}.txt in {folder}")
        sentences = read_conll(file, encoding=encoding, label_names=label_names, scheme=scheme)
        source = f"{file} (encoding={encoding}, scheme={scheme})"
    elif fmt == "hf":
        missing = [k for k in ("dataset", "revision") if k not in source_spec]
        if missing:
            raise XnerError(key, f"format 'hf' needs {', '.join(missing)}")
        dataset, config, revision = source_spec["dataset"], source_spec.get("config"), source_spec["revision"]
        sentences = read_hf_conll(dataset, config, _HF_SPLITS.get(split, split), revision, label_names)
        source = f"hf:{dataset}" + (f"/{config}" if config else "") + f"@{revision} split={split}"
    else:
        raise XnerError(f"{key}.format", f"must be 'conll' or 'hf', got {fmt!r}")

    total = len(sentences)
    sentences = subsample(sentences, max_sentences, seed)
    if len(sentences) < total:
        source += f"; {len(sentences)} of {total} sentences, seed={seed}"
    return Corpus(lang, split, list(label_names), sentences, source)
