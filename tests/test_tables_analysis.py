import csv
import json

import numpy as np
import pytest

from xner.analysis import figure5
from xner.corpus import Corpus, write_corpus
from xner.conll import Sentence
from xner.labels import DEFAULT_LABELS
from xner.io import tokens_sha256
from xner.softlabels import write_word_probs
from xner.tables import write_table


def metrics_file(path, system, target, seed, f1, strict):
    data = {"system": system, "target": target, "seed": seed,
            "test": {"default": {"f1": f1}, "strict": {"f1": strict}}, "dev": {"default": {"f1": 0}, "strict": {"f1": 0}}}
    path.write_text(json.dumps(data))
    return path


def test_table4_mean_std_and_reported_rows(tmp_path):
    files = [
        metrics_file(tmp_path / "a.json", "student-ts-en", "es", 1, 0.70, 0.68),
        metrics_file(tmp_path / "b.json", "student-ts-en", "es", 2, 0.74, 0.70),
        metrics_file(tmp_path / "c.json", "teacher-en", "es", 1, 0.65, 0.60),
        metrics_file(tmp_path / "d.json", "mt-sim", "nl", 1, 0.80, 0.79),
    ]
    write_table("table4", files, [], tmp_path / "t4.csv")
    rows = {(r["row"], r["origin"].split()[0]): r for r in csv.DictReader(open(tmp_path / "t4.csv"))}
    ours = rows["Ours", "measured"]
    assert float(ours["es"]) == pytest.approx(72.0) and float(ours["es_std"]) == pytest.approx(np.std([70, 74], ddof=1), abs=0.01)
    assert ours["es_seeds"] == "2" and float(ours["es_strict"]) == pytest.approx(69.0)
    assert float(rows["MT", "measured"]["es"]) == pytest.approx(65.0)
    assert float(rows["MT-sim", "measured"]["nl"]) == pytest.approx(80.0)
    assert float(rows["HL-avg", "reported"]["nl"]) == pytest.approx(80.39)
    assert "de" not in ours  # no German measured: no German column (German data may be absent)
    mt = rows["MT", "measured"]
    assert mt["es_std"] == "" and mt["es_seeds"] == "1"  # one seed: no spread claimed
    md = (tmp_path / "t4.md").read_text()
    assert "72.00 ± 2.83 (n=2)" in md and "65.00 (n=1)" in md and "65.00 ±" not in md


def test_direct_transfer_matrix(tmp_path):
    files = [metrics_file(tmp_path / f"{s}{t}.json", f"teacher-{s}", t, 1, f1, f1) for s, t, f1 in
             [("en", "es", 0.6), ("en", "en", 0.9), ("es", "en", 0.5), ("es", "es", 0.8)]]
    write_table("direct_transfer", files, [], tmp_path / "dt.csv")
    rows = {r["source"]: r for r in csv.DictReader(open(tmp_path / "dt.csv"))}
    assert float(rows["en"]["es"]) == pytest.approx(60.0) and float(rows["es"]["en"]) == pytest.approx(50.0)


def test_figure5_counts_corrections_per_teacher_probability(tmp_path):
    labels = DEFAULT_LABELS
    o, per, loc = labels.index("O"), labels.index("B-PER"), labels.index("B-LOC")
    words = [["Hof", "sagte", "Köln"]]
    gold = [("B-PER", "O", "B-LOC")]

    def dist(best, p):
        row = np.full(len(labels), (1 - p) / (len(labels) - 1), dtype=np.float32)
        row[best] = p
        return row

    # Teacher: Hof wrong (LOC, 0.55), sagte right, Köln wrong (PER, 0.95). Student fixes Hof only.
    teacher = np.stack([dist(loc, 0.55), dist(o, 0.9), dist(per, 0.95)])
    student = np.stack([dist(per, 0.8), dist(o, 0.9), dist(per, 0.6)])
    for name, probs in (("t", teacher), ("s", student)):
        write_word_probs(tmp_path / f"{name}.h5", words, [[probs]], labels, {"lang": "de", "split": "test", "tokens_sha256": tokens_sha256(words)})
    write_corpus(tmp_path / "gold.json", Corpus("de", "test", labels, [Sentence(tuple(words[0]), gold[0])], "toy"))
    figure5([("de", tmp_path / "t.h5", tmp_path / "s.h5", tmp_path / "gold.json")],
            tmp_path / "f5.csv", tmp_path / "f5.png", tmp_path / "cases.txt")
    rows = {(float(r["low"]), float(r["high"])): r for r in csv.DictReader(open(tmp_path / "f5.csv"))}
    assert rows[0.5, 0.6]["mispredicted"] == "1" and rows[0.5, 0.6]["share"] == "1.0"
    assert rows[0.9, 1.0]["mispredicted"] == "1" and rows[0.9, 1.0]["share"] == "0.0"
    assert sum(int(r["mispredicted"]) for r in rows.values()) == 2
    assert (tmp_path / "f5.png").read_bytes()[:4] == b"\x89PNG"
    assert "Hof [B-LOC, 0.55]" in (tmp_path / "cases.txt").read_text()
