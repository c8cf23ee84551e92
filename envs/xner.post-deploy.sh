#!/usr/bin/env bash
# Run by Snakemake inside the new environment, from its copy under .snakemake/conda/. The workflow
# (workflow/rules/common.smk) exports XNER_WORKFLOW_DIR, its own folder: the package is installed
# editable from there, so jobs run the code the workflow's code inputs track.
set -euo pipefail
: "${XNER_WORKFLOW_DIR:?not set: build this environment through the xner workflow (snakemake --sdm conda)}"
python -m pip install --no-deps --editable "$XNER_WORKFLOW_DIR"
