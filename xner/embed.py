"""Sentence embeddings g(u) from a frozen pre-trained encoder (Wu et al., 2020, §4.1).

The paper uses "the final hidden vector of the first [CLS] token as the sentence embedding for
g(·)" of the *pre-trained* multilingual BERT, which is not the fine-tuned NER teacher. Note the
authors' code takes the pooled output instead (pooler dense + tanh over [CLS]); we follow the paper.

The encoder is never trained here: it runs in eval mode under `torch.inference_mode()`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os

import h5py
import numpy as np
import torch
from tqdm.auto import tqdm

import xner
from xner.device import resolve_device
from xner.errors import XnerError
from xner.io import atomic_output, hdf5_read_error

log = logging.getLogger("xner.embed")

POOLING = "first_token_final_hidden"
DATASET = "embeddings"


def sentence_embeddings(
    encoder: str,
    token_lists: list[list[str]],
    batch_size: int = 64,
    max_length: int = 128,
    device: str = "auto",
) -> np.ndarray:
    """Embed each pre-tokenised sentence with the final hidden vector of its first token.

    `encoder` is a Hugging Face folder or model id. Sentences are truncated to `max_length`
    sub-words (harmless: only position 0 is read), batched by length with dynamic padding, and the
    rows come back in the order of `token_lists`. Returns float32 [N, hidden].
    """
    from transformers import AutoModel, AutoTokenizer

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    torch_device = resolve_device(device)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    # The first token must sit at position 0 in every padded row.
    tokenizer.padding_side = "right"
    model = AutoModel.from_pretrained(encoder)
    model.eval().to(torch_device)
    hidden = model.config.hidden_size

    n = len(token_lists)
    out = np.empty((n, hidden), dtype=np.float32)
    if n == 0:
        return out

    encoded = tokenizer(
        [list(words) for words in token_lists],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
    )
    features = [
        {key: encoded[key][i] for key in encoded.keys()} for i in range(n)
    ]
    lengths = np.array([len(f["input_ids"]) for f in features])
    # Longest first: the first batch shows at once whether memory suffices.
    order = np.argsort(-lengths, kind="stable")

    with torch.inference_mode(), tqdm(
        total=n, unit="sent", desc=f"embed {os.path.basename(str(encoder).rstrip('/'))}",
        disable=None, mininterval=10,
    ) as bar:
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            batch = tokenizer.pad([features[i] for i in idx], padding=True, return_tensors="pt")
            batch = {k: v.to(torch_device) for k, v in batch.items()}
            states = model(**batch).last_hidden_state
            out[idx] = states[:, 0].float().cpu().numpy()
            bar.update(len(idx))
    return out


def _attr_value(value):
    if isinstance(value, (str, bool, int, float, np.integer, np.floating)):
        return value
    if value is None:
        return ""
    return json.dumps(value)


def write_embeddings(path: str | os.PathLike, embeddings: np.ndarray, attrs: dict) -> None:
    """Write float32 [N, d] embeddings plus provenance attrs to HDF5, atomically.

    `attrs` should carry encoder, lang, split and tokens_sha256; n_sentences, pooling, the xner
    version and the creation time (UTC, ISO 8601) are filled in here. Non-scalar values are stored
    as JSON strings and None as "".
    """
    array = np.asarray(embeddings, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"embeddings must be 2-D [N, d]; got shape {array.shape}")
    n = array.shape[0]
    if "n_sentences" in attrs and int(attrs["n_sentences"]) != n:
        raise ValueError(f"attrs n_sentences={attrs['n_sentences']} but embeddings have {n} rows")
    meta = {
        "pooling": POOLING,
        "xner_version": xner.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **attrs,
        "n_sentences": n,
    }

    with atomic_output(path) as tmp, h5py.File(tmp, "w") as fh:
        if n > 0 and array.shape[1] > 0:
            chunks = (max(1, min(n, 256)), array.shape[1])
            dset = fh.create_dataset(DATASET, data=array, chunks=chunks, compression="gzip", compression_opts=4)
        else:
            dset = fh.create_dataset(DATASET, data=array)
        for key, value in meta.items():
            dset.attrs[key] = _attr_value(value)


def _python(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_embeddings(path: str | os.PathLike) -> tuple[np.ndarray, dict]:
    """Read (float32 [N, d] embeddings, attrs dict) written by `write_embeddings`."""
    try:
        with h5py.File(path, "r") as fh:
            dset = fh[DATASET]
            array = np.asarray(dset[...], dtype=np.float32)
            attrs = {key: _python(value) for key, value in dset.attrs.items()}
    except FileNotFoundError:
        raise XnerError(path, "file does not exist", "check the path") from None
    except (OSError, KeyError) as e:
        raise hdf5_read_error(path, e, "embeddings file", "delete it and rerun `xner embed`") from None
    if array.ndim != 2 or not np.isfinite(array).all():
        raise XnerError(path, f"embeddings must be a finite [N, d] array, got shape {array.shape}", "delete it and rerun `xner embed`")
    return array, attrs


def embed_corpus(encoder, corpus_path, out, batch_size=64, max_length=128, device="auto") -> None:
    """g(u) of every sentence of a corpus file (its tokens only), written to `out` with provenance."""
    from .corpus import read_corpus_tokens

    from .checks import check_model_source

    corpus = read_corpus_tokens(corpus_path)
    check_model_source(encoder, "--encoder")
    vectors = sentence_embeddings(encoder, corpus.token_lists, batch_size, max_length, device)
    attrs = {
        "encoder": str(encoder),
        "lang": corpus.lang,
        "split": corpus.split,
        "tokens_sha256": corpus.tokens_sha256,
        "n_sentences": len(vectors),
    }
    write_embeddings(out, vectors, attrs)
