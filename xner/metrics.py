"""Entity-level precision / recall / F1 with seqeval, in two modes.

"default" is seqeval's default (conlleval-like: an entity may start with I-), which is what the
paper reports. "strict" (IOB2) only counts entities that start with B-; both are kept so that a
gap between them shows ill-formed predictions.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support as prfs_default
from seqeval.metrics.v1 import precision_recall_fscore_support as prfs_strict
from seqeval.scheme import IOB2, Entities


def _check_shapes(gold, pred) -> None:
    if not gold:
        raise ValueError("no sentences to score")  # seqeval cannot score an empty list either
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but pred has {len(pred)}")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: gold has {len(g)} tags but pred has {len(p)}")
        for j, tag in enumerate(list(g) + list(p)):
            # seqeval only warns about malformed tags and then scores them anyway.
            if not isinstance(tag, str) or not (tag == "O" or tag[:2] in ("B-", "I-") and len(tag) > 2):
                where = "gold" if j < len(g) else "pred"
                raise ValueError(f"sentence {i}: {where} tag {tag!r} is not O, B-X or I-X")


def _mode_scores(gold, pred, types: list[str], prfs, **kwargs) -> dict:
    # zero_division=0: no predictions (or no gold entities) scores 0 instead of warning.
    p, r, f, _ = prfs(gold, pred, average="micro", zero_division=0, **kwargs)
    per_p, per_r, per_f, per_s = prfs(gold, pred, average=None, zero_division=0, **kwargs)
    # seqeval orders per-type arrays by sorted type name; `types` is built the same way.
    per_type = {
        t: {"precision": float(per_p[i]), "recall": float(per_r[i]), "f1": float(per_f[i]),
            "support": int(per_s[i])}
        for i, t in enumerate(types)
    }
    return {"precision": float(p), "recall": float(r), "f1": float(f), "per_type": per_type}


def score(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Score predicted BIO tags against gold, sentence by sentence (values in [0, 1])."""
    _check_shapes(gold, pred)
    # seqeval wants lists of lists (it only flattens nested *lists*).
    gold = [list(s) for s in gold]
    pred = [list(s) for s in pred]

    gold_default, pred_default = get_entities(gold), get_entities(pred)
    default_types = sorted({e[0] for e in gold_default} | {e[0] for e in pred_default})
    strict_types = sorted(Entities(gold, IOB2).unique_tags | Entities(pred, IOB2).unique_tags)

    return {
        "default": _mode_scores(gold, pred, default_types, prfs_default),
        "strict": _mode_scores(gold, pred, strict_types, prfs_strict, scheme=IOB2),
        "n_sentences": len(gold),
        "n_words": sum(len(s) for s in gold),
        "n_gold_entities": len(gold_default),
        "n_pred_entities": len(pred_default),
    }


def entity_counts(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> np.ndarray:
    """Per sentence, in seqeval's default mode: [correct, predicted, gold] entities, shape [n, 3].

    Summed over any set of sentences they give that set's micro F1 (f1_of_counts), which is what a
    bootstrap over sentences needs: seqeval scores a list of sentences with an "O" between them, so
    no entity crosses a sentence and the sentences' counts add up to the corpus's.
    """
    _check_shapes(gold, pred)
    counts = np.zeros((len(gold), 3), dtype=np.int64)
    for i, (g, p) in enumerate(zip(gold, pred)):
        gold_entities, pred_entities = set(get_entities(list(g))), set(get_entities(list(p)))
        counts[i] = len(gold_entities & pred_entities), len(pred_entities), len(gold_entities)
    return counts


def f1_of_counts(counts: np.ndarray) -> np.ndarray:
    """Micro F1 from summed [correct, predicted, gold] (last axis); 0 where nothing was predicted or gold."""
    correct, predicted, gold = np.moveaxis(np.asarray(counts, dtype=np.float64), -1, 0)
    total = predicted + gold
    return np.divide(2 * correct, total, out=np.zeros_like(total), where=total > 0)


def paired_bootstrap(counts_a: np.ndarray, counts_b: np.ndarray, resamples: int = 1000, seed: int = 0) -> dict:
    """F1(a) − F1(b) on the same sentences, and its spread when the test sentences are resampled.

    Both systems are scored on one resample of sentences at a time (a paired bootstrap), so what is
    left is the uncertainty that comes from which sentences happen to be in the test set; seed noise
    of training is not in it. Returns the difference, the 2.5 and 97.5 percentiles of the
    resampled differences, and the share of resamples in which a does not beat b.
    """
    counts_a, counts_b = np.asarray(counts_a), np.asarray(counts_b)
    if counts_a.shape != counts_b.shape:
        raise ValueError(f"systems scored on different sentences: {counts_a.shape} and {counts_b.shape} counts")
    n = len(counts_a)
    rng = np.random.default_rng(seed)
    # Each resample as per-sentence multiplicities: the resampled sums are then one matrix product.
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)])
    differences = f1_of_counts(weights @ counts_a) - f1_of_counts(weights @ counts_b)
    low, high = np.percentile(differences, [2.5, 97.5])
    return {
        "difference": float(f1_of_counts(counts_a.sum(0)) - f1_of_counts(counts_b.sum(0))),
        "low": float(low), "high": float(high), "a_not_better": float((differences <= 0).mean()),
    }
