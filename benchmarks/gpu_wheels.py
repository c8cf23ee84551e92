"""Wheels of the packages that benchmarks/gpu_check.sh needs and a bare GPU machine lacks.

The GPU machine's own python3 holds torch (CUDA), transformers and the packages in
DEVICE_PACKAGES below, and has no network. The check also needs snakemake, seqeval and jsonschema,
and whatever they require that the machine does not hold. This script walks those requirements
through the distributions installed here (so the versions are the ones this project is tested
with), leaves out the packages the machine already holds, and puts one wheel per package into
DEST: binary wheels for the machine's platform and Python, and, for packages published as source
only, a pure-Python wheel built here.

Usage (from the repository root, with the project's venv, where PyPI is reachable):
    python benchmarks/gpu_wheels.py                      # .whl/ for the GPU machine (CPython 3.12)
    python benchmarks/gpu_wheels.py --python-version 3.11 --dest .whl-rehearsal   # this machine's CPU rehearsal
    python benchmarks/gpu_wheels.py --list               # print NAME==VERSION only

Both folders are git-ignored; .whl/ is what travels with the working tree to the GPU machine.
"""

import argparse
import importlib.metadata as metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

# What benchmarks/gpu_check.sh imports beyond the machine's own packages.
NEEDED = ["snakemake", "seqeval", "jsonschema"]

# The GPU machine's python3 packages, as its package list read them (image 'cuda', 2026-11-17).
DEVICE_PACKAGES = frozenset(canonicalize_name(n) for n in """
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build
certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings
cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils
execnet filelock flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet
httpcore httpx humanfriendly humanize hypothesis idna imageio iniconfig interface-meta jax
jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver lazy-loader lightning
lightning-utilities linear-operator lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib
mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind
narwhals networkx ninja numba numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti
nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand
nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink
nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax
opt-einsum opt-einsum-fx optimistix orbax-checkpoint packaging pandas pathspec patsy peft pillow pip
pluggy portalocker prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo
pyre-extensions pygments pyparsing pyproject-hooks pytest pytest-benchmark pytest-cov pytest-mock
pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu
safetensors scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece
sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy
tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm
tokenizers toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm
transformers treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig
werkzeug wheel wrapt xarray xxhash yarl zipp
""".split())

PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"]


def requirement_closure(names) -> dict[str, str]:
    """{name: installed version} of `names` and everything they require (no extras), read from
    the distributions installed in this interpreter."""
    found, todo = {}, list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"gpu_wheels: {name} is not installed here; run `make setup` first") from None
        found[name] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def missing_on_device() -> dict[str, str]:
    """{name: version} to carry: NEEDED's closure less what the machine holds."""
    return {n: v for n, v in sorted(requirement_closure(NEEDED).items()) if n not in DEVICE_PACKAGES}


def fetch(name, version, dest: Path, python_version: str) -> Path:
    """One wheel of name==version into dest: a binary one for the target, else one built here
    from the source release, which must then be pure Python (a py3-none-any wheel)."""
    abi = "cp" + python_version.replace(".", "")
    download = [
        sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
        "--python-version", python_version, "--abi", abi, "--abi", "abi3", "--abi", "none",
        *[f"--platform={p}" for p in PLATFORMS], "--platform=any", "-d",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run([*download, tmp, f"{name}=={version}"], capture_output=True, text=True)
        if got.returncode != 0:
            built = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary", name, "-w", tmp, f"{name}=={version}"],
                capture_output=True, text=True,
            )
            if built.returncode != 0:
                raise SystemExit(f"gpu_wheels: no wheel of {name}=={version} for CPython {python_version}: {got.stderr.strip().splitlines()[-1]}")
        (wheel,) = Path(tmp).glob("*.whl")
        tags = parse_wheel_filename(wheel.name)[3]
        if got.returncode != 0 and not all(t.abi == "none" and t.platform == "any" for t in tags):
            raise SystemExit(f"gpu_wheels: {name}=={version} has no binary wheel and builds a platform wheel ({wheel.name})")
        return Path(shutil.copy2(wheel, dest / wheel.name))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", default=".whl", help="wheel folder; its wheels are replaced (default: %(default)s)")
    parser.add_argument("--python-version", default="3.12", help="the target's CPython version (default: %(default)s, the GPU machine's)")
    parser.add_argument("--list", action="store_true", help="print the packages to carry and stop")
    args = parser.parse_args(argv)
    carry = missing_on_device()
    if args.list:
        print("\n".join(f"{n}=={v}" for n, v in carry.items()))
        return
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):  # one version of each: two would stop the install
        old.unlink()
    total = 0
    for name, version in carry.items():
        total += fetch(name, version, dest, args.python_version).stat().st_size
    print(f"{len(carry)} wheels for CPython {args.python_version} in {dest}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
