"""Dry runs of the paper's full protocol with each profile: jobs and the resources they request."""

import re
from collections import Counter

import pytest

from workflow_helpers import REPO, snakemake, write_config

NETWORK_RULES = {"train_teacher", "train_student", "softlabels", "predict_teacher", "predict_student", "embed"}


def planned_resources(workdir, *args):
    """[(rule, {resource: value})] for every job of a dry run."""
    out = snakemake(workdir, "-n", *args).stdout
    jobs = []
    for block in out.split("\n\n"):
        rule = re.search(r"^(?:local)?rule (\w+):", block, re.M)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if rule and res:
            pairs = dict(item.split("=", 1) for item in res.group(1).split(", "))
            jobs.append((rule.group(1), pairs))
    return jobs


PROFILES = {"slurm": REPO / "workflow/profiles/slurm", "cluster-generic": REPO / "workflow/profiles/cluster-generic", "default": REPO / "profiles/default"}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_full_protocol_dry_run(tmp_path, toy_conll, profile, monkeypatch):
    monkeypatch.setenv("XNER_SLURM_PARTITION", "gpu-test")  # partition from the environment, no file edited
    config = write_config(tmp_path / "paper.yaml", toy_conll)
    jobs = planned_resources(tmp_path, "--workflow-profile", str(PROFILES[profile]), "--configfile", str(config))
    rules = Counter(rule for rule, _ in jobs)
    assert rules["train_teacher"] == 4 * 5  # 4 languages x 5 seeds
    # Students per target and seed: ts/hl single-source (es, nl, de from en), ts/hl avg/sim, ts cosine/l2.
    assert rules["train_student"] == 3 * 5 * (2 + 4 + 2)
    for rule, resources in jobs:
        gpus = int(resources.get("gpu", 0))
        if profile == "default":
            assert gpus == 0, rule
        elif rule in NETWORK_RULES:
            assert gpus == 1, rule
            assert int(resources["mem_mb"]) >= 6000
        else:
            assert gpus == 0, rule
        if profile == "slurm":
            assert resources["slurm_partition"] == "gpu-test" and resources["slurm_account"] == ""
        assert int(resources["runtime"]) > 0


def test_every_rule_that_runs_a_command_has_the_conda_environment():
    for rule_file in (REPO / "workflow/rules").glob("*.smk"):
        text = rule_file.read_text()
        # Every rule that runs a command; `use rule ... with` inherits the environment, and a
        # target-only rule (input and nothing else, like `report_figures`) runs nothing.
        blocks = re.split(r"^(?=rule |use rule )", text, flags=re.M)
        rules = sum(1 for b in blocks if b.startswith("rule ") and re.search(r"^    (shell|run|script):", b, re.M))
        assert rules == text.count('conda:\n        "../../envs/xner.yaml"'), rule_file.name


def test_slurm_profile_without_partition_leaves_it_to_the_cluster(tmp_path, toy_conll, monkeypatch):
    """Unset variables give empty resources: the plugin then uses the default partition and guesses
    the account, instead of submitting a placeholder name."""
    monkeypatch.delenv("XNER_SLURM_PARTITION", raising=False)
    monkeypatch.setenv("XNER_SLURM_ACCOUNT", "project-7")
    config = write_config(tmp_path / "c.yaml", toy_conll)
    jobs = planned_resources(tmp_path, "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
                             "--configfile", str(config), "--", "results/tables/direct_transfer.csv")
    assert jobs and all(r["slurm_partition"] == "" and r["slurm_account"] == "project-7" for _, r in jobs)


def test_slurm_profile_requeues_and_retries():
    import yaml

    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text())
    assert profile["slurm-requeue"] is True and profile["retries"] >= 1


def test_jobs_of_seconds_run_without_the_queue(tmp_path, toy_conll):
    """With a scheduler whose every submission fails, local rules still run (α of avg and the
    corpora it needs none of; the corpus an embedding needs), and a network job is submitted."""
    import json

    config = write_config(tmp_path / "c.yaml", toy_conll, languages=["en", "es", "nl"], seeds=[1],
                          single_source={"source": "en", "targets": ["es", "nl"]}, multi_source={"targets": ["es", "nl"]})
    queue = ["--executor", "cluster-generic", "--cluster-generic-submit-cmd", "false", "--jobs", "2",
             "--workflow-profile", "none", "--configfile", str(config)]
    snakemake(tmp_path, *queue, "--", "results/alpha/avg/es/seed1.json")
    assert json.loads((tmp_path / "results/alpha/avg/es/seed1.json").read_text())["alpha"] == {"en": 0.5, "nl": 0.5}
    submitted = snakemake(tmp_path, *queue, "--", "results/embeddings/es/train.h5", check=False)
    assert submitted.returncode != 0
    assert (tmp_path / "results/corpora/es/train.json").exists()  # prepare_corpus ran here
    assert not (tmp_path / "results/embeddings/es/train.h5").exists()  # embed went to the (failing) queue
