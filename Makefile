# The two commands of the README, and a few more. Everything goes through scripts/setup.sh (Debian and
# npm packages) and CMake; `make test` is what CI runs (.ci/run).
BUILD ?= build
JOBS ?= $(shell nproc)
LEMU := $(BUILD)/emulator/lemu

FUZZ_SECONDS ?= 60
SOAK_MINUTES ?= 10

.PHONY: setup build demo test test-unit test-sanitize fuzz soak bench install clean

setup:
	scripts/setup.sh

build: setup
	scripts/build.sh --build-dir $(BUILD)

# Runs the bundled C++ echo function on the bundled SQS event, 100 times: one cold start, 99 warm invokes.
# Installs only what building needs and builds only lemu and the echo function (not the test suite).
demo:
	scripts/setup.sh --build-only
	scripts/build.sh --build-dir $(BUILD) --target lemu --target lemu_sample_echo
	$(LEMU) run $(BUILD)/sample-functions/echo/bootstrap --event events/sqs/single-message.json --repeat 100 > /dev/null
	@echo
	@echo "The same, showing each response and the logs:"
	$(LEMU) run $(BUILD)/sample-functions/echo/bootstrap --event events/sqs/single-message.json --repeat 3

# Every test, then the unit and integration tests again under ASan + UBSan, then each fuzz target briefly.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	scripts/sanitize.sh --tests --fuzz 5

# The unit and integration tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang 14).
test-sanitize: setup
	scripts/sanitize.sh --tests

# Every libFuzzer target for FUZZ_SECONDS seconds each (default 60).
fuzz: setup
	scripts/sanitize.sh --fuzz $(FUZZ_SECONDS)

# lemu serve under mixed load for SOAK_MINUTES minutes (default 10): memory and descriptors must stay flat.
soak: build
	cmake --build $(BUILD) --target lemu_soak
	$(BUILD)/tests/soak/lemu_soak --minutes $(SOAK_MINUTES)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	cmake --build $(BUILD) --target bench

install: build
	cmake --install $(BUILD) --prefix $(or $(PREFIX),/usr/local)

clean:
	rm -rf $(BUILD) build-sanitize
