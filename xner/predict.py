"""Batched inference: per-word label probabilities for a list of sentences."""

import numpy as np
import torch
from tqdm.auto import tqdm

from .device import autocast
from .features import collate, encode, length_batches
from .model import word_logits

BLOCK_SENTENCES = 2048  # sentences per block: memory stays flat however large the corpus


def predict_blocks(model, tokenizer, token_lists, max_length, batch_size, device, precision="fp32", desc="predict"):
    """Yield, block by block and in corpus order, lists of per-sentence arrays [words, labels].

    Within a block, windows are sorted by length and padded per batch (dynamic padding); long
    sentences come back whole, their windows stitched together.
    """
    model.to(device).eval()
    n_labels = model.config.num_labels
    bar = tqdm(total=len(token_lists), desc=desc, unit="sent", disable=None, mininterval=10)
    for first in range(0, len(token_lists), BLOCK_SENTENCES):
        block = token_lists[first : first + BLOCK_SENTENCES]
        windows = encode(tokenizer, block, max_length)
        out = [np.zeros((len(t), n_labels), dtype=np.float32) for t in block]
        with torch.inference_mode():
            for index in length_batches(windows, batch_size):
                batch_windows = [windows[i] for i in index]
                batch = {k: v.to(device) for k, v in collate(batch_windows, tokenizer.pad_token_id).items()}
                with autocast(device, precision):
                    logits = word_logits(model, batch)
                probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                for w, p in zip(batch_windows, probs):
                    out[w.sentence][w.first_word : w.first_word + w.n_words] = p[: w.n_words]
        bar.update(len(block))
        yield out
    bar.close()


def predict_probs(model, tokenizer, token_lists, max_length, batch_size, device, precision="fp32"):
    """All per-sentence probability arrays at once (for small corpora and evaluation during training)."""
    return [p for block in predict_blocks(model, tokenizer, token_lists, max_length, batch_size, device, precision) for p in block]


def argmax_tags(prob_lists, label_names):
    return [[label_names[j] for j in p.argmax(axis=1)] for p in prob_lists]
