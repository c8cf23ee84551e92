"""Eq. 6: the α-weighted sum of several teachers' word-probability files."""

import json

import numpy as np

from .errors import XnerError
from .softlabels import WordProbs, write_word_probs

REMAKE = "delete the wrong one and rerun the job that wrote it"


def combine(paths, weights, out, extra_attrs: dict | None = None, for_corpus=None) -> None:
    """Write sum_k weights[k] * probs_k as a file of the same layout (so `xner inspect` reads it).

    for_corpus: the TokenCorpus every input must describe (see WordProbs)."""
    if len(paths) != len(weights) or not paths:
        raise ValueError(f"need one weight per file: {len(paths)} files, {len(weights)} weights")
    numbers = all(isinstance(w, (int, float)) and np.isfinite(w) and w >= 0 for w in weights)
    if not numbers or not np.isclose(sum(weights), 1.0, atol=1e-6):
        raise XnerError("alpha", f"weights must be non-negative and sum to 1, got {weights}", "give the file `xner alpha` wrote")
    files = [WordProbs(p, for_corpus) for p in paths]
    first = files[0]
    for path, f in zip(paths[1:], files[1:]):
        if f.label_names != first.label_names:
            raise XnerError(path, f"label set {f.label_names} differs from {first.label_names} of {paths[0]}", REMAKE)
        if not np.array_equal(f.offsets, first.offsets) or f.words != first.words:
            raise XnerError(path, f"does not describe the same target text as {paths[0]}", REMAKE)
        for key in ("lang", "split", "tokens_sha256"):
            if f.attrs.get(key) != first.attrs.get(key):
                raise XnerError(path, f"{key} differs: {f.attrs.get(key)!r} here, {first.attrs.get(key)!r} in {paths[0]}", REMAKE)
    mixed = sum(w * f.probs.astype(np.float64) for w, f in zip(weights, files)).astype(np.float32)
    blocks = [[mixed[first.sentence_slice(i)] for i in range(first.n_sentences)]]
    attrs = {k: first.attrs[k] for k in ("lang", "split", "tokens_sha256") if k in first.attrs}
    attrs |= {
        "source_model": "weighted teachers (Eq. 6)",
        "teachers": json.dumps([str(p) for p in paths]),
        "alpha": json.dumps([float(w) for w in weights]),
        "teacher_models": json.dumps([f.attrs.get("source_model", "") for f in files]),
    }
    write_word_probs(out, first.token_lists(), blocks, first.label_names, attrs | (extra_attrs or {}))


def combine_files(alpha_path, inputs: dict, out, expect_corpus=None) -> None:
    """Eq. 6 with the weights of an alpha JSON file; `inputs` maps each source language to its file.

    expect_corpus: a corpus JSON path; inputs of any other text are refused."""
    from .checks import read_json
    from .corpus import read_corpus_tokens

    alpha = read_json(alpha_path, "alpha JSON file")
    if not isinstance(alpha, dict) or not isinstance(alpha.get("alpha"), dict):
        raise XnerError(alpha_path, "has no 'alpha' object", "give the file `xner alpha` wrote")
    alpha = alpha["alpha"]
    if set(inputs) != set(alpha):
        raise XnerError(
            alpha_path,
            f"weights languages {sorted(alpha)} differ from the --input languages {sorted(inputs)}",
            "give one --input per source",
        )
    langs = list(inputs)
    corpus = read_corpus_tokens(expect_corpus) if expect_corpus else None
    combine([inputs[k] for k in langs], [alpha[k] for k in langs], out, {"alpha_file": str(alpha_path)}, corpus)
