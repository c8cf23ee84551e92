"""Train a target-language student on soft labels alone (Eq. 3–4), or on their one-hot rounding (HL).

The only input is a soft-label file: the target words and the teachers' distributions. Nothing
here can read target-language gold tags.
"""

import json
import logging
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer

from .agreement import AgreementMonitor, split_agreement_set
from .checks import model_labels
from .errors import XnerError
from .io import atomic_output
from .model import label_names_of, new_model, save_model
from .softlabels import WordProbs
from .train import TrainSettings, fit, runtime_settings, seed_everything

log = logging.getLogger("xner.student")


def distillation_loss(logits, teacher_probs, word_mask):
    """Eq. 3–4: per-sentence mean over words of the MSE between the student's softmax and the
    teacher's distribution, averaged over the sentences of the batch."""
    squared = (torch.softmax(logits, dim=-1) - teacher_probs).pow(2).mean(dim=-1)  # MSE per word
    per_sentence = (squared * word_mask).sum(dim=1) / word_mask.sum(dim=1).clamp(min=1)
    return per_sentence.mean()


def kl_loss(logits, teacher_probs, word_mask):
    """Not in the paper: KL(teacher's distribution || student's), averaged like the MSE."""
    log_q = torch.log(teacher_probs.clamp(min=1e-8))
    per_word = (teacher_probs * (log_q - torch.log_softmax(logits, dim=-1))).sum(dim=-1)
    per_sentence = (per_word * word_mask).sum(dim=1) / word_mask.sum(dim=1).clamp(min=1)
    return per_sentence.mean()


STUDENT_LOSSES = {"mse": distillation_loss, "kl": kl_loss}


def hard_labels(prob_lists):
    """Table 4 "HL": each distribution rounded to a one-hot vector at its most probable label."""
    out = []
    for p in prob_lists:
        one_hot = np.zeros_like(p)
        one_hot[np.arange(len(p)), p.argmax(axis=1)] = 1.0
        out.append(one_hot)
    return out


def tempered(prob_lists, temperature: float):
    """Not in the paper: each distribution raised to 1/temperature and renormalised. Below 1 it
    sharpens the (mixed) soft labels towards their argmax, HL's one-hot labels being the limit;
    above 1 it flattens them. Computed in log space so that small probabilities do not underflow
    before the normalisation."""
    out = []
    for p in prob_lists:
        logits = np.log(np.maximum(p.astype(np.float64), 1e-30)) / temperature
        q = np.exp(logits - logits.max(axis=1, keepdims=True))
        out.append((q / q.sum(axis=1, keepdims=True)).astype(p.dtype))
    return out


def teachers_of(soft: WordProbs) -> list[tuple[str, float]]:
    """(teacher model folder, weight) behind a soft-label file: its one teacher (weight 1), or the
    teachers and α an Eq. 6 mix recorded when it was written (xner.combine)."""
    if "teacher_models" in soft.attrs:
        folders, weights = json.loads(soft.attrs["teacher_models"]), json.loads(soft.attrs["alpha"])
    else:
        folders, weights = [soft.attrs.get("source_model", "")], [1.0]
    for folder in folders:
        if not (Path(folder) / "model.safetensors").is_file():
            raise XnerError(soft.path, f"its teacher {folder!r} is not a model folder here", "needed by --init teachers: train it, or use --init pretrained")
    return list(zip(folders, weights))


def in_label_order(state: dict, labels: list[str], wanted: list[str], folder) -> dict:
    """A teacher's weights with its classifier's rows in the order `wanted`: a model trained with
    the same labels in another order is the same model once its output rows are permuted."""
    if labels == wanted:
        return state
    if sorted(labels) != sorted(wanted):
        raise XnerError(folder, f"teacher labels {labels} are not the soft labels' {wanted}", "use teachers of one label set, or --init pretrained")
    head = [k for k in state if k.startswith("classifier.")]
    if not head:
        raise XnerError(folder, "holds no classifier.* weights, so its labels cannot be reordered", "use --init pretrained")
    order = torch.tensor([labels.index(name) for name in wanted])
    return {k: v.index_select(0, order) if k in head else v for k, v in state.items()}


