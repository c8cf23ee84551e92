"""Seed export and the multi-seed tables (benchmarks/export_seed.py, benchmarks/seed_tables.py) on
a synthetic results tree: toy corpora, predictions that are the gold with seeded noise, real
metrics files scored from them."""

import json
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from xner.corpus import prepare_corpus, read_corpus, write_corpus
from xner.evaluate import write_metrics
from xner.io import write_json
from xner.labels import DEFAULT_LABELS
from xner.metrics import entity_counts, f1_of_counts, paired_bootstrap
from xner.softlabels import WordProbs, write_word_probs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import export_seed  # noqa: E402
import seed_tables  # noqa: E402

TARGETS = ["es", "nl", "de"]
SYSTEMS = ["student-ts-avg", "student-ts-sim", "student-ts-cosine", "student-ts-l2", "student-hl-avg", "student-hl-sim",
           "mt-avg", "mt-sim", "student-ts-en", "student-hl-en"]


def noisy_probs(corpus, rate: float, rng: random.Random) -> list[np.ndarray]:
    """Per sentence, one-hot-ish probabilities of the gold tag, a `rate` share of words another label."""
    out = []
    for sentence in corpus.sentences:
        p = np.full((len(sentence.tags), len(DEFAULT_LABELS)), 0.01, dtype=np.float32)
        for i, tag in enumerate(sentence.tags):
            label = rng.randrange(len(DEFAULT_LABELS)) if rng.random() < rate else DEFAULT_LABELS.index(tag)
            p[i, label] = 1 - 0.01 * (len(DEFAULT_LABELS) - 1)
        out.append(p)
    return out


def write_seed(results: Path, corpora: dict, seed: int, noise: dict) -> None:
    """One seed's metrics, test predictions, α and student summaries under `results` (no dev split:
    nothing here reads it)."""
    rng = random.Random(seed)
    for target in TARGETS:
        corpus = read_corpus(corpora[target])
        systems = SYSTEMS + [f"teacher-{s}" for s in ("en", "de", "es", "nl")]
        for system in systems:
            folder = results / "predictions" / system / target / f"seed{seed}"
            write_word_probs(folder / "test.h5", [s.tokens for s in corpus.sentences], [noisy_probs(corpus, noise.get(system, 0.2), rng)],
                             DEFAULT_LABELS, {"lang": target, "split": "test", "tokens_sha256": corpus.tokens_sha256})
            write_metrics(results / "metrics" / system / target / f"seed{seed}.json", system, target, seed,
                          {"test": (folder / "test.h5", corpora[target])})
        sources = [s for s in ("en", "de", "es", "nl") if s != target]
        for method in ("avg", "sim", "cosine", "l2"):
            weights = rng.sample(range(1, 10), 3)
            write_json(results / "alpha" / method / target / f"seed{seed}.json",
                       {"method": method, "target": {"lang": target}, "alpha": {s: w / sum(weights) for s, w in zip(sources, weights)}})
        for student in ("ts-avg", "ts-sim"):
            history = [{"step": 25 * i, "heldout_entity_agreement": 0.8 + 0.01 * i, "heldout_entity_words": 100, "heldout_mse": 0.01} for i in range(8)]
            write_json(results / "students" / student / target / f"seed{seed}" / "training_summary.json",
                       {"history": history, "settings": {"lr": 1e-4}, "init": {"from": "teachers"}, "stopping": {"steps": 175}, "train_seconds": 1.0})


@pytest.fixture(scope="module")
def run(toy_conll, tmp_path_factory):
    """A results folder with seeds 1-3 (seed 3: students far noisier), its config, and its CoNLL folder."""
    root = tmp_path_factory.mktemp("seedrun")
    results = root / "results"
    corpora = {}
    for lang in TARGETS:
        corpora[lang] = results / "corpora" / lang / "test.json"
        spec = {"format": "conll", "path": str(toy_conll / lang), "encoding": "utf-8", "scheme": "auto"}
        write_corpus(corpora[lang], prepare_corpus(spec, lang, "test", DEFAULT_LABELS))
    for seed in (1, 2, 3):
        noise = {"mt-sim": 0.3, "mt-avg": 0.3} | ({s: 0.4 for s in SYSTEMS if s.startswith("student")} if seed == 3 else {})
        write_seed(results, corpora, seed, noise)
    config = root / "config.yaml"  # read instead of the checkout's config.yaml: the run's defaults
    config.write_text((Path(export_seed.REPO) / "config.yaml").read_text())
    run_config = root / "cpu-multi.yaml"
    run_config.write_text(yaml.safe_dump({"data": {"conll_dir": str(toy_conll)}, "seeds": [1]}))
    return results, run_config, toy_conll


@pytest.fixture(scope="module")
def exported(run, tmp_path_factory):
    results, config, _ = run
    out = tmp_path_factory.mktemp("docs") / "cpu-multi"
    for seed in (1, 2, 3):
        export_seed.export_seed(results, config, seed, out, wall_time="2:07:38", machine="test machine")
    return out


