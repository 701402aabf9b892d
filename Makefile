# llmrun: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
SHELL := /bin/bash
SWIFT ?= swift
LLMRUN = .build/release/llmrun
# Models the test suite reads (tokenizer and forward-pass fixtures cover every catalog model).
TEST_MODELS = smollm2-135m gemma3-270m qwen2.5-0.5b qwen2.5-1.5b
DEMO_MODEL ?= qwen2.5-1.5b

.PHONY: demo test test-server test-browser deps build models compare clean

demo: build
	$(LLMRUN) pull $(DEMO_MODEL)
	$(LLMRUN) summarize samples/sample-zh.txt -m $(DEMO_MODEL)

test: build models
	$(SWIFT) test
	$(MAKE) test-server

# `llmrun serve` driven by the official openai client, from PyPI into a virtual environment kept
# beside the models (Tests/server/test_openai.py).
SERVER_VENV ?= $(HOME)/.cache/llmrun/venv-server
SERVER_TEST_MODEL ?= smollm2-135m
test-server: build
	@$(LLMRUN) pull $(SERVER_TEST_MODEL) >/dev/null
	@test -x $(SERVER_VENV)/bin/python || python3 -m venv $(SERVER_VENV)
	@$(SERVER_VENV)/bin/python -c "import openai" 2>/dev/null || $(SERVER_VENV)/bin/pip install -q openai
	$(SERVER_VENV)/bin/python Tests/server/test_openai.py $(LLMRUN) $(SERVER_TEST_MODEL)

# The page at `/` in headless Chromium (Debian's chromium and chromium-driver, installed with apt when
# root) driven by Selenium from PyPI in a virtual environment (Tests/browser/test_page.py). Screenshots
# go to .build/browser-test/. Not part of `make test` yet.
BROWSER_VENV ?= $(HOME)/.cache/llmrun/venv-browser
# The smallest catalog model whose summaries have points and citations (smollm2-135m and gemma3-270m
# write none for the test's article).
BROWSER_TEST_MODEL ?= qwen2.5-0.5b
BROWSER_ARTIFACTS ?= .build/browser-test
test-browser: build
	@$(LLMRUN) pull $(BROWSER_TEST_MODEL) >/dev/null
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium chromium-driver >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y chromium chromium-driver; }; \
	  else echo "missing system packages; run: sudo apt-get install -y chromium chromium-driver"; exit 1; fi; \
	fi
	@test -x $(BROWSER_VENV)/bin/python || python3 -m venv $(BROWSER_VENV)
	@$(BROWSER_VENV)/bin/python -c "import selenium" 2>/dev/null || $(BROWSER_VENV)/bin/pip install -q selenium
	SE_AVOID_STATS=true $(BROWSER_VENV)/bin/python Tests/browser/test_page.py $(LLMRUN) $(BROWSER_TEST_MODEL) $(BROWSER_ARTIFACTS)

# Installs the system packages when root; otherwise prints the command and stops.
deps:
	@missing=""; \
	pkg-config --exists openblas 2>/dev/null || missing="libopenblas-dev pkg-config"; \
	python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get install -y $$missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y $$missing; }; \
	  else \
	    echo "missing system packages; run: sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c release --product llmrun

models: build
	@for m in $(TEST_MODELS); do $(LLMRUN) pull $$m >/dev/null || exit 1; done

# Speed against llama.cpp (llama-bench vs llmrun bench, -p 512 -n 128 -t 2 -r 3); see BENCHMARKS.md.
# Builds the llama.cpp tools outside the repo on first use (about 10 minutes).
COMPARE_MODELS ?= qwen2.5-1.5b qwen2.5-0.5b smollm2-135m gemma3-270m
compare: build models
	Benchmarks/compare.sh $(COMPARE_MODELS)

clean:
	rm -rf .build
