#!/usr/bin/env bash
# GPU check, for a GPU machine as it comes: bare, offline, its own python3 holding CUDA torch and
# transformers but not snakemake, seqeval or jsonschema (docs/gpu-check.md).
#   1. the teacher, student and inference rates of an mBERT-shaped random encoder (12 layers,
#      hidden 768, 12 heads, vocabulary 119,547) at the paper's settings, against the GPU's bf16
#      matmul peak, and the paper protocol's predicted wall time (benchmarks/gpu_timing.py);
#   2. the tiny end-to-end workflow with device=cuda precision=auto (Tables 2 and 3), and its
#      throughput.
#
# Usage (from anywhere):  bash benchmarks/gpu_check.sh [--cpu-rehearsal] [WORK_DIR]
# Python: $PYTHON if set, else the checkout's .venv if there is one, else python3. The package
# runs from this checkout through PYTHONPATH (no install); what that Python lacks is installed
# from the wheels in $XNER_WHEELS (default: the checkout's .whl/, made by benchmarks/gpu_wheels.py)
# into WORK_DIR/site. Everything is written under WORK_DIR (default: a fresh temporary folder).
# --cpu-rehearsal: the same path on a CPU, with a 2-layer, hidden-64 encoder (no CUDA asserted) and
# Table 2 only: its chain runs every kind of network job but the similarity's, in half the jobs.
set -euo pipefail
started=$SECONDS
REPO=$(cd "$(dirname "$0")/.." && pwd)
REHEARSAL=0
if [ "${1:-}" = "--cpu-rehearsal" ]; then
  REHEARSAL=1
  shift
fi
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK/bin"
WORK=$(cd "$WORK" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PYTHON=$REPO/.venv/bin/python; else PYTHON=python3; fi
fi
PYTHON=$(command -v "$PYTHON")
WHEELS=${XNER_WHEELS:-$REPO/.whl}

SITE=
if ! "$PYTHON" -c "import snakemake, seqeval, jsonschema" 2>/dev/null; then
  if ! compgen -G "$WHEELS/*.whl" >/dev/null; then
    echo "gpu_check: $PYTHON lacks snakemake, seqeval or jsonschema and $WHEELS holds no wheels: make them with 'python benchmarks/gpu_wheels.py' where PyPI is reachable" >&2
    exit 1
  fi
  SITE=$WORK/site
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" "$WHEELS"/*.whl
fi
# This checkout's package first: an xner installed in that Python (an editable install of another
# checkout, say) must not be the one that runs.
export PYTHONPATH="$REPO${SITE:+:$SITE}${PYTHONPATH:+:$PYTHONPATH}"
# The workflow's jobs call `xner`: that is this Python running this checkout's package.
printf '#!/bin/sh\nexec "%s" -m xner "$@"\n' "$PYTHON" >"$WORK/bin/xner"
chmod +x "$WORK/bin/xner"
export PATH="$WORK/bin:$PATH"

if [ "$REHEARSAL" = 1 ]; then
  DEVICE=cpu
  SIZES=(--layers 2 --hidden 64 --heads 4 --freeze-layers 1 --steps 2)
  TABLES=(results/tables/table2.csv)
else
  DEVICE=cuda
  SIZES=()
  TABLES=(results/tables/table2.csv results/tables/table3.csv)
  "$PYTHON" -c 'import torch; assert torch.cuda.is_available(), "no CUDA device: this check is for a GPU machine (or give --cpu-rehearsal)"'
fi
"$PYTHON" -c 'import sys, torch, transformers, xner; print("python", sys.version.split()[0], "| torch", torch.__version__, "| CUDA", torch.version.cuda, "| transformers", transformers.__version__, "| xner from", xner.__file__)'

echo "== 1. mBERT-shaped step rates and the paper protocol's predicted time, device=$DEVICE precision=auto"
"$PYTHON" "$REPO/benchmarks/gpu_timing.py" --work "$WORK/timing" --device "$DEVICE" --out "$WORK/gpu_timing.json" "${SIZES[@]}"

echo "== 2. tiny end-to-end workflow (toy data, tiny encoder), device=$DEVICE precision=auto"
"$PYTHON" - "$WORK/tiny" "$REPO" <<'EOF'
import sys
from pathlib import Path

import yaml

work, repo = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(repo / "tests"))
from toydata import write_toy_conll
from workflow_helpers import write_config

write_toy_conll(work / "conll", langs=("en", "es", "nl"))
settings = yaml.safe_load((repo / "tests/tiny_config.yaml").read_text())
write_config(work / "tiny.yaml", work / "conll", languages=["en", "es", "nl"], **settings,
             single_source={"source": "en", "targets": ["es"]}, multi_source={"targets": ["es"]})
EOF
"$PYTHON" -m snakemake -s "$REPO/Snakefile" --directory "$WORK/tiny" --cores 4 --configfile "$WORK/tiny/tiny.yaml" \
  --config device="$DEVICE" precision=auto --quiet -- "${TABLES[@]}"
"$PYTHON" - "$WORK/tiny/results" "$DEVICE" <<'EOF'
import json, sys
from pathlib import Path

import torch

from xner.device import resolve_precision

results, device = Path(sys.argv[1]), sys.argv[2]
expected = resolve_precision("auto", torch.device(device))
summaries = sorted(results.glob("*/**/training_summary.json"))
assert summaries, f"no training summary under {results}"
for path in summaries:
    s = json.loads(path.read_text())["settings"]
    assert s["device"].startswith(device) and s["precision"] == expected, (path, s["device"], s["precision"])
print(f"{len(summaries)} training summaries: device {device}, precision auto -> {expected}")
EOF
cat "$WORK/tiny/${TABLES[-1]%.csv}.md"
"$PYTHON" "$REPO/benchmarks/throughput.py" --results "$WORK/tiny/results" --device "$DEVICE"
echo "gpu check done in $((SECONDS - started)) s; figures in $WORK/gpu_timing.json, results under $WORK"
