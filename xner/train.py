"""One training loop for teachers and students; each brings its own loss (teacher.py, student.py).

Both read words and per-word targets only; the student's targets come from a soft-label file, so a
student never sees target-language gold tags. The losses live with their role so that editing one
reruns only the models trained with it.
"""

import logging
import math
import random
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from .device import autocast, resolve_precision
from .features import collate, encode, length_batches
from .model import freeze, head_parameters, word_logits

log = logging.getLogger("xner.train")


@dataclass
class TrainSettings:
    epochs: float = 3
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float | None = None  # None: same as lr. A fresh head usually wants more (config/cpu-benchmark.yaml)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    freeze_embeddings: bool = True
    freeze_layers: int = 3
    max_length: int = 128
    seed: int = 1
    log_every: int = 50
    max_steps: int | None = None  # a cap on the steps the epochs give
    # With an agreement monitor (students): measure every `eval_every` steps; stop after
    # `patience` measurements without a better entity agreement (None: never early); keep the
    # best-agreement weights instead of the last ones when `keep_best`.
    eval_every: int = 50
    patience: int | None = None
    keep_best: bool = False


def runtime_settings(dropout, precision, device) -> dict:
    """What a training summary records besides TrainSettings: the precision the job ran (`auto`
    resolved) next to the one asked for, and the CPU threads torch used."""
    return {
        "dropout": dropout, "precision": resolve_precision(precision, device), "precision_setting": precision,
        "device": str(device), "threads": torch.get_num_threads(),
    }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def word_targets_to_windows(windows, targets):
    """Cut per-sentence targets (label ids [words] or probabilities [words, labels]) along the windows."""
    return [targets[w.sentence][w.first_word : w.first_word + w.n_words] for w in windows]


def pad_targets(window_targets, n_labels, soft: bool):
    max_words = max(len(t) for t in window_targets)
    if not soft:
        out = torch.full((len(window_targets), max_words), -100, dtype=torch.long)
        for i, t in enumerate(window_targets):
            out[i, : len(t)] = torch.as_tensor(t, dtype=torch.long)
    else:
        out = torch.zeros((len(window_targets), max_words, n_labels), dtype=torch.float32)
        for i, t in enumerate(window_targets):
            out[i, : len(t)] = torch.as_tensor(t, dtype=torch.float32)
    return out


