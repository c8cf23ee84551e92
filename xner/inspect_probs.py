"""`xner inspect`: what a teacher believes, read from a word-probability file."""

import json

import numpy as np

from .errors import XnerError
from .softlabels import WordProbs


def summary(probs: WordProbs) -> dict:
    p = probs.probs
    best = p.argmax(axis=1)
    top = p.max(axis=1)
    outside = probs.label_names.index("O") if "O" in probs.label_names else -1
    entity = best != outside
    entropy = -(p * np.log(np.clip(p, 1e-12, None))).sum(axis=1)
    return {
        "file": str(probs.path),
        "sentences": probs.n_sentences,
        "words": int(len(p)),
        "labels": probs.label_names,
        "mean_max_probability": float(top.mean()) if len(p) else None,
        "mean_max_probability_entity_words": float(top[entity].mean()) if entity.any() else None,
        "mean_entropy_nats": float(entropy.mean()) if len(p) else None,
        "predicted_label_counts": {name: int((best == j).sum()) for j, name in enumerate(probs.label_names)},
        "attributes": {k: v for k, v in probs.attrs.items() if k != "label_names"},
    }


def sentence_text(probs: WordProbs, index: int) -> str:
    """One sentence as `word [LABEL, p]`, the style of the paper's Figure 4."""
    if not 0 <= index < probs.n_sentences:
        raise XnerError("--sentence", f"{index} is out of range: {probs.path} has {probs.n_sentences} sentences", f"give 0 to {probs.n_sentences - 1}")
    rows = probs.probs[probs.sentence_slice(index)]
    words = probs.words[probs.sentence_slice(index)]
    return " ".join(f"{w} [{probs.label_names[r.argmax()]}, {r.max():.2f}]" for w, r in zip(words, rows))


def agreement(a: WordProbs, b: WordProbs) -> dict:
    if a.words != b.words or not np.array_equal(a.offsets, b.offsets):
        raise XnerError(b.path, f"does not describe the same text as {a.path}", "compare files over one corpus")
    if a.label_names != b.label_names:
        raise XnerError(b.path, f"label set {b.label_names} differs from {a.label_names} of {a.path}", "compare files with one label set")
    best_a, best_b = a.probs.argmax(1), b.probs.argmax(1)
    outside = a.label_names.index("O") if "O" in a.label_names else -1
    entity = (best_a != outside) | (best_b != outside)
    return {
        "words": int(len(best_a)),
        "argmax_agreement": float((best_a == best_b).mean()),
        "argmax_agreement_entity_words": float((best_a == best_b)[entity].mean()) if entity.any() else None,
        "mean_total_variation": float(0.5 * np.abs(a.probs - b.probs).sum(1).mean()),
    }


def run(path, sentence=None, other=None, as_json=False) -> str:
    probs = WordProbs(path)
    report = {"summary": summary(probs)}
    if sentence is not None:
        report["sentence"] = {"index": sentence, "text": sentence_text(probs, sentence)}
    if other is not None:
        report["agreement"] = {"other": str(other), **agreement(probs, WordProbs(other))}
    if as_json:
        return json.dumps(report, indent=2, ensure_ascii=False)
    s = report["summary"]
    lines = [
        f"{s['file']}: {s['sentences']} sentences, {s['words']} words, labels {' '.join(s['labels'])}",
        f"mean max-probability {s['mean_max_probability']:.3f}"
        + (f" (entity words {s['mean_max_probability_entity_words']:.3f})" if s["mean_max_probability_entity_words"] else ""),
        f"mean entropy {s['mean_entropy_nats']:.3f} nats",
        "predicted labels: " + ", ".join(f"{k} {v}" for k, v in s["predicted_label_counts"].items()),
    ]
    lines += [f"  {k}: {v}" for k, v in s["attributes"].items()]
    if "sentence" in report:
        lines.append(f"sentence {sentence}: {report['sentence']['text']}")
    if "agreement" in report:
        g = report["agreement"]
        lines.append(
            f"agreement with {other}: argmax {g['argmax_agreement']:.3f}, on entity words "
            f"{g['argmax_agreement_entity_words']}, mean total variation {g['mean_total_variation']:.4f}"
        )
    return "\n".join(lines)
