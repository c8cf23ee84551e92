"""Sub-word counts of the CoNLL corpora: what benchmarks/gpu_timing.py multiplies its rates by.

For each language and split, the windows the training loop and `xner predict` cut (xner.features.
encode at --max-length) and a histogram of their lengths in sub-words (special tokens included,
no padding). The histogram is what batching needs: both training and prediction batch windows of
similar length, so a batch costs what its longest window costs. Only counts are written: no word,
tag or sentence of the corpora.

The paper's encoder is mBERT; where its tokenizer is not at hand (the hub is unreachable here),
give another multilingual sub-word tokenizer and the JSON records which one it was.

Usage: python benchmarks/gpu_subword_counts.py --tokenizer FOLDER_OR_HUB_ID
           [--conll ../shared/data/conll] [--out benchmarks/gpu_subword_counts.json]
"""

import argparse
from collections import Counter
from pathlib import Path

from xner.corpus import prepare_corpus
from xner.features import encode
from xner.io import write_json
from xner.labels import DEFAULT_LABELS

SPLITS = ("train", "dev", "test")


def corpus_counts(token_lists, tokenizer, max_length: int) -> dict:
    windows = encode(tokenizer, token_lists, max_length)
    lengths = Counter(len(w.input_ids) for w in windows)
    return {
        "sentences": len(token_lists),
        "words": sum(len(t) for t in token_lists),
        "windows": len(windows),
        "subwords": sum(n * c for n, c in lengths.items()),
        "window_lengths": {str(n): lengths[n] for n in sorted(lengths)},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="HF tokenizer folder or hub id (mBERT's where available)")
    parser.add_argument("--conll", default="../shared/data/conll", help="folder of <lang>/{train,dev,test}.txt (default: %(default)s)")
    parser.add_argument("--languages", nargs="+", default=["en", "de", "es", "nl"], help="(default: %(default)s)")
    parser.add_argument("--encoding", default="utf-8", help="encoding of the CoNLL files (default: %(default)s)")
    parser.add_argument("--max-length", type=int, default=128, help="sub-words per window (default: %(default)s, the paper's)")
    parser.add_argument("--out", default="benchmarks/gpu_subword_counts.json", help="(default: %(default)s)")
    args = parser.parse_args(argv)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    corpora = {}
    for lang in args.languages:
        spec = {"format": "conll", "path": str(Path(args.conll) / lang), "encoding": args.encoding, "scheme": "auto"}
        corpora[lang] = {
            split: corpus_counts([s.tokens for s in prepare_corpus(spec, lang, split, DEFAULT_LABELS).sentences], tokenizer, args.max_length)
            for split in SPLITS
        }
        print(lang, {split: (c["sentences"], c["subwords"]) for split, c in corpora[lang].items()})
    counts = {
        "tokenizer": Path(args.tokenizer).name,
        "tokenizer_vocab_size": len(tokenizer),
        "max_length": args.max_length,
        "corpora": corpora,
    }
    write_json(args.out, counts)


if __name__ == "__main__":
    main()
