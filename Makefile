# The two commands of the README, and a few more. Everything goes through scripts/setup.sh (Debian and
# npm packages) and CMake; `make test` is what CI runs (.ci/run).
BUILD ?= build
JOBS ?= $(shell nproc)
LEMU := $(BUILD)/emulator/lemu

FUZZ_SECONDS ?= 60
SOAK_MINUTES ?= 10

# `make` alone prints the targets: each target's line ends with `## what it does`.
.DEFAULT_GOAL := help

help: ## print this list (what `make` alone does)
	@awk -F':[^#]*## ' '/^[a-z-]+:[^#]*## /{printf "  make %-14s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

.PHONY: help setup build demo test test-unit test-sanitize fuzz soak bench install clean

setup: ## install the Debian and npm packages that building and testing need (scripts/setup.sh)
	scripts/setup.sh

build: setup ## build lemu, the sample functions and the tests into build/ or BUILD=DIR (warnings are errors)
	scripts/build.sh --build-dir $(BUILD)

# Runs the bundled C++ echo function on the bundled SQS event, 100 times: one cold start, 99 warm invokes.
# Installs only what building needs and builds only lemu and the echo function (not the test suite).
demo: ## install what building needs, build lemu and the C++ echo function, run it on the bundled SQS event
	scripts/setup.sh --build-only
	scripts/build.sh --build-dir $(BUILD) --target lemu --target lemu_sample_echo
	$(LEMU) run $(BUILD)/sample-functions/echo/bootstrap --event events/sqs/single-message.json --repeat 100 > /dev/null
	@echo
	@echo "The same, showing each response and the logs:"
	$(LEMU) run $(BUILD)/sample-functions/echo/bootstrap --event events/sqs/single-message.json --repeat 3

# Every test, then the unit and integration tests again under ASan + UBSan, then each fuzz target briefly.
test: build ## what CI runs: every test, the unit and integration tests with ASan+UBSan, each fuzz target 5 s (the docker tests beside them)
	scripts/test.sh $(BUILD) $(JOBS)

# The unit and integration tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang 14).
test-sanitize: setup ## the unit tests built with ASan+UBSan, the integration tests against an ASan+UBSan lemu (clang 14, build-sanitize/)
	scripts/sanitize.sh --tests --normal-build $(BUILD)

# Every libFuzzer target for FUZZ_SECONDS seconds each (default 60).
fuzz: setup ## every libFuzzer target for FUZZ_SECONDS seconds each (default 60)
	scripts/sanitize.sh --fuzz $(FUZZ_SECONDS)

# lemu serve under mixed load for SOAK_MINUTES minutes (default 10): memory and descriptors must stay flat.
soak: build ## lemu serve under mixed load for SOAK_MINUTES minutes (default 10)
	cmake --build $(BUILD) --target lemu_soak
	$(BUILD)/tests/soak/lemu_soak --minutes $(SOAK_MINUTES)

test-unit: build ## only the unit tests (ctest -L unit)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build ## the benchmarks (docs/benchmarks.md)
	cmake --build $(BUILD) --target bench

install: build ## install lemu, its bundled events and schemas under PREFIX (default /usr/local)
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean: ## remove the build folder and build-sanitize/
	rm -rf $(BUILD) build-sanitize
