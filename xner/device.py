"""Device choice shared by every stage that runs a network."""

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


def autocast(device: torch.device, precision: str = "fp32"):
    """bf16 autocast on CUDA when asked for; a no-op context elsewhere."""
    enabled = precision == "bf16" and device.type == "cuda"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)
