"""Train a source-language NER teacher on labelled source data (cross-entropy, §3.1.1, §4.1)."""

import logging
import time
from pathlib import Path

import torch.nn.functional as F
from transformers import AutoTokenizer

from .corpus import read_corpus
from .errors import XnerError
from .io import atomic_output
from .metrics import score
from .model import new_model, save_model
from .predict import argmax_tags, predict_probs
from .train import TrainSettings, fit, runtime_settings, seed_everything

log = logging.getLogger("xner.teacher")


def cross_entropy_loss(logits, gold_ids, word_mask):
    """The teacher's loss: cross-entropy on gold labels over the words (first sub-words)."""
    return F.cross_entropy(logits[word_mask], gold_ids[word_mask])


def train_teacher(encoder, train_path, dev_path, out_dir, settings: TrainSettings, dropout, device, precision, eval_batch_size):
    train, dev = read_corpus(train_path), read_corpus(dev_path)
    label_names = train.label_names
    if dev.label_names != label_names:
        raise XnerError(dev_path, f"label set {dev.label_names} differs from {label_names} of {train_path}", "prepare both with one label set")
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    seed_everything(settings.seed)  # the fresh linear layer is drawn here: same seed, same model
    model = new_model(encoder, label_names, dropout)
    label_id = {name: i for i, name in enumerate(label_names)}
    token_lists = [s.tokens for s in train.sentences]
    targets = [[label_id[t] for t in s.tags] for s in train.sentences]
    dev_tokens = [s.tokens for s in dev.sentences]
    dev_gold = [list(s.tags) for s in dev.sentences]

    def dev_f1(epoch):
        # Source-language dev only: the one place where teacher settings may be chosen.
        probs = predict_probs(model, tokenizer, dev_tokens, settings.max_length, eval_batch_size, device, precision)
        return {"source_dev_f1": score(dev_gold, argmax_tags(probs, label_names))["default"]["f1"]}

    started = time.time()
    history, stopping = fit(model, tokenizer, token_lists, targets, cross_entropy_loss, settings, device, precision, on_epoch_end=dev_f1)
    summary = {
        "role": "teacher",
        "encoder": str(encoder),
        "label_names": label_names,
        "train_corpus": {"path": str(train_path), "lang": train.lang, "sha256": train.sha256, "n_sentences": len(train.sentences)},
        "dev_corpus": {"path": str(dev_path), "lang": dev.lang, "sha256": dev.sha256},
        "settings": vars(settings) | runtime_settings(dropout, precision, device),
        "stopping": stopping,
        "history": history,
        "train_seconds": round(time.time() - started, 1),
    }
    with atomic_output(out_dir, directory=True) as tmp:
        save_model(model, tokenizer, Path(tmp), summary)
    log.info("teacher written to %s (%.0f s)", out_dir, summary["train_seconds"])
    return summary
