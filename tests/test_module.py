"""The workflow used as a module by a host workflow in another folder."""

from workflow_helpers import REPO, planned_jobs, snakemake, write_config

HOST = """\
module xner:
    snakefile:
        "{snakefile}"
    config:
        config


use rule * from xner
"""


def test_host_workflow_uses_every_rule(tmp_path, toy_conll):
    host = tmp_path / "host"
    host.mkdir()
    (host / "Snakefile").write_text(HOST.format(snakefile=REPO / "Snakefile"))
    config = write_config(tmp_path / "data.yaml", toy_conll)  # data only: the rest from xner's config.yaml
    target = "results/tables/direct_transfer.csv"
    jobs = planned_jobs(host, "--configfile", str(config), "--", target, snakefile=host / "Snakefile")
    assert jobs["train_teacher"] == 4 * 5  # config.yaml's languages and seeds, found beside xner's Snakefile
    assert jobs["score"] == 4 * 4 * 5
    plan = snakemake(host, "-n", "--configfile", str(config), "--", target, snakefile=host / "Snakefile").stdout
    teacher_job = plan.split("rule train_teacher:")[1].split("\n\n")[0]
    assert str(REPO / "xner" / "teacher.py") in teacher_job  # code inputs from xner's own folder
    assert str(host / "xner") not in plan
