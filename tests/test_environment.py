"""The conda environment file as Snakemake builds it: from a copy under .snakemake/conda/.

Conda channels are unreachable in tests, so the copy's pip part is resolved with `pip install
--dry-run` (metadata only: torch is not downloaded) and its post-deploy script installs the
package into a fresh venv, from a folder that is not the workflow's.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv

import pytest
import yaml

import xner
from workflow_helpers import REPO

ENV_FILE = REPO / "envs/xner.yaml"
POST_DEPLOY = REPO / "envs/xner.post-deploy.sh"
# Tools that drive the workflow or the tests; jobs do not run them.
NOT_FOR_JOBS = {"snakemake", "snakefmt", "snakemake-executor-plugin-slurm", "snakemake-executor-plugin-cluster-generic",
                "jsonschema", "pytest"}


def pins(lines):
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


@pytest.fixture
def snakemake_copy(tmp_path):
    """What Snakemake does before building: copy the env file and its post-deploy script to
    .snakemake/conda/<hash>.yaml and <hash>.post-deploy.sh, in the working directory."""
    conda = tmp_path / "work" / ".snakemake" / "conda"
    conda.mkdir(parents=True)
    address = conda / hashlib.sha256(ENV_FILE.read_bytes() + POST_DEPLOY.read_bytes()).hexdigest()[:8]
    shutil.copy2(ENV_FILE, f"{address}.yaml")
    shutil.copy2(POST_DEPLOY, f"{address}.post-deploy.sh")
    return address


def pip_part(env_file):
    env = yaml.safe_load(env_file.read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def test_env_file_names_no_path_and_pins_what_requirements_pins():
    env = yaml.safe_load(ENV_FILE.read_text())
    assert env["channels"][0] == "conda-forge" and "nodefaults" in env["channels"]
    assert any(str(d).startswith("python") for d in env["dependencies"])
    pip = pip_part(ENV_FILE)
    assert pip[0] == "torch==2.13.0"  # torch first and pinned
    for line in pip:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", line), f"{line!r}: not a pinned package"
    required = pins((REPO / "requirements.txt").read_text().splitlines())
    wanted = {name: version for name, version in required.items() if name not in NOT_FOR_JOBS}
    assert pins(pip[1:]) == wanted


def test_pip_part_resolves_from_the_copy(snakemake_copy, tmp_path):
    requirements = tmp_path / "pip.txt"
    requirements.write_text("\n".join(pip_part(snakemake_copy.with_suffix(".yaml"))) + "\n")
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
         "-r", str(requirements)],
        cwd=snakemake_copy.parent, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    resolved = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    for name, version in pins(requirements.read_text().splitlines()).items():
        assert resolved[name.lower()].split("+")[0] == version, name  # an index may add a local tag (+cpu)


def test_post_deploy_installs_the_package_from_the_workflow_folder(snakemake_copy, tmp_path):
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{fresh / 'bin'}{os.pathsep}{env['PATH']}"
    script = f"{snakemake_copy}.post-deploy.sh"
    unset = subprocess.run(["bash", script], cwd=snakemake_copy.parent, env=env, capture_output=True, text=True)
    assert unset.returncode != 0 and "XNER_WORKFLOW_DIR: not set" in unset.stderr
    env["XNER_WORKFLOW_DIR"] = str(REPO)  # what workflow/rules/common.smk exports
    result = subprocess.run(["bash", script], cwd=snakemake_copy.parent, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    where = subprocess.run([fresh / "bin/python", "-c", "import xner; print(xner.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True)
    assert where.stdout.strip() == str(REPO / "xner" / "__init__.py")
    version = subprocess.run([fresh / "bin/xner", "--version"], env=env, capture_output=True, text=True)
    assert version.stdout.strip() == f"xner {xner.__version__}"
