"""The NER model of §3.1.1: a pre-trained encoder, dropout, one linear layer, softmax over labels.

This is exactly Hugging Face's *ForTokenClassification, so a trained model is a standard HF folder
(loadable with AutoModelForTokenClassification) with the label names in its config.
"""

import json
from pathlib import Path

import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from .checks import check_ner_config, check_trained_model
from .errors import XnerError
from .modelcard import write_model_card


def new_model(encoder: str, label_names: list[str], dropout: float = 0.1):
    """A fresh classifier head on a pre-trained encoder (an HF model id or a local folder)."""
    return AutoModelForTokenClassification.from_pretrained(
        encoder,
        num_labels=len(label_names),
        id2label=dict(enumerate(label_names)),
        label2id={name: i for i, name in enumerate(label_names)},
        classifier_dropout=dropout,
    )


def load_model(folder: str | Path, key: str = "--model"):
    """A trained NER model, its tokenizer and label names; anything else is an XnerError naming `key`."""
    check_trained_model(str(folder), key)
    model = AutoModelForTokenClassification.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    check_ner_config(model.config.to_dict(), str(folder), key)  # a hub model's config, now loaded
    return model, tokenizer, label_names_of(model)


def label_names_of(model) -> list[str]:
    return [model.config.id2label[i] for i in range(model.config.num_labels)]


def freeze(model, embeddings: bool, bottom_layers: int) -> None:
    """Freeze the embedding layer and the bottom `bottom_layers` Transformer blocks (§4.1)."""
    base = model.base_model
    if embeddings:
        base.embeddings.requires_grad_(False)
    layers = base.encoder.layer
    if bottom_layers > len(layers):
        raise XnerError("--freeze-layers", f"{bottom_layers} but the encoder has {len(layers)} layers", f"give 0 to {len(layers)}")
    for layer in layers[:bottom_layers]:
        layer.requires_grad_(False)


def head_parameters(model) -> list[torch.nn.Parameter]:
    """The freshly initialised classification layer, which may train at its own learning rate."""
    return list(model.classifier.parameters())


def word_logits(model, batch) -> torch.Tensor:
    """Logits at each word's first sub-word: [batch, words, labels]."""
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    index = batch["word_starts"].unsqueeze(-1).expand(-1, -1, out.logits.size(-1))
    return out.logits.gather(1, index)


def save_model(model, tokenizer, folder: Path, summary: dict) -> None:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "labels.json").write_text(json.dumps(label_names_of(model), indent=2) + "\n")
    (folder / "training_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_model_card(folder, summary)


def model_fingerprint(folder: str | Path) -> str:
    """sha256 of a model folder's weight files: what a soft-label file records as its teacher."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.safetensors")):
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
