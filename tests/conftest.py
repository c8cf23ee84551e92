import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from toydata import write_toy_conll  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_CONLL = REPO.parent / "shared" / "data" / "conll"


@pytest.fixture(scope="session")
def toy_conll(tmp_path_factory):
    return write_toy_conll(tmp_path_factory.mktemp("conll"))


@pytest.fixture(scope="session")
def toy_corpora(toy_conll, tmp_path_factory):
    """Prepared corpus artifacts {(lang, split): path} for the toy languages."""
    from xner.corpus import prepare_corpus, write_corpus
    from xner.labels import DEFAULT_LABELS

    out = tmp_path_factory.mktemp("corpora")
    paths = {}
    for lang in ("en", "de", "es", "nl"):
        for split in ("train", "dev", "test"):
            spec = {"format": "conll", "path": str(toy_conll / lang), "encoding": "utf-8", "scheme": "auto"}
            paths[lang, split] = out / f"{lang}-{split}.json"
            write_corpus(paths[lang, split], prepare_corpus(spec, lang, split, DEFAULT_LABELS))
    return paths


@pytest.fixture(scope="session")
def tiny_encoder(toy_corpora, tmp_path_factory):
    from xner.corpus import read_corpus_tokens
    from xner.encoders import build_tiny_encoder

    words = [t for (lang, split), p in toy_corpora.items() if split == "train" for t in read_corpus_tokens(p).token_lists]
    folder = tmp_path_factory.mktemp("enc") / "tiny"
    build_tiny_encoder(folder, words, vocab_size=300, hidden=32, layers=2)
    return folder
