"""Apply a trained model to a corpus file: the word-probability file of soft labels and predictions."""

import json
from pathlib import Path

from .corpus import read_corpus_tokens
from .device import resolve_device
from .model import load_model, model_fingerprint
from .predict import predict_blocks
from .softlabels import write_word_probs


def trained_from(model_dir) -> str:
    """The pre-trained encoder a model was fine-tuned from (its training summary says)."""
    summary = Path(model_dir) / "training_summary.json"
    return json.loads(summary.read_text())["encoder"] if summary.exists() else str(model_dir)


def predict_corpora(model_dir, corpus_outputs, max_length, batch_size, device="auto", precision="fp32") -> None:
    """Per-word label probabilities of the model in `model_dir` on each (corpus file, output file)
    pair. The model is loaded once: loading torch, transformers and the weights costs a CPU job
    about 8 s, two thirds of predicting a 500-sentence dev set (docs/experiments.md#on-the-amd-epyc-quiet)."""
    # Tokens only, so gold tags never reach soft labels; every corpus is checked before the model loads.
    corpora = [(read_corpus_tokens(path), path, out) for path, out in corpus_outputs]
    model, tokenizer, label_names = load_model(model_dir)
    device = resolve_device(device)
    model_attrs = {"source_model": str(model_dir), "source_model_sha256": model_fingerprint(model_dir), "encoder": trained_from(model_dir)}
    for corpus, path, out in corpora:
        blocks = predict_blocks(
            model, tokenizer, corpus.token_lists, max_length, batch_size, device, precision
        )
        attrs = model_attrs | {
            "lang": corpus.lang,
            "split": corpus.split,
            "tokens_sha256": corpus.tokens_sha256,
            "corpus": str(path),
            "granularity": "word (first sub-word)",
            "max_length": max_length,
        }
        write_word_probs(out, corpus.token_lists, blocks, label_names, attrs)
