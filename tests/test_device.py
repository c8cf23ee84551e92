"""`precision: auto` picks bf16 autocast only where it is faster than fp32."""

import pytest
import torch

from xner import device as xdevice
from xner.device import autocast, resolve_precision


@pytest.mark.parametrize("amx", [True, False])
def test_auto_precision_is_bf16_on_cuda_and_on_amx_cpus_only(monkeypatch, amx):
    monkeypatch.setattr(xdevice, "cpu_has_amx", lambda: amx)
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"
    assert resolve_precision("auto", torch.device("cpu")) == ("bf16" if amx else "fp32")
    # An explicit choice is kept wherever it runs.
    assert resolve_precision("fp32", torch.device("cuda")) == "fp32"
    assert resolve_precision("bf16", torch.device("cpu")) == "bf16"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp16", torch.device("cpu"))


def test_autocast_runs_cpu_matmuls_in_bf16_only_when_asked(monkeypatch):
    monkeypatch.setattr(xdevice, "cpu_has_amx", lambda: False)
    a = torch.ones(4, 4)
    cpu = torch.device("cpu")
    for precision, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32), ("auto", torch.float32)):
        with autocast(cpu, precision):
            assert (a @ a).dtype == dtype, precision
