"""Device choice shared by every stage that runs a network."""

import functools
import os

import torch

from .errors import XnerError


def resolve_device(name: str = "auto") -> torch.device:
    """Map the config's `device` setting (auto, cpu, cuda) to a torch device.

    A job uses the GPUs it was given through CUDA_VISIBLE_DEVICES (Snakemake and SLURM set it);
    inside that set, the first visible device is ours, so "cuda" never means "physical GPU 0".
    """
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            visible = os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")
            raise XnerError("--device", f"cuda was asked for but no CUDA device is usable (CUDA_VISIBLE_DEVICES={visible})", "use --device cpu or auto")
        return torch.device("cuda")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    raise ValueError(f"device must be one of auto, cpu, cuda; got {name!r}")


@functools.cache
def cpu_has_amx() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware tiles (Intel AMX).

    Without AMX, bf16 is slower than fp32 on CPUs: measured on a 2-core AVX-512 Xeon (with
    avx512_bf16), a training step ran at 0.69x and inference at 0.55x the fp32 speed.
    """
    try:
        flags = open("/proc/cpuinfo", encoding="utf-8").read().split()
    except OSError:
        flags = []
    return "amx_bf16" in flags or torch.backends.cpu.get_cpu_capability() == "AVX512_AMX"


def resolve_precision(precision: str, device: torch.device) -> str:
    """Map the config's `precision` (fp32, bf16, auto) to the one a job runs: auto picks bf16
    autocast only where it is faster than fp32 (CUDA, CPUs with AMX), fp32 elsewhere."""
    if precision in ("fp32", "bf16"):
        return precision
    if precision == "auto":
        return "bf16" if device.type == "cuda" or (device.type == "cpu" and cpu_has_amx()) else "fp32"
    raise ValueError(f"precision must be one of fp32, bf16, auto; got {precision!r}")


def autocast(device: torch.device, precision: str = "fp32"):
    """bf16 autocast when asked for (on CUDA or CPU); a no-op context for fp32."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=resolve_precision(precision, device) == "bf16")
