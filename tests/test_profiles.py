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
def test_full_protocol_dry_run(tmp_path, toy_conll, profile):
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
            assert resources["slurm_partition"] == "YOUR_PARTITION"
        assert int(resources["runtime"]) > 0


def test_conda_environment_resolves_to_the_pinned_requirements():
    """Conda channels are unreachable here; check the file's shape and that what it names exists."""
    import yaml

    env_file = REPO / "envs/xner.yaml"
    env = yaml.safe_load(env_file.read_text())
    assert env["channels"][0] == "conda-forge" and "nodefaults" in env["channels"]
    assert any(str(d).startswith("python") for d in env["dependencies"])
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip[0] == "torch==2.13.0"  # torch first and pinned
    requirements = (env_file.parent / pip[1].split()[1]).resolve()
    assert requirements == REPO / "requirements.txt" and requirements.exists()
    assert (env_file.parent / pip[2].split()[1]).resolve() == REPO  # the package itself, editable
    for rule_file in (REPO / "workflow/rules").glob("*.smk"):
        text = rule_file.read_text()
        # Every rule that runs a command; `use rule ... with` inherits the environment, and a
        # target-only rule (input and nothing else, like `report_figures`) runs nothing.
        blocks = re.split(r"^(?=rule |use rule )", text, flags=re.M)
        rules = sum(1 for b in blocks if b.startswith("rule ") and re.search(r"^    (shell|run|script):", b, re.M))
        assert rules == text.count('conda:\n        "../../envs/xner.yaml"'), rule_file.name
