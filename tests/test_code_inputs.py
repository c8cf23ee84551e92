"""Code inputs per step: a finished run replans only the jobs whose computing code changed.

A copy of the workflow (Snakefile, workflow/, envs/, config.yaml, xner/) is "finished" by creating
every output and letting `snakemake --touch` record it; then a source file of the copy is edited
and the dry run shows what would rerun.
"""

import os
import re
import shutil
import time

import pytest

from workflow_helpers import REPO, planned_jobs, snakemake, write_config

DIRECTORY_OUTPUTS = ("results/teachers/", "results/students/", "results/encoders/")
NETWORK_RULES = {"train_teacher", "train_student", "softlabels", "predict_teacher", "predict_student", "embed", "alpha"}


@pytest.fixture(scope="module")
def finished_copy(tmp_path_factory, toy_conll):
    root = tmp_path_factory.mktemp("code-inputs")
    workflow = root / "workflow-copy"
    workflow.mkdir()
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(REPO / name, workflow / name)
    for name in ("workflow", "envs", "xner"):
        shutil.copytree(REPO / name, workflow / name, ignore=shutil.ignore_patterns("__pycache__"))
    config = write_config(root / "c.yaml", toy_conll, languages=["en", "es", "nl"], seeds=[1],
                          single_source={"source": "en", "targets": ["es", "nl"]}, multi_source={"targets": ["es", "nl"]})
    run = root / "run"
    run.mkdir()
    snakefile = workflow / "Snakefile"
    full = planned_jobs(run, "--configfile", str(config), snakefile=snakefile)
    summary = snakemake(run, "--summary", "--configfile", str(config), snakefile=snakefile).stdout
    for line in summary.splitlines()[1:]:
        path = run / line.split("\t")[0]
        if line.startswith(DIRECTORY_OUTPUTS):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    snakemake(run, "--touch", "--cores", "1", "--configfile", str(config), snakefile=snakefile)
    assert planned_jobs(run, "--configfile", str(config), snakefile=snakefile) == {}
    return workflow, run, config, full


def replan_after_edit(finished_copy, module, old, new):
    """Edit xner/<module>.py of the copy (a newer file), dry-run, restore; return {rule: count}."""
    workflow, run, config, _ = finished_copy
    source = workflow / "xner" / f"{module}.py"
    original, stat = source.read_text(), source.stat()
    assert old in original, f"{module}.py no longer contains {old!r}"
    try:
        source.write_text(original.replace(old, new, 1))
        later = time.time() + 5
        os.utime(source, (later, later))
        return planned_jobs(run, "--configfile", str(config), snakefile=workflow / "Snakefile")
    finally:
        source.write_text(original)
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_help_string_edit_plans_nothing(finished_copy):
    assert replan_after_edit(finished_copy, "cli", '"output model folder"', '"the model folder to write"') == {}


def test_a_version_bump_plans_no_network_job(finished_copy):
    version = re.search(r'__version__ = "([^"]+)"', (REPO / "xner/__init__.py").read_text()).group(1)
    jobs = replan_after_edit(finished_copy, "__init__", f'"{version}"', '"99.0.0"')
    assert not set(jobs) & NETWORK_RULES, jobs


def test_an_edit_of_the_students_loss_reruns_students_and_what_follows_not_teachers(finished_copy):
    *_, full = finished_copy
    jobs = replan_after_edit(finished_copy, "student", "def distillation_loss(", "def distillation_loss(  # edited\n")
    assert jobs["train_student"] == full["train_student"]
    assert jobs["predict_student"] == full["predict_student"]
    assert jobs["table"] == full["table"] - 1  # every table but direct transfer, which has no student
    assert not {"train_teacher", "softlabels", "predict_teacher", "prepare_corpus", "embed", "alpha"} & set(jobs)


def test_an_edit_of_the_teachers_loss_reruns_teachers_and_everything_after(finished_copy):
    *_, full = finished_copy
    jobs = replan_after_edit(finished_copy, "teacher", "def cross_entropy_loss(", "def cross_entropy_loss(  # edited\n")
    assert jobs["train_teacher"] == full["train_teacher"] and jobs["train_student"] == full["train_student"]
    assert "prepare_corpus" not in jobs and "embed" not in jobs


def test_code_inputs_follow_imports(finished_copy):
    """A rule's code inputs are its step module's import closure: no front door, no version file."""
    workflow, run, config, _ = finished_copy
    out = snakemake(run, "-n", "-p", "--forceall", "--configfile", str(config), "--", "results/tables/table2.csv",
                    snakefile=workflow / "Snakefile").stdout
    student_job = out.split("rule train_student:")[1].split("\n\n")[0]
    inputs = re.search(r"input: (.*)", student_job).group(1)
    for module in ("student", "train", "agreement", "predict", "model", "softlabels", "features", "device", "io", "modelcard"):
        assert f"xner/{module}.py" in inputs, module
    for module in ("cli", "__init__", "teacher", "corpus"):
        assert f"xner/{module}.py" not in inputs, module