def test_export_holds_every_system_alpha_and_agreement(run, exported):
    folder = exported / "seed-2"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["wall_time"] == {"given": "2:07:38", "seconds": 7658.0}
    assert manifest["machine"] == {"given": "test machine"}
    assert set(manifest["systems"]) == set(TARGETS) and len(manifest["systems"]["es"]) == len(SYSTEMS) + 4
    for target in TARGETS:
        for system in manifest["systems"][target]:
            copied = json.loads((folder / "metrics" / system / f"{target}.json").read_text())
            original = json.loads((run[0] / "metrics" / system / target / "seed2.json").read_text())
            assert copied == original
    assert sorted(p.parent.name + "/" + p.stem for p in (folder / "alpha").glob("*/*.json")) == sorted(
        f"{m}/{t}" for m in ("avg", "cosine", "l2", "sim") for t in TARGETS)
    agreement = pd.read_csv(folder / "agreement.csv")
    assert sorted(agreement.student) == sorted(f"{s}/{t}" for s in ("ts-avg", "ts-sim") for t in TARGETS)
    assert set(agreement.seed) == {2}
    assert manifest["test_sets"]["nl"]["sha256"] == read_corpus(run[0] / "corpora/nl/test.json").sha256


def test_exported_tags_decode_to_the_predictions(run, exported):
    for target in TARGETS:
        predictions = export_seed.read_predictions(exported / "seed-1" / "predictions" / f"{target}.npz")
        assert predictions["tags"].dtype == np.int8
        for system in predictions["systems"]:
            original = WordProbs(run[0] / "predictions" / system / target / "seed1" / "test.h5").tag_lists()
            assert export_seed.tag_lists(predictions, system) == original


def test_export_holds_no_text(run, exported):
    """No token of any test corpus in any exported file; the predictions hold only label ids."""
    tokens = {t for target in TARGETS for s in read_corpus(run[0] / "corpora" / target / "test.json").sentences
              for t in s.tokens if len(t) > 4}
    text = " ".join(p.read_text() for p in exported.rglob("*") if p.suffix in (".json", ".csv", ".md"))
    assert tokens and not [t for t in tokens if t in text]
    with np.load(exported / "seed-1" / "predictions" / "es.npz") as npz:
        assert sorted(npz.files) == ["format", "label_names", "offsets", "systems", "tags", "tokens_sha256"]


def test_vectorised_entity_counts_match_seqeval():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 12, size=300)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    gold, pred = (rng.choice(len(DEFAULT_LABELS), size=offsets[-1], p=[0.5] + [0.0625] * 8).astype(np.int8) for _ in range(2))
    lists = [[[DEFAULT_LABELS[i] for i in ids[offsets[s]:offsets[s + 1]]] for s in range(len(lengths))] for ids in (gold, pred)]
    keyed = [seed_tables.entity_keys(ids, offsets, DEFAULT_LABELS) for ids in (gold, pred)]
    ours = seed_tables.entity_counts(*keyed, len(lengths))
    nonempty = lengths > 0  # seqeval's reference needs tags to check; empty sentences count nothing
    assert (ours[~nonempty] == 0).all()
    reference = entity_counts([g for g, n in zip(lists[0], nonempty) if n], [p for p, n in zip(lists[1], nonempty) if n])
    np.testing.assert_array_equal(ours[nonempty], reference)