def fit(model, tokenizer, token_lists, targets, loss_fn, settings: TrainSettings, device, precision="fp32", on_epoch_end=None, monitor=None):
    """Train `model` in place; return (history, stopping): the records for the training summary.

    `targets[i]` is sentence i's label ids [words] or probability rows [words, labels];
    `loss_fn(logits, padded_targets, word_mask)` is the role's loss on those targets. Logged as
    training goes: loss and the agreement with the targets on words whose target is an entity, the
    figure that reveals a student collapsing to "O everywhere" while its loss still looks fine.
    `monitor(model)`, when given, measures held-out agreement (xner.agreement) before the first
    step, every `settings.eval_every` steps (see _measure_now) and at the end; it drives early
    stopping and the choice of the best weights.
    """
    seed_everything(settings.seed)
    precision = resolve_precision(precision, device)
    freeze(model, settings.freeze_embeddings, settings.freeze_layers)
    model.to(device)
    windows = encode(tokenizer, token_lists, settings.max_length)
    window_targets = word_targets_to_windows(windows, targets)
    n_labels = model.config.num_labels
    soft = bool(targets) and np.ndim(targets[0]) == 2
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
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    warmup = int(settings.warmup_ratio * total_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / (warmup + 1) if s < warmup else max(0.0, (total_steps - s) / max(1, total_steps - warmup))
    )
    log.info(
        "training on %d sentences (%d windows), %d steps, precision %s, %d threads, %s",
        len(token_lists), len(windows), total_steps, precision, torch.get_num_threads(), asdict(settings),
    )
    history, step, started = [], 0, time.time()
    tracker = _BestAgreement(settings) if monitor is not None else None

    def measure():
        figures = monitor(model)
        model.train()
        record = {"step": step, "epoch": round(step / steps_per_epoch, 3), **{f"heldout_{k}": v for k, v in figures.items()}}
        history.append(record)
        log.info("step %d agreement set: entity agreement %.4f mse %.6f kl %.5f", step, figures["entity_agreement"], figures["mse"], figures["kl"])
        return tracker.update(step, figures["entity_agreement"], model)

    stop = measure() if tracker else False
    bar = tqdm(total=total_steps, desc=f"train ({loss_fn.__name__})", disable=None, mininterval=10)
    # Running sums stay on the device and are read at log time only: on a GPU, reading them every
    # step (.item(), int()) would wait for each step to finish before queueing the next.
    running = _zero_running(device)
    subwords = 0  # real sub-words trained on (no padding): what benchmarks/throughput.py counts
    epoch = 0
    while step < total_steps and not stop:
        model.train()
        for index in length_batches(windows, settings.batch_size, rng):
            if step >= total_steps or stop:
                break
            batch = {k: v.to(device) for k, v in collate([windows[i] for i in index], tokenizer.pad_token_id).items()}
            batch_targets = pad_targets([window_targets[i] for i in index], n_labels, soft).to(device)
            with autocast(device, precision):
                logits = word_logits(model, batch).float()
            value = loss_fn(logits, batch_targets, batch["word_mask"])
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
            optimizer.step()
            schedule.step()
            step += 1
            bar.update(1)
            subwords += sum(len(windows[i].input_ids) for i in index)
            with torch.no_grad():
                wanted = batch_targets.argmax(-1) if soft else batch_targets
                entity = batch["word_mask"] & (wanted != outside) & (wanted != -100)
                running["loss"] += value.detach().double()
                running["n"] += 1
                running["entity_words"] += entity.sum()
                running["entity_agree"] += ((logits.argmax(-1) == wanted) & entity).sum()
            if step % settings.log_every == 0 or step == total_steps:
                record = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 3),
                    "loss": running["loss"].item() / running["n"],
                    "entity_agreement": int(running["entity_agree"]) / max(1, int(running["entity_words"])),
                    "lr": schedule.get_last_lr()[0],
                    "seconds": round(time.time() - started, 1),
                }
                history.append(record)
                log.info("step %(step)d epoch %(epoch).2f loss %(loss).5f entity-agreement %(entity_agreement).3f", record)
                running = _zero_running(device)
            if tracker and _measure_now(step, total_steps, settings.eval_every):
                stop = measure()
        epoch += 1
        if on_epoch_end is not None:
            extra = on_epoch_end(epoch)
            if extra:
                history.append({"step": step, "epoch": epoch, **extra})
                log.info("after epoch %d: %s", epoch, extra)
    bar.close()
    stopping = {"steps": step, "planned_steps": total_steps, "subwords": subwords, "seconds": round(time.time() - started, 1)}
    if tracker:
        stopping |= tracker.finish(model, step)
        log.info("stopping: %s", stopping)
    return history, stopping


def _measure_now(step, total_steps, every) -> bool:
    """Every `every` steps and at the end, but not a scheduled measurement that falls less than
    half an interval before the end: the final one follows so soon that it would measure nearly
    the same weights again (176 steps, every 25: 150 and 176, not 150, 175 and 176)."""
    if step == total_steps:
        return True
    return step % every == 0 and total_steps - step >= every // 2


def _zero_running(device) -> dict:
    zero = torch.zeros((), dtype=torch.float64, device=device)
    return {"loss": zero.clone(), "n": 0, "entity_words": zero.clone(), "entity_agree": zero.clone()}


class _BestAgreement:
    """Patience on the agreement set's entity agreement, and the weights where it was best."""

    def __init__(self, settings: TrainSettings):
        self.patience, self.keep_best = settings.patience, settings.keep_best
        self.best, self.best_step, self.since_best, self.best_state = -1.0, None, 0, None
        self.stopped_early = False

    def update(self, step, value, model) -> bool:
        """Record a measurement; True when patience has run out. The measurement before the first
        step is a reference only: a student warm-started from its teacher would otherwise be
        "best" untrained, since it agrees with that teacher's soft labels by construction."""
        if step == 0:
            return False
        if value > self.best:
            self.best, self.best_step, self.since_best = value, step, 0
            if self.keep_best:  # a copy on the host: a second model's worth of memory
                self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            self.since_best += 1
        self.stopped_early = self.patience is not None and self.since_best >= self.patience
        return self.stopped_early

    def finish(self, model, step) -> dict:
        if self.keep_best and self.best_state is not None and self.best_step != step:
            model.load_state_dict(self.best_state)
        return {
            "best_heldout_entity_agreement": self.best,
            "best_step": self.best_step,
            "stopped_early": self.stopped_early,
            "weights": f"best (step {self.best_step})" if self.keep_best else f"last (step {step})",
        }
