# llmrun: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
SHELL := /bin/bash
SWIFT ?= swift
LLMRUN = .build/release/llmrun
# Models the test suite reads (tokenizer and forward-pass fixtures cover every catalog model).
TEST_MODELS = smollm2-135m gemma3-270m qwen2.5-0.5b qwen2.5-1.5b
DEMO_MODEL ?= qwen2.5-1.5b

.PHONY: demo test test-chat-pty deps build models compare clean

demo: build
	$(LLMRUN) pull $(DEMO_MODEL)
	$(LLMRUN) summarize samples/sample-zh.txt -m $(DEMO_MODEL)

test: build models .venv/.pexpect
	$(SWIFT) test
	.venv/bin/python Tests/Terminal/chat_pty_test.py $(LLMRUN)

# `llmrun chat` in a real pseudo-terminal (Ctrl-C mid-answer, commands, Ctrl-D).
test-chat-pty: build models .venv/.pexpect
	.venv/bin/python Tests/Terminal/chat_pty_test.py $(LLMRUN)

# pexpect for the pseudo-terminal test, in a venv inside the repo (gitignored).
.venv/.pexpect:
	python3 -m venv .venv && .venv/bin/pip install -q pexpect && touch $@

# Installs the system packages when root; otherwise prints the command and stops.
deps:
	@missing=""; \
	pkg-config --exists openblas 2>/dev/null || missing="libopenblas-dev pkg-config"; \
	python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
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