def synthetic_counts(seeds: int, sentences: int, spread: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """[seeds, sentences, 3] counts of a system that finds `0.8 ± spread` of the entities per seed and a baseline at 0.75."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(1, 4, size=sentences)

    def system(recall):
        correct = rng.binomial(gold, recall)
        return np.stack([correct, correct + rng.binomial(1, 0.2, size=sentences), gold], axis=1)

    offsets = np.linspace(-spread, spread, seeds) if seeds > 1 else [0.0]
    return np.stack([system(0.8 + o) for o in offsets]), np.stack([system(0.75) for _ in range(seeds)])


def test_bootstrap_interval_holds_the_mean():
    a, b = synthetic_counts(5, 400, 0.03)
    result = seed_tables.seed_sentence_bootstrap(a, b, resamples=1000)
    per_seed = f1_of_counts(a.sum(1)) - f1_of_counts(b.sum(1))
    assert result["mean"] == pytest.approx(per_seed.mean())
    assert result["low"] < result["mean"] < result["high"]


def test_bootstrap_widens_with_seed_spread_and_shrinks_with_sentences():
    def width(a, b):
        result = seed_tables.seed_sentence_bootstrap(a, b, resamples=1000)
        return result["high"] - result["low"]

    calm, noisy = width(*synthetic_counts(5, 400, 0.0)), width(*synthetic_counts(5, 400, 0.08))
    assert noisy > 1.5 * calm
    a, b = synthetic_counts(5, 400, 0.0)
    assert width(np.tile(a, (1, 4, 1)), np.tile(b, (1, 4, 1))) < 0.7 * calm  # 4x the sentences: about half


def test_one_seed_bootstrap_is_the_sentence_bootstrap():
    a, b = synthetic_counts(1, 400, 0.0)
    ours = seed_tables.seed_sentence_bootstrap(a, b, resamples=2000)
    sentences_only = paired_bootstrap(a[0], b[0], resamples=2000)
    assert ours["mean"] == pytest.approx(sentences_only["difference"])
    assert ours["high"] - ours["low"] == pytest.approx(sentences_only["high"] - sentences_only["low"], rel=0.15)


def test_rebuild_round_trips(run, exported, tmp_path):
    _, _, conll = run
    seed_tables.rebuild(exported, conll, tmp_path, resamples=300)
    metrics = pd.DataFrame([json.loads(p.read_text()) | {"file": p} for p in run[0].glob("metrics/*/*/seed*.json")])
    f1 = {(m["system"], m["target"], m["seed"]): 100 * m["test"]["default"]["f1"] for m in metrics.to_dict("records")}

    table3 = pd.read_csv(tmp_path / "table3.csv")
    sim = table3[table3.origin == "measured (student-ts-sim)"].iloc[0]
    values = [f1["student-ts-sim", "es", s] for s in (1, 2, 3)]
    assert sim["es"] == pytest.approx(np.mean(values), abs=0.006)
    assert sim["es_std"] == pytest.approx(np.std(values, ddof=1), abs=0.006) and sim["es_seeds"] == 3
    table4 = pd.read_csv(tmp_path / "table4.csv")
    assert list(table4[table4.origin.str.startswith("measured")].row) == ["Ours", "HL", "MT", "Ours-avg", "HL-avg", "MT-avg", "Ours-sim", "HL-sim", "MT-sim"]
    assert "Teacher weights α" in (tmp_path / "table5.md").read_text()

    comparisons = pd.read_csv(tmp_path / "comparisons.csv")
    assert {"Ours-sim − MT-sim", "Ours-avg − MT-avg", "Ours-sim − Ours-avg", "Ours − HL"} <= set(comparisons.comparison)
    row = comparisons[(comparisons.comparison == "Ours-sim − MT-sim") & (comparisons.target == "nl")].iloc[0]
    for s in (1, 2, 3):
        assert row[f"seed {s}"] == pytest.approx(f1["student-ts-sim", "nl", s] - f1["mt-sim", "nl", s], abs=0.006)
    assert row["paper"] == pytest.approx(81.33 - 80.24)
    assert (comparisons.low <= comparisons["mean"] + 0.01).all() and (comparisons["mean"] <= comparisons.high + 0.01).all()
    assert "test machine" in (tmp_path / "comparisons.md").read_text()

    glance = (tmp_path / "glance.md").read_text()
    assert "seeds 1, 2, 3 (n = 3)" in glance
    values = [f1["student-ts-l2", "de", s] for s in (1, 2, 3)]
    l2_row = next(line for line in glance.splitlines() if line.startswith("| Ours-ℓ2 (5)"))
    assert f"| {np.mean(values):.2f} ± {np.std(values, ddof=1):.2f} |" in l2_row.replace("  ", " ")
    assert l2_row.split("|")[1:4][1].strip() == "77.72"  # the paper's Table 5, es
    headline = next(line for line in glance.splitlines() if line.startswith("| Ours-sim − MT-sim"))
    cells = [c.strip() for c in headline.split("|")[1:-1]]
    assert cells[3] == "+1.09" and cells[4] == seed_tables.signed(row["mean"]) + f" [{seed_tables.signed(row.low)}, {seed_tables.signed(row.high)}]"


def test_rebuild_without_gold_is_one_line(run, exported, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        seed_tables.main(["--seeds-dir", str(exported), "--conll", str(tmp_path / "nowhere"), "--out", str(tmp_path / "t")])
    message = capsys.readouterr().err.strip()
    assert stopped.value.code == 2 and "\n" not in message
    assert "test.txt: gold test file does not exist" in message and "--no-intervals" in message
    assert not (tmp_path / "t").exists()  # nothing written before the check
    seed_tables.main(["--seeds-dir", str(exported), "--conll", str(tmp_path / "nowhere"), "--out", str(tmp_path / "t"), "--no-intervals"])
    assert "low" not in pd.read_csv(tmp_path / "t" / "comparisons.csv").columns


def test_rebuild_with_other_gold_is_one_line(run, exported, tmp_path, capsys):
    other = tmp_path / "conll"
    for lang in TARGETS:
        (other / lang).mkdir(parents=True)
        lines = (run[2] / lang / "test.txt").read_text().splitlines()
        lines[0] = lines[0].rsplit(" ", 1)[0] + " O"  # one gold tag changed
        (other / lang / "test.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit):
        seed_tables.main(["--seeds-dir", str(exported), "--conll", str(other), "--out", str(tmp_path / "t")])
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "prepares to another test set" in message


def test_missing_seed_folder_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        seed_tables.main(["--seeds-dir", str(tmp_path), "--no-intervals"])
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "no seed-*/manifest.json" in message


def test_export_of_a_seed_not_run_is_one_line(run, tmp_path, capsys):
    results, config, _ = run
    with pytest.raises(SystemExit):
        export_seed.main(["--results", str(results), "--config", str(config), "--seed", "7", "--out", str(tmp_path)])
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "no */*/seed7.json" in message
    assert not (tmp_path / "seed-7").exists()
