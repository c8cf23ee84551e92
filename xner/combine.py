"""Eq. 6: the α-weighted sum of several teachers' word-probability files."""

import json

import numpy as np

from .softlabels import WordProbs, write_word_probs


def combine(paths, weights, out, extra_attrs: dict | None = None) -> None:
    """Write sum_k weights[k] * probs_k as a file of the same layout (so `xner inspect` reads it)."""
    if len(paths) != len(weights) or not paths:
        raise ValueError(f"need one weight per file: {len(paths)} files, {len(weights)} weights")
    if any(w < 0 for w in weights) or not np.isclose(sum(weights), 1.0, atol=1e-6):
        raise ValueError(f"weights must be non-negative and sum to 1, got {weights}")
    files = [WordProbs(p) for p in paths]
    first = files[0]
    for path, f in zip(paths[1:], files[1:]):
        if f.label_names != first.label_names:
            raise ValueError(f"label sets differ: {paths[0]} has {first.label_names}, {path} has {f.label_names}")
        if not np.array_equal(f.offsets, first.offsets) or f.words != first.words:
            raise ValueError(f"{path} and {paths[0]} do not describe the same target text")
        for key in ("lang", "split", "tokens_sha256"):
            if f.attrs.get(key) != first.attrs.get(key):
                raise ValueError(f"{key} differs: {paths[0]} has {first.attrs.get(key)!r}, {path} has {f.attrs.get(key)!r}")
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


def combine_files(alpha_path, inputs: dict, out) -> None:
    """Eq. 6 with the weights of an alpha JSON file; `inputs` maps each source language to its file."""
    with open(alpha_path, encoding="utf-8") as f:
        alpha = json.load(f)["alpha"]
    if set(inputs) != set(alpha):
        raise ValueError(f"--input languages {sorted(inputs)} differ from {alpha_path}'s {sorted(alpha)}")
    langs = list(inputs)
    combine([inputs[k] for k in langs], [alpha[k] for k in langs], out, {"alpha_file": str(alpha_path)})
