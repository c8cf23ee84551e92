"""Word-level probability files (HDF5): teachers' soft labels and every model's predictions.

Layout (ragged, CSR-style, independent of any tokenizer):
  probs    float32 [total_words, n_labels]  probability of each label for each word
  offsets  int64   [n_sentences + 1]        sentence i holds rows offsets[i]:offsets[i+1]
  words    str     [total_words]            the words themselves
Attributes: format, label_names, source model, encoder, lang, split, tokens_sha256 of the corpus,
xner version, creation time, plus whatever the writer adds. A student with another tokenizer
re-tokenises `words`, so soft labels made with one tokenizer can teach a model with another.
"""

import datetime as dt
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .errors import XnerError
from .io import atomic_output, hdf5_read_error, tokens_sha256

FORMAT = "xner-word-probs/1"
CHUNK_ROWS = 8192


def write_word_probs(path, token_lists, prob_blocks, label_names, attrs: dict) -> None:
    """Stream per-sentence probability arrays (an iterable of lists, in sentence order) to HDF5."""
    lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    total, n_labels = int(offsets[-1]), len(label_names)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        chunk = (max(1, min(CHUNK_ROWS, total)), n_labels)
        probs = f.create_dataset("probs", (total, n_labels), "float32", chunks=chunk, compression="gzip", shuffle=True)
        f.create_dataset("offsets", data=offsets)
        words = [w for t in token_lists for w in t]
        f.create_dataset(
            "words", data=np.array(words, dtype=object), dtype=h5py.string_dtype(),
            chunks=(chunk[0],) if total else None, compression="gzip" if total else None,
        )
        row, sentence = 0, 0
        for block in prob_blocks:
            for p in block:
                if p.shape != (lengths[sentence], n_labels):
                    raise ValueError(f"sentence {sentence}: probabilities {p.shape}, expected {(lengths[sentence], n_labels)}")
                sentence += 1
            if block:
                stacked = np.concatenate(block).astype(np.float32)
                probs[row : row + len(stacked)] = stacked
                row += len(stacked)
        if sentence != len(lengths):
            raise ValueError(f"got probabilities for {sentence} of {len(lengths)} sentences")
        f.attrs.update(
            {
                "format": FORMAT,
                "label_names": list(label_names),
                "n_sentences": len(lengths),
                "n_words": total,
                "xner_version": __version__,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
        )
        f.attrs.update({k: ("" if v is None else v) for k, v in attrs.items()})


ROW_SUM_TOLERANCE = 1e-3
REMAKE = "delete it and rerun the job that wrote it"


class WordProbs:
    """Read a word-probability file; everything is loaded on first use (files are a few MB).

    Reading checks the contract every consumer relies on: the xner format, a consistent layout,
    words that match the recorded tokens_sha256, one column per label, finite rows summing to 1.
    `for_corpus` (a TokenCorpus) also requires the lang, split and tokens_sha256 of that corpus.
    """

    def __init__(self, path, for_corpus=None):
        self.path = Path(path)
        try:
            with h5py.File(self.path, "r") as f:
                if f.attrs.get("format") != FORMAT:
                    raise XnerError(self.path, f"not an xner word-probability file (format={f.attrs.get('format')!r})", "give a file written by xner predict or combine")
                self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
                self.offsets = f["offsets"][:]
                self.probs = f["probs"][:]
                self.words = [w.decode() if isinstance(w, bytes) else w for w in f["words"][:]]
        except FileNotFoundError:
            raise XnerError(self.path, "file does not exist", "check the path") from None
        except (OSError, KeyError) as e:
            raise hdf5_read_error(self.path, e, "HDF5 word-probability file", REMAKE) from None
        self.label_names = list(self.attrs.get("label_names", []))
        self._check_contract()
        if for_corpus is not None:
            self._check_belongs_to(for_corpus)

    def _check_contract(self) -> None:
        def fail(what):
            raise XnerError(self.path, what, REMAKE)

        if self.probs.ndim != 2 or self.probs.shape[1] != len(self.label_names):
            fail(f"probabilities of shape {self.probs.shape} for {len(self.label_names)} labels")
        o = self.offsets
        if len(o) == 0 or o[0] != 0 or o[-1] != len(self.probs) or (np.diff(o) < 0).any() or len(self.words) != len(self.probs):
            fail(f"inconsistent layout: {len(self.probs)} rows, {len(self.words)} words, offsets ending at {o[-1] if len(o) else None}")
        finite = np.isfinite(self.probs).all(axis=1)
        if not finite.all():
            fail(f"{int((~finite).sum())} row(s) with NaN or infinite values, the first at word {int(np.argmin(finite))}")
        off = np.abs(self.probs.sum(axis=1, dtype=np.float64) - 1) > ROW_SUM_TOLERANCE
        if off.any():
            first = int(np.argmax(off))
            fail(f"{int(off.sum())} row(s) do not sum to 1, the first at word {first} (sum {self.probs[first].sum():.4f})")
        recorded = self.attrs.get("tokens_sha256")
        if recorded != tokens_sha256(self.token_lists()):
            fail(f"words do not match the recorded tokens_sha256 {recorded!r}: edited or damaged")

    def _check_belongs_to(self, corpus) -> None:
        for key in ("lang", "split", "tokens_sha256"):
            if self.attrs.get(key) != getattr(corpus, key):
                raise XnerError(
                    self.path, f"{key} is {self.attrs.get(key)!r} but the corpus it is meant for has {getattr(corpus, key)!r}",
                    "these are labels of another text: " + REMAKE,
                )

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    def sentence_slice(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def token_lists(self) -> list[list[str]]:
        return [self.words[self.sentence_slice(i)] for i in range(self.n_sentences)]

    def prob_lists(self) -> list[np.ndarray]:
        return [self.probs[self.sentence_slice(i)] for i in range(self.n_sentences)]

    def tag_lists(self) -> list[list[str]]:
        """Argmax labels per word (Eq. 5)."""
        best = self.probs.argmax(axis=1)
        return [[self.label_names[j] for j in best[self.sentence_slice(i)]] for i in range(self.n_sentences)]


def _plain(value):
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
