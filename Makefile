# The README's commands. Every target first creates or updates .venv from the project's own files.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Offline by default: no Hub calls, no GCE metadata probe, no gcsfs gRPC probe, no DVC analytics.
export HF_HUB_OFFLINE ?= 1
export NO_GCE_CHECK := true
export GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT := false
export DVC_NO_ANALYTICS := 1
# The shared real snapshot the benchmarks read (`make bench SNAPSHOT=...`); exported, the tests that
# read it too find it here (standins/corpus.py: REAL_SNAPSHOT).
export SNAPSHOT ?= ../shared/data/arxiv-cs-ai-ir-ro.jsonl

.DEFAULT_GOAL := help

# The offline demo: the shipped demo corpus (370 real arXiv records, 120 of them the later set) and
# the packaged MiniLM, as a DVC experiment. Its 156 training texts are few enough to train every
# layer in seconds.
# This machine's pip config names local indexes that may be absent; drop its per-package warnings.
PIP_QUIET := { grep -v 'is ignored: it is neither a file nor a directory' || true; }

# `make demo DEMO_NAME=demo-lr5e-5 DEMO_LR=5e-5` runs a second demo experiment to compare with.
DEMO_NAME ?= demo-$(shell date +%Y%m%d-%H%M%S)
DEMO_LR ?= 1e-4
DEMO_PARAMS := \
	-S fetch.source=snapshot \
	-S fetch.snapshot_path=demo/corpus.jsonl \
	-S 'fetch.categories={cs.AI:80,cs.IR:80,cs.RO:70}' \
	-S 'later.categories={cs.AI:40,cs.IR:40,cs.RO:40}' \
	-S later.submitted_from=2025-10-01 \
	-S later.submitted_to=2026-06-30 \
	-S tokenize.max_length=128 \
	-S train.learning_rate=$(DEMO_LR) \
	-S train.train_batch_size=8 \
	-S train.epochs=4 \
	-S train.frozen_layers=0 \
	-S train.early_stopping_patience=0

DEMO_TEXTS := \
	"We learn a grasping policy for a robot arm that manipulates deformable objects in clutter." \
	"A dense retrieval model re-ranks documents for ambiguous web search queries." \
	"An agent plans over a symbolic knowledge base and explains its reasoning to users."

.PHONY: help venv params-doc demo test test-fast browser plots-page plots-screenshot bench bench-inference \
	bench-recipes bench-noise bench-curve bench-charts lint deps \
	format lock gcs-up gcs-down clean-venv

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]' 2>&1 | $(PIP_QUIET)
	touch $@

help:  ## list the targets (this)
	@awk -F ':.*## ' '/^[a-z-]+:.*## /{printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(VENV)/.installed  ## create or update .venv from pyproject.toml and requirements.lock

demo: venv  ## run all stages offline on the demo corpus, as experiment "demo-<time>" (or DEMO_NAME)
	dvc exp run --name $(DEMO_NAME) $(DEMO_PARAMS)
	arxivist predict $(DEMO_TEXTS)
	@echo "Next: source .venv/bin/activate; dvc metrics show; dvc exp show; dvc plots show"

# The second run makes the probe report an AVX512-BF16 CPU, so an AVX2 machine takes the bf16 paths
# that `precision: auto` takes on a bf16 machine (emulated there: only the small in-process tests).
BF16_TESTS := $(addprefix tests/unit/model/,test_compute.py test_inference.py test_predict.py test_training.py)

# Two processes, a module each at a time (its module fixtures built once): most of the suite's time
# is dvc, git and stage processes starting up on one core, so two cut its wall time (docs/development.md).
PYTEST_PROCESSES := -n 2 --dist loadscope

test: venv browser  ## the whole test suite, offline, then the bf16 paths on any CPU
	$(BIN)/python -m pytest $(PYTEST_PROCESSES) --durations=25
	$(BIN)/python -m pytest $(PYTEST_PROCESSES) --simulate-cpu-bf16 AVX512-BF16 $(BF16_TESTS)

# The suite in three tiers (docs/development.md): tests/unit/ (a folder per room of src/arxivist),
# tests/pipeline/ (stages under DVC) and tests/tooling/ (remotes, CI, docs, bench, layout).
test-fast: venv  ## the unit tier, tests/unit/, less its slow-marked tests: seconds
	$(BIN)/python -m pytest tests/unit -m "not slow"

# Debian's chromium draws the plots page in the tests; apt needs root, else sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:  ## install Debian's chromium where it is missing (the plots-page tests open it)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

plots-page: venv  ## rebuild .dvc/plots/page.html from the npm packages pinned in web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	$(BIN)/python web/build_page.py

plots-screenshot: venv browser  ## docs/img/plots.png: this workspace's `dvc plots show`, drawn in Chromium
	$(BIN)/python -m web.screenshot

bench: venv  ## time to quality on real abstracts (the default pipeline against the seed recipe), then bench-inference
	$(BIN)/python -m bench.time_to_quality --snapshot $(SNAPSHOT)
	$(MAKE) bench-inference MODEL=bench/results/model

# A published model folder (`make bench-inference MODEL=...`; default: this workspace's, as
# `arxivist predict` reads it). Run it on a quiet machine.
MODEL ?= models/published
bench-inference: venv  ## inference against this machine's matmul roofline: predict (full precision, int8), pipeline(), evaluate, start, memory
	$(BIN)/python -m bench.inference --snapshot $(SNAPSHOT) --model $(MODEL)

# Seed sweeps (bench/sweep.py, one plan each) of queued DVC experiments in a persistent work folder
# under bench/results/work/: rerunning resumes (finished experiments are kept, only missing ones are
# queued).
bench-recipes: venv  ## the levers as recipes at 3 seeds: 512 tokens, the checkpoint as is, picked on validation; 300 a category vs the frozen encoder
	$(BIN)/python -m bench.sweep recipes --snapshot $(SNAPSHOT)

bench-noise: venv  ## the noise floor: the default with 5 values of train.seed, spread on the later set
	$(BIN)/python -m bench.sweep noise --snapshot $(SNAPSHOT)

bench-curve: venv  ## the learning curve: 100, 300, 1000 and all papers a category at 3 seeds, on one later set
	$(BIN)/python -m bench.sweep curve --snapshot $(SNAPSHOT)

# Draws what bench/results/*.json hold (no benchmark is run): half a minute of Chromium.
bench-charts: venv browser  ## docs/img/bench-*.png: each sweep's runs over seeds, with the recipe's mean where recorded
	$(BIN)/python -m bench.charts

lint: venv  ## ruff check and ruff format --check (what .ci/run checks)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

deps: venv  ## rewrite dvc.yaml's code deps from each stage's import closure (tools/dvc_deps.py)
	$(BIN)/python -m tools.dvc_deps

format: venv  ## ruff's fixes and formatting, applied
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

params-doc: venv  ## docs/params.md from the params' fields and their help (src/arxivist/params.py)
	$(BIN)/python -m arxivist.params_doc docs/params.md

lock: venv  ## refresh requirements.lock from the installed environment (public versions only)
	{ head -n 2 requirements.lock; $(BIN)/pip freeze --exclude-editable | grep -v '^arxivist' \
		| sed -E 's/^([^=]+==[^+]+)\+.*$$/\1/'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

gcs-up: venv  ## start a local GCS emulator and point this workspace's `gcs` remote at it
	$(BIN)/python -m standins.localgcs start

gcs-down:  ## stop the local GCS emulator
	$(BIN)/python -m standins.localgcs stop

clean-venv:  ## delete .venv
	rm -rf $(VENV)
