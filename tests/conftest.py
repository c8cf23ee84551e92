import os
import sys
from pathlib import Path

import pytest
import yaml

# huggingface_hub reads HF_HUB_OFFLINE once, when it is first imported, and test modules import it
# while they are collected, before any fixture runs: offline mode is set here, before them.
os.environ["HF_HUB_OFFLINE"] = "1"

from xner.cli import main  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from toydata import write_toy_conll  # noqa: E402
from workflow_helpers import TARGETS, snakemake, write_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_CONLL = REPO.parent / "shared" / "data" / "conll"
# Training flags for toy teachers and students: a few seconds each.
FAST = ["--epochs", "2", "--batch-size", "8", "--lr", "1e-3", "--freeze-layers", "1", "--max-length", "32", "--device", "cpu"]


class _CurrentStderr:
    """Writes to whatever sys.stderr is when a record is emitted (capsys swaps it per test)."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def library_log_streams():
    """Library loggers (transformers, huggingface_hub, datasets) make their stderr handler once, in whichever test logs first;
    under capsys that stream is closed after the test, and a later test's log line would print a
    "Logging error" traceback. Such handlers write to the current stderr instead."""
    import logging

    for name in ("transformers", "huggingface_hub", "datasets"):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.StreamHandler:
                handler.stream = _CurrentStderr()
    yield


@pytest.fixture(scope="session", autouse=True)
def offline_hub(tmp_path_factory):
    """No test reaches the hub (offline mode in every Snakemake and xner subprocess). The paper's
    encoder is "cached" as its config.json alone, so that dry runs of the paper's config pass the
    workflow's encoder check; no test loads it."""
    cache = tmp_path_factory.mktemp("hub")
    model = cache / "models--bert-base-multilingual-cased"
    (model / "snapshots" / "0").mkdir(parents=True)
    (model / "snapshots" / "0" / "config.json").write_text("{}")
    (model / "refs").mkdir()
    (model / "refs" / "main").write_text("0")
    saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "HF_HUB_CACHE")}
    os.environ.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache))
    yield cache
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


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


@pytest.fixture(scope="session")
def finished(tmp_path_factory, toy_conll):
    """Three languages, tiny encoder: Table 2 and Table 3 run once from raw CoNLL files to CSV.

    Shared by test_workflow.py and test_report.py; a test that edits a file of the run restores it
    (content and modification time), so the run stays finished for the others."""
    tmp_path = tmp_path_factory.mktemp("run")
    data_dir = tmp_path / "conll"
    data_dir.mkdir()
    for lang in ("en", "es", "nl"):  # copies: one test edits a corpus
        (data_dir / lang).mkdir()
        for split in ("train", "dev", "test"):
            (data_dir / lang / f"{split}.txt").write_bytes((toy_conll / lang / f"{split}.txt").read_bytes())
    settings = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    settings["single_source"] = {"source": "en", "targets": ["es"]}
    settings["multi_source"] = {"targets": ["es"]}
    config = write_config(tmp_path / "c.yaml", data_dir, languages=["en", "es", "nl"], **settings)
    snakemake(tmp_path, "--cores", "2", *TARGETS, "--configfile", str(config))
    return tmp_path, config, settings


@pytest.fixture(scope="session")
def teacher(toy_corpora, tiny_encoder, tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher") / "en"
    main(["train-teacher", "--encoder", str(tiny_encoder), "--train", str(toy_corpora["en", "train"]),
          "--dev", str(toy_corpora["en", "dev"]), "--out", str(out), *FAST])
    return out


@pytest.fixture(scope="session")
def soft_es(teacher, toy_corpora, tmp_path_factory):
    out = tmp_path_factory.mktemp("soft") / "es.h5"
    main(["predict", "--model", str(teacher), "--corpus", str(toy_corpora["es", "train"]), "--out", str(out), "--max-length", "32", "--device", "cpu"])
    return out
