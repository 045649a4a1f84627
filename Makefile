# mailroom - top-level commands. See README.md.
#
#   make            build into build/
#   make run        install what is missing, build, create ./run, run it
#   make test       build and run the whole suite, then again under ASan and
#                   UBSan, then a short run of every fuzz target
#   make fuzz       run every fuzz target for FUZZ_SECONDS (default 300)
#   make install PREFIX=DIR
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 5
RUN_DIR ?= $(CURDIR)/run
RUN_BASE_PORT ?= 10000

.PHONY: all build deps run test test-unit test-asan test-fuzz fuzz install clean

all: build

deps:
	@scripts/install-deps.sh --check || scripts/install-deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

run: build
	@if [ ! -f $(RUN_DIR)/main.cf ]; then \
		build/sbin/mailroom -c $(RUN_DIR) init --base-port $(RUN_BASE_PORT); \
	fi
	build/sbin/mailroom -c $(RUN_DIR) start -f

test: build
	scripts/check-style.sh
	cd build && ctest -j $(JOBS) --output-on-failure
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	@echo "make test: all suites passed"

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMR_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest -j $(JOBS) --output-on-failure

# Fuzz targets are built with clang's libFuzzer and run briefly from their
# seed corpus; make fuzz runs them for longer.
build-fuzz/.built: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMR_FUZZ=ON -DMR_SANITIZE=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	touch $@

test-fuzz:
	rm -f build-fuzz/.built
	$(MAKE) build-fuzz/.built
	scripts/run-fuzz.sh build-fuzz/tests $(FUZZ_SMOKE_SECONDS)

fuzz:
	rm -f build-fuzz/.built
	$(MAKE) build-fuzz/.built
	scripts/run-fuzz.sh build-fuzz/tests $(FUZZ_SECONDS)

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-fuzz
