# llmrun: `make demo` sets up and runs the main job; `make test` sets up and runs every test.
SHELL := /bin/bash
SWIFT ?= swift
# The binary the targets below run, and the target that builds it. `make test` and `make test-all` set both to the
# tests' own build (TESTED), so that a test run compiles the package once.
LLMRUN ?= .build/release/llmrun
LLMRUN_BUILD ?= build
# Models the test suite reads (tokenizer and forward-pass fixtures cover every catalog model).
TEST_MODELS = smollm2-135m gemma3-270m qwen2.5-0.5b qwen2.5-1.5b
DEMO_MODEL ?= qwen2.5-1.5b

.PHONY: demo serve test test-build test-fast test-all test-slow examples test-server test-deploy test-cluster test-batch test-batch-resume test-chat-pty test-browser deps build models compare kernel-bench clean fuzz fuzz-smoke fuzz-build fuzz-seeds

demo: build
	$(LLMRUN) pull $(DEMO_MODEL)
	$(LLMRUN) summarize samples/sample-zh.txt -m $(DEMO_MODEL)

# The demo in server mode: the reading page at http://127.0.0.1:8080/ (Ctrl-C stops it).
serve: build
	$(LLMRUN) pull $(DEMO_MODEL)
	$(LLMRUN) serve -m $(DEMO_MODEL)

# Tests in tiers (BENCHMARKS.md has their times). The Swift tests build in debug with optimized code (the
# suite runs real models) and with the import check that keeps the layers pointing one way. That build's own
# llmrun binary (optimized too) is the one the pty, server, batch and cluster tests drive: a second, release
# compile of the whole package would double the tier's build time.
TEST_BUILD_FLAGS = --explicit-target-dependency-import-check=error -Xswiftc -O -Xcc -O3
SWIFT_TEST = $(SWIFT) test $(TEST_BUILD_FLAGS)
TESTED = LLMRUN=.build/debug/llmrun LLMRUN_BUILD=
# Suites that run a model for minutes (five-article summaries, the ask question set, the largest synthetic model, and
# batched and speculative decoding equal to plain decoding on every catalog model, whose logic the tiny models of
# the fast tier check in seconds): `make test-all` runs them.
SLOW_SUITES = ArticleSummaryTests|AskQuestionSetTests|SyntheticLargeModelTests|BatchDecodingTests|BatchGeneratorTests|SpeculativeDecodingTests|DraftModelTests
# Suites and tests that need a pulled model or the release binary; `make test-fast` runs the rest, with no download.
MODEL_TESTS = $(SLOW_SUITES)|logitsMatchLlamaCpp|greedyMatchesLlamaCpp|perplexityMatchesLlamaCpp|ChatEngineTests|CLITests|AskCLITests|ChatCLITests|ExtractiveCLITests|chatTemplateMatchesJinjaRendering|messagesCannotInjectControlTokens|theOverrideNamesATemplateOrFailsClearly|preparedChatFitsTheContext|completionAndSummaryPreparationRefusals|chatPreparationRefusals

# Every layer in minutes: unit tests, fixtures against llama.cpp, the CLI's bad inputs, the server with the
# openai client, the chat REPL in a pty, and the example package that depends on this one.
test: test-build .venv/.pexpect
	$(MAKE) models $(TESTED)
	$(SWIFT_TEST) --skip-build --skip '$(SLOW_SUITES)'
	$(MAKE) test-chat-pty $(TESTED)
	$(MAKE) test-server $(TESTED)
	$(MAKE) test-deploy $(TESTED)
	$(MAKE) test-batch $(TESTED)
	$(MAKE) examples

# The Swift tests, and the llmrun binary beside them: only what the tests run (`make test-all` also builds the
# kernel benchmarks and the fuzz programs).
test-build: deps
	$(SWIFT) build --product llmrunPackageTests $(TEST_BUILD_FLAGS)
	$(SWIFT) build --product llmrun $(TEST_BUILD_FLAGS)

# No model, no network: the unit tests and the tiny random-weight models (under a minute of test time).
test-fast: test-build
	$(SWIFT_TEST) --skip-build --skip '$(MODEL_TESTS)'

