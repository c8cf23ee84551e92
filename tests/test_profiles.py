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


@pytest.mark.parametrize("profile", ["slurm", "cluster-generic", "default"])
def test_full_protocol_dry_run(tmp_path, toy_conll, profile):
    config = write_config(tmp_path / "paper.yaml", toy_conll)
    jobs = planned_resources(
        tmp_path, "--workflow-profile", str(REPO / "workflow/profiles" / profile), "--configfile", str(config)
    )
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
            assert resources["slurm_partition"] == "YOUR_PARTITION"
        assert int(resources["runtime"]) > 0


def test_every_rule_that_runs_a_command_has_the_conda_environment():
    for rule_file in (REPO / "workflow/rules").glob("*.smk"):
        text = rule_file.read_text()
        # Every rule that runs a command; `use rule ... with` inherits the environment, and a
        # target-only rule (input and nothing else, like `report_figures`) runs nothing.
        blocks = re.split(r"^(?=rule |use rule )", text, flags=re.M)
        rules = sum(1 for b in blocks if b.startswith("rule ") and re.search(r"^    (shell|run|script):", b, re.M))
        assert rules == text.count('conda:\n        "../../envs/xner.yaml"'), rule_file.name
