"""Entity-level precision / recall / F1 with seqeval, in two modes.

"default" is seqeval's default (conlleval-like: an entity may start with I-), which is what the
paper reports. "strict" (IOB2) only counts entities that start with B-; both are kept so that a
gap between them shows ill-formed predictions.
"""

from __future__ import annotations

from typing import Sequence

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
