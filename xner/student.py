"""Train a target-language student on soft labels alone (Eq. 3–4), or on their one-hot rounding (HL).

The only input is a soft-label file: the target words and the teachers' distributions. Nothing
here can read target-language gold tags.
"""

import logging
import time
from pathlib import Path

import numpy as np
from transformers import AutoTokenizer

from .io import atomic_output
from .model import new_model, save_model
from .softlabels import WordProbs
from .train import TrainSettings, fit, seed_everything

log = logging.getLogger("xner.student")


def hard_labels(prob_lists):
    """Table 4 "HL": each distribution rounded to a one-hot vector at its most probable label."""
    out = []
    for p in prob_lists:
        one_hot = np.zeros_like(p)
        one_hot[np.arange(len(p)), p.argmax(axis=1)] = 1.0
        out.append(one_hot)
    return out


def train_student(encoder, softlabels_path, out_dir, settings: TrainSettings, hard: bool, dropout, device, precision):
    soft = WordProbs(softlabels_path)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    seed_everything(settings.seed)  # the fresh linear layer is drawn here: same seed, same model
    model = new_model(encoder, soft.label_names, dropout)
    targets = soft.prob_lists()
    if hard:
        targets = hard_labels(targets)
    started = time.time()
    history = fit(model, tokenizer, soft.token_lists(), targets, "mse", settings, device, precision)
    summary = {
        "role": "student",
        "encoder": str(encoder),
        "label_names": soft.label_names,
        "targets": "hard (one-hot argmax)" if hard else "soft",
        "softlabels": {"path": str(softlabels_path), **{k: soft.attrs.get(k) for k in ("source_model", "lang", "split", "tokens_sha256", "teachers", "alpha")}},
        "settings": vars(settings) | {"dropout": dropout, "precision": precision, "device": str(device)},
        "history": history,
        "train_seconds": round(time.time() - started, 1),
    }
    with atomic_output(out_dir, directory=True) as tmp:
        save_model(model, tokenizer, Path(tmp), summary)
    log.info("student written to %s (%.0f s)", out_dir, summary["train_seconds"])
    return summary
