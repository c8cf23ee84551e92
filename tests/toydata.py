"""Synthetic CoNLL corpora for tests: a few 'languages' with shared names and their own words.

Never real CoNLL text (it is licensed); sentences are generated from templates, so entity words
are predictable from context and tiny models can learn something within seconds.
"""

import random
from pathlib import Path

NAMES = ["Maria", "Jan", "Ahmed", "Lucía", "Pieter", "Jürgen", "Sofia", "Tom"]
PLACES = ["Madrid", "Berlin", "Amsterdam", "London", "París", "Köln", "Utrecht", "Sevilla"]
ORGS = ["EFE", "Reuters", "Siemens", "Philips", "Telefónica", "Ajax"]
WORDS = {
    "en": ("lives in", "works for", "said", "the", "yesterday"),
    "de": ("wohnt in", "arbeitet für", "sagte", "die", "gestern"),
    "es": ("vive en", "trabaja para", "dijo", "la", "ayer"),
    "nl": ("woont in", "werkt voor", "zei", "de", "gisteren"),
}


def sentence(lang: str, rng: random.Random) -> list[tuple[str, str]]:
    lives, works, said, the, yesterday = (w.split() for w in WORDS[lang])
    person = rng.choice(NAMES).split()
    out = [(w, "B-PER" if i == 0 else "I-PER") for i, w in enumerate(person)]
    if rng.random() < 0.5:
        out += [(w, "O") for w in lives] + [(rng.choice(PLACES), "B-LOC")]
    else:
        out += [(w, "O") for w in works] + [(rng.choice(ORGS), "B-ORG")]
    if rng.random() < 0.3:
        out += [(w, "O") for w in said + the + yesterday]
    return out + [(".", "O")]


def write_toy_conll(folder: Path, langs=("en", "de", "es", "nl"), sizes=(60, 20, 20), seed=0, long_sentence=True):
    """Write folder/<lang>/{train,dev,test}.txt; one test sentence is long enough to need windows."""
    for lang in langs:
        rng = random.Random(f"{seed}-{lang}")
        (folder / lang).mkdir(parents=True, exist_ok=True)
        for split, n in zip(("train", "dev", "test"), sizes):
            sentences = [sentence(lang, rng) for _ in range(n)]
            if long_sentence and split != "train":
                sentences.append([pair for _ in range(40) for pair in sentence(lang, rng)])
            text = "\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sentences) + "\n"
            (folder / lang / f"{split}.txt").write_text(text, encoding="utf-8")
    return folder