# What `make test` leaves out: the slow suites above, the kernel benchmarks' build, the browser, nginx before two
# replicas, a batch killed and resumed, fuzz smoke.
test-all: test-build
	$(MAKE) models $(TESTED)
	$(SWIFT_TEST) --skip-build --filter '$(SLOW_SUITES)'
	$(SWIFT) build --product KernelBenchmarks $(TEST_BUILD_FLAGS)
	$(MAKE) test-browser $(TESTED)
	$(MAKE) test-cluster $(TESTED)
	$(MAKE) test-batch-resume $(TESTED)
	$(MAKE) fuzz-smoke $(TESTED)

# The example package that uses llmrun as a dependency (Examples/README.md).
examples:
	cd Examples/Summarize && $(SWIFT) build

# `llmrun serve` driven by the official openai client, from PyPI into a virtual environment kept
# beside the models (Tests/server/test_openai.py).
SERVER_VENV ?= $(HOME)/.cache/llmrun/venv-server
SERVER_TEST_MODEL ?= smollm2-135m
test-server: $(LLMRUN_BUILD)
	@$(LLMRUN) pull $(SERVER_TEST_MODEL) >/dev/null
	@test -x $(SERVER_VENV)/bin/python || python3 -m venv $(SERVER_VENV)
	@$(SERVER_VENV)/bin/python -c "import openai" 2>/dev/null || $(SERVER_VENV)/bin/pip install -q openai
	$(SERVER_VENV)/bin/python Tests/server/test_openai.py $(LLMRUN) $(SERVER_TEST_MODEL)
	$(SERVER_VENV)/bin/python Tests/server/test_lifecycle.py $(LLMRUN) $(SERVER_TEST_MODEL)

# The container and Kubernetes files (Containerfile, deploy/): every manifest checked against Kubernetes'
# schemas, which ship inside the kubernetes-validate package (offline), and against the server's options.
DEPLOY_VENV ?= $(HOME)/.cache/llmrun/venv-deploy
test-deploy: $(LLMRUN_BUILD)
	@test -x $(DEPLOY_VENV)/bin/python || python3 -m venv $(DEPLOY_VENV)
	@$(DEPLOY_VENV)/bin/python -c "import kubernetes_validate" 2>/dev/null || $(DEPLOY_VENV)/bin/pip install -q kubernetes-validate
	$(DEPLOY_VENV)/bin/python Tests/deploy/test_manifests.py . $(LLMRUN)

# `llmrun summarize DIR --out FILE` (Tests/batch/test_batch.py): resume, torn last line, changed article with
# --extractive; test-batch-resume also kills a model run on the five shared articles half-way and resumes it.
ARTICLES ?= $(abspath ..)/shared/articles
test-batch: $(LLMRUN_BUILD)
	python3 Tests/batch/test_batch.py $(LLMRUN) $(ARTICLES)

BATCH_TEST_MODEL ?= smollm2-135m
test-batch-resume: $(LLMRUN_BUILD)
	@$(LLMRUN) pull $(BATCH_TEST_MODEL) >/dev/null
	python3 Tests/batch/test_batch.py $(LLMRUN) $(ARTICLES) $(BATCH_TEST_MODEL)

# Two replicas behind Debian's nginx on 127.0.0.1, the openai client streaming through it, one replica
# killed mid-stream and restarted (Tests/cluster/test_cluster.py; figures in BENCHMARKS.md).
CLUSTER_TEST_MODEL ?= smollm2-135m
test-cluster: $(LLMRUN_BUILD)
	@$(LLMRUN) pull $(CLUSTER_TEST_MODEL) >/dev/null
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y nginx >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y nginx; }; \
	  else echo "missing system packages; run: sudo apt-get install -y nginx"; exit 1; fi; \
	fi
	@test -x $(SERVER_VENV)/bin/python || python3 -m venv $(SERVER_VENV)
	@$(SERVER_VENV)/bin/python -c "import openai" 2>/dev/null || $(SERVER_VENV)/bin/pip install -q openai
	$(SERVER_VENV)/bin/python Tests/cluster/test_cluster.py $(LLMRUN) $(CLUSTER_TEST_MODEL) .build/cluster-test.json

# `llmrun chat` in a real pseudo-terminal (Ctrl-C mid-answer, commands, Ctrl-D).
test-chat-pty: $(LLMRUN_BUILD) models .venv/.pexpect
	.venv/bin/python Tests/Terminal/chat_pty_test.py $(LLMRUN)

# pexpect for the pseudo-terminal test, in a venv inside the repo (gitignored).
.venv/.pexpect:
	python3 -m venv .venv && .venv/bin/pip install -q pexpect && touch $@

