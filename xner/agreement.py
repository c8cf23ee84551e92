"""The label-free agreement set: how well a student reproduces its soft labels on held-out text.

A fixed, seeded slice of the soft-label file's sentences (words and teacher distributions only;
a soft-label file holds no tags) is kept out of student training. Every few steps the student
predicts it and is compared with the soft labels there. This is the only evidence a student's
settings or stopping point may be chosen on: it needs no target-language gold labels.
"""

import numpy as np

from .errors import XnerError
from .predict import predict_probs

EPSILON = 1e-8  # keeps log(0) out of the KL divergence


def split_agreement_set(n_sentences: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, agreement-set indices), both sorted; the same for the same arguments.

    Drawn from sentence indices alone, so nothing but the number of sentences can change it.
    """
    if not 0 < size < n_sentences:
        raise XnerError("--agreement-sentences", f"agreement set of {size} sentences needs 0 < size < {n_sentences} (the soft-label file's sentences)", f"give 1 to {n_sentences - 1}")
    held = np.sort(np.random.default_rng(seed).choice(n_sentences, size=size, replace=False))
    train = np.setdiff1d(np.arange(n_sentences), held)
    return train, held


def agreement(predicted: list[np.ndarray], targets: list[np.ndarray], outside: int) -> dict:
    """Per-word comparison of predicted and target distributions, pooled over all words.

    entity_agreement: share of the words the targets call an entity (argmax not O) where the
    prediction has the same argmax; mse: mean over words of the per-label squared error (Eq. 3);
    kl: mean over words of KL(target || prediction).
    """
    p = np.concatenate(predicted).astype(np.float64)
    q = np.concatenate(targets).astype(np.float64)
    wanted = q.argmax(1)
    entity = wanted != outside
    kl = (q * (np.log(q + EPSILON) - np.log(p + EPSILON))).sum(1)
    return {
        "entity_agreement": float((p.argmax(1)[entity] == wanted[entity]).mean()) if entity.any() else float("nan"),
        "mse": float(((p - q) ** 2).mean()),
        "kl": float(kl.mean()),
        "entity_words": int(entity.sum()),
    }


class AgreementMonitor:
    """Called by the training loop with the model; returns the agreement-set figures to record."""

    def __init__(self, tokenizer, token_lists, targets, outside: int, max_length: int, batch_size: int, device, precision):
        self.tokenizer, self.token_lists, self.targets = tokenizer, token_lists, targets
        self.outside, self.max_length, self.batch_size = outside, max_length, batch_size
        self.device, self.precision = device, precision

    def __call__(self, model) -> dict:
        predicted = predict_probs(model, self.tokenizer, self.token_lists, self.max_length, self.batch_size, self.device, self.precision)
        return agreement(predicted, self.targets, self.outside)
