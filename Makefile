# Quick start: `make demo` and `make test`. Both create .venv and install the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

# torch is pinned to the local CPU wheel and installed first, so that transformers does not pull
# a multi-GB CUDA build. On a GPU machine, install a CUDA torch into the venv yourself.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[train,test]"
	touch $(STAMP)

demo: install
	$(BIN)/hir check examples/ifeval_sample.jsonl -o /tmp/hir-demo-check.jsonl

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/check_throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info