# The page at `/` in headless Chromium (Debian's chromium and chromium-driver, installed with apt when
# root) driven by Selenium from PyPI in a virtual environment (Tests/browser/test_page.py). Screenshots
# go to .build/browser-test/. A CJK font (WenQuanYi Zen Hei, simplified and traditional) so that Chinese
# lines are laid out with real glyphs and the screenshots are readable.
BROWSER_PACKAGES = chromium chromium-driver fonts-wqy-zenhei
BROWSER_VENV ?= $(HOME)/.cache/llmrun/venv-browser
# The smallest catalog model whose summaries have points and citations (smollm2-135m and gemma3-270m
# write none for the test's article).
BROWSER_TEST_MODEL ?= qwen2.5-0.5b
BROWSER_ARTIFACTS ?= .build/browser-test
test-browser: $(LLMRUN_BUILD)
	@$(LLMRUN) pull $(BROWSER_TEST_MODEL) >/dev/null
	@if ! dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y $(BROWSER_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y $(BROWSER_PACKAGES); }; \
	  else echo "missing system packages; run: sudo apt-get install -y $(BROWSER_PACKAGES)"; exit 1; fi; \
	fi
	@test -x $(BROWSER_VENV)/bin/python || python3 -m venv $(BROWSER_VENV)
	@$(BROWSER_VENV)/bin/python -c "import selenium" 2>/dev/null || $(BROWSER_VENV)/bin/pip install -q selenium
	SE_AVOID_STATS=true $(BROWSER_VENV)/bin/python Tests/browser/test_page.py $(LLMRUN) $(BROWSER_TEST_MODEL) $(BROWSER_ARTIFACTS)

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
	$(SWIFT) build -c release -Xcc -O3 --product llmrun

models: $(LLMRUN_BUILD)
	@for m in $(TEST_MODELS); do $(LLMRUN) pull $$m >/dev/null || exit 1; done

# Speed against llama.cpp (llama-bench vs llmrun bench, -p 512 -n 128 -t 2 -r 3); see BENCHMARKS.md.
# Builds the llama.cpp tools outside the repo on first use (about 10 minutes).
COMPARE_MODELS ?= qwen2.5-1.5b qwen2.5-0.5b smollm2-135m gemma3-270m
compare: build models
	Benchmarks/compare.sh $(COMPARE_MODELS)

# The one-thread kernel and tokenizer benchmarks (Benchmarks/README.md); not part of `make test`.
kernel-bench: deps models
	$(SWIFT) package benchmark --target KernelBenchmarks

# Fuzzing (Fuzz/README.md): libFuzzer + AddressSanitizer builds of Fuzz/*, seeded at run time from the models'
# headers and the shared articles. `make fuzz` runs each target FUZZ_SECONDS; `make fuzz-smoke` (part of
# `make test`) runs each FUZZ_SMOKE_SECONDS. FUZZ_JOBS targets run at once; FUZZ_ARGS adds libFuzzer flags.
FUZZ_TARGETS = FuzzGGUF FuzzTokenizer FuzzDetokenizer FuzzTextDecoder FuzzTextCleaner FuzzRequestBody
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_DIR = .build-fuzz
FUZZ_ARTICLES ?= $(abspath ..)/shared/articles
FUZZ_MODELS = $${LLMRUN_HOME:-$$HOME/.cache/llmrun}/models
FUZZ_FLAGS = -c debug --scratch-path $(FUZZ_DIR) -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

# gold prints a warning per ASan helper symbol; those lines are dropped. SwiftPM also links the benchmark
# plugin's tool (BenchmarkBoilerplateGenerator) with these flags and gold fails on it with an internal
# error: harmless, the fuzz products do not need it and the build's status is theirs.
fuzz-build:
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  $(SWIFT) build $(FUZZ_FLAGS) --product $$t 2>&1 | grep -v "Cannot export local symbol" || exit 1; \
	done

fuzz-seeds: models
	rm -rf $(FUZZ_DIR)/seeds
	python3 Fuzz/make-seeds.py $(FUZZ_DIR)/seeds "$(FUZZ_MODELS)" $(FUZZ_ARTICLES)

fuzz: fuzz-build fuzz-seeds
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_ARGS="$(FUZZ_ARGS)" Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build fuzz-seeds
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_JOBS=$(FUZZ_JOBS) Fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build $(FUZZ_DIR)