def start_from_teachers(model, teachers: list[tuple[str, float]]) -> None:
    """Load the weighted average of the teachers' weights into `model` (not in the paper).

    The teachers are fine-tuned from one pre-trained encoder, so their weights can be averaged
    parameter by parameter; with one teacher the student starts as a copy of it. This skips the
    fresh linear layer's long stay at "O everywhere" (docs/experiments.md#students-from-the-bare-encoder).
    """
    first, shared_weight, averaged = None, 0.0, {}
    for folder, weight in teachers:
        state = in_label_order(load_file(Path(folder) / "model.safetensors"), model_labels(folder, None, folder), label_names_of(model), folder)
        if first is None:
            first = state
        elif state.keys() != first.keys():
            raise XnerError(folder, f"weights do not match {teachers[0][0]}'s", "teachers must share one encoder")
        else:
            # A tensor every teacher holds unchanged (the frozen embeddings and bottom blocks: most
            # of the weights) is its own average, so it is never summed: that float64 work was
            # most of a student's start-up. A tensor is summed in float64 from the first teacher
            # that differs; the earlier teachers' share is the first one's tensor times their weight.
            for k, v in state.items():
                if k in averaged:
                    averaged[k] += weight * v.double()
                elif not torch.equal(v, first[k]):
                    averaged[k] = shared_weight * first[k].double() + weight * v.double()
        shared_weight += weight
    own = model.state_dict()
    missing = [k for k in own if k not in first]
    if missing or any(first[k].shape != own[k].shape for k in own):
        raise XnerError("--encoder", f"the student's encoder does not match its teachers' ({len(missing)} missing tensors)", "use the teachers' encoder to start from them")
    # Unsummed tensors, integer buffers (position ids) among them, are taken as they are: α sums to 1.
    model.load_state_dict({k: averaged[k].to(own[k].dtype) if k in averaged and own[k].is_floating_point() else first[k] for k in own})


def train_student(
    encoder, softlabels_path, out_dir, settings: TrainSettings, hard: bool, dropout, device, precision,
    loss="mse", init="pretrained", agreement_sentences=0, eval_batch_size=64, temperature=1.0,
):
    soft = WordProbs(softlabels_path)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    seed_everything(settings.seed)  # the fresh linear layer is drawn here: same seed, same model
    model = new_model(encoder, soft.label_names, dropout)
    teachers = []
    if init == "teachers":
        teachers = teachers_of(soft)
        start_from_teachers(model, teachers)
    token_lists, soft_probs = soft.token_lists(), soft.prob_lists()
    targets = hard_labels(soft_probs) if hard else tempered(soft_probs, temperature) if temperature != 1 else soft_probs
    monitor, agreement_set = None, None
    if agreement_sentences:
        train_index, held_index = split_agreement_set(len(token_lists), agreement_sentences, settings.seed)
        outside = soft.label_names.index("O") if "O" in soft.label_names else 0
        # The agreement set is always scored against the soft labels themselves, even for HL.
        monitor = AgreementMonitor(
            tokenizer, [token_lists[i] for i in held_index], [soft_probs[i] for i in held_index],
            outside, settings.max_length, eval_batch_size, device, precision,
        )
        agreement_set = {"sentences": int(len(held_index)), "seed": settings.seed, "indices": held_index.tolist()}
        token_lists, targets = [token_lists[i] for i in train_index], [targets[i] for i in train_index]
    started = time.time()
    history, stopping = fit(model, tokenizer, token_lists, targets, STUDENT_LOSSES[loss], settings, device, precision, monitor=monitor)
    summary = {
        "role": "student",
        "encoder": str(encoder),
        "label_names": soft.label_names,
        "targets": "hard (one-hot argmax)" if hard else "soft" if temperature == 1 else f"soft, temperature {temperature}",
        "loss": loss,
        "init": {"from": init, "teachers": [{"model": f, "weight": w} for f, w in teachers]},
        "softlabels": {"path": str(softlabels_path), **{k: soft.attrs.get(k) for k in ("source_model", "lang", "split", "tokens_sha256", "teachers", "alpha")}},
        "trained_sentences": len(token_lists),
        "agreement_set": agreement_set,
        "settings": vars(settings) | runtime_settings(dropout, precision, device),
        "stopping": stopping,
        "history": history,
        "train_seconds": round(time.time() - started, 1),
    }
    with atomic_output(out_dir, directory=True) as tmp:
        save_model(model, tokenizer, Path(tmp), summary)
    log.info("student written to %s (%.0f s)", out_dir, summary["train_seconds"])
    return summary
