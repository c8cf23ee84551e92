"""One training loop for teachers (cross-entropy on gold labels) and students (MSE on soft labels).

Both read words and per-word targets only; the student's targets come from a soft-label file, so a
student never sees target-language gold tags.
"""

import logging
import math
import random
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .device import autocast
from .features import collate, encode, length_batches
from .model import freeze, head_parameters, word_logits

log = logging.getLogger("xner.train")


@dataclass
class TrainSettings:
    epochs: float = 3
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float | None = None  # None: same as lr. A fresh head usually wants more (see README)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    freeze_embeddings: bool = True
    freeze_layers: int = 3
    max_length: int = 128
    seed: int = 1
    log_every: int = 50


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def word_targets_to_windows(windows, targets):
    """Cut per-sentence targets (label ids [words] or probabilities [words, labels]) along the windows."""
    return [targets[w.sentence][w.first_word : w.first_word + w.n_words] for w in windows]


def batch_loss(logits, batch_targets, word_mask, loss: str):
    """Cross-entropy over words, or Eq. 3–4: per-sentence mean over words of the MSE between the
    student's softmax and the target distribution, averaged over the sentences of the batch."""
    if loss == "ce":
        return F.cross_entropy(logits[word_mask], batch_targets[word_mask])
    if loss == "mse":
        squared = (torch.softmax(logits, dim=-1) - batch_targets).pow(2).mean(dim=-1)  # MSE per word
        per_sentence = (squared * word_mask).sum(dim=1) / word_mask.sum(dim=1).clamp(min=1)
        return per_sentence.mean()
    raise ValueError(f"unknown loss {loss!r}")


def pad_targets(window_targets, n_labels, loss):
    max_words = max(len(t) for t in window_targets)
    if loss == "ce":
        out = torch.full((len(window_targets), max_words), -100, dtype=torch.long)
        for i, t in enumerate(window_targets):
            out[i, : len(t)] = torch.as_tensor(t, dtype=torch.long)
    else:
        out = torch.zeros((len(window_targets), max_words, n_labels), dtype=torch.float32)
        for i, t in enumerate(window_targets):
            out[i, : len(t)] = torch.as_tensor(t, dtype=torch.float32)
    return out


def fit(model, tokenizer, token_lists, targets, loss, settings: TrainSettings, device, precision="fp32", on_epoch_end=None):
    """Train `model` in place; return the history (a list of dicts) for the training summary.

    `targets[i]` is sentence i's label ids (loss "ce") or probability rows (loss "mse"). Logged as
    training goes: loss and the agreement with the targets on words whose target is an entity, the
    figure that reveals a student collapsing to "O everywhere" while its loss still looks fine.
    """
    seed_everything(settings.seed)
    freeze(model, settings.freeze_embeddings, settings.freeze_layers)
    model.to(device)
    windows = encode(tokenizer, token_lists, settings.max_length)
    window_targets = word_targets_to_windows(windows, targets)
    n_labels = model.config.num_labels
    outside = model.config.label2id.get("O", 0)

    head = {id(p) for p in head_parameters(model)}
    groups = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        lr = (settings.head_lr or settings.lr) if id(p) in head else settings.lr
        decay = 0.0 if (name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name) else settings.weight_decay
        groups.setdefault((lr, decay), []).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": ps, "lr": lr, "weight_decay": wd} for (lr, wd), ps in groups.items()], eps=1e-8
    )
    rng = np.random.default_rng(settings.seed)
    steps_per_epoch = math.ceil(len(windows) / settings.batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * settings.epochs))
    warmup = int(settings.warmup_ratio * total_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / (warmup + 1) if s < warmup else max(0.0, (total_steps - s) / max(1, total_steps - warmup))
    )
    log.info(
        "training on %d sentences (%d windows), %d steps, %s", len(token_lists), len(windows), total_steps, asdict(settings)
    )
    history, step, started = [], 0, time.time()
    bar = tqdm(total=total_steps, desc=f"train ({loss})", disable=None, mininterval=10)
    running = {"loss": 0.0, "n": 0, "entity_words": 0, "entity_agree": 0}
    epoch = 0
    while step < total_steps:
        model.train()
        for index in length_batches(windows, settings.batch_size, rng):
            if step >= total_steps:
                break
            batch = {k: v.to(device) for k, v in collate([windows[i] for i in index], tokenizer.pad_token_id).items()}
            batch_targets = pad_targets([window_targets[i] for i in index], n_labels, loss).to(device)
            with autocast(device, precision):
                logits = word_logits(model, batch).float()
            value = batch_loss(logits, batch_targets, batch["word_mask"], loss)
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
            optimizer.step()
            schedule.step()
            step += 1
            bar.update(1)
            with torch.no_grad():
                wanted = batch_targets if loss == "ce" else batch_targets.argmax(-1)
                entity = batch["word_mask"] & (wanted != outside) & (wanted != -100)
                running["loss"] += value.item()
                running["n"] += 1
                running["entity_words"] += int(entity.sum())
                running["entity_agree"] += int(((logits.argmax(-1) == wanted) & entity).sum())
            if step % settings.log_every == 0 or step == total_steps:
                record = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 3),
                    "loss": running["loss"] / running["n"],
                    "entity_agreement": running["entity_agree"] / max(1, running["entity_words"]),
                    "lr": schedule.get_last_lr()[0],
                    "seconds": round(time.time() - started, 1),
                }
                history.append(record)
                log.info("step %(step)d epoch %(epoch).2f loss %(loss).5f entity-agreement %(entity_agreement).3f", record)
                running = {"loss": 0.0, "n": 0, "entity_words": 0, "entity_agree": 0}
        epoch += 1
        if on_epoch_end is not None:
            extra = on_epoch_end(epoch)
            if extra:
                history.append({"step": step, "epoch": epoch, **extra})
                log.info("after epoch %d: %s", epoch, extra)
    bar.close()
    return history
