# Makefile — the entry points: `make tour` (build everything, run the C API tour), `make test`
# (every test: gcc release build, ABI checks, clang ASan+UBSan run of the whole suite, clang
# TSan run of the concurrency tests, the language packages' tests), `make bench` (the peer
# benchmark), `make bench-go`, `make bench-node`, `make bench-python` (each package against its
# language's peers). The real build is CMake
# with Ninja; this file only chains the steps. .ci/install-deps.sh installs what is missing.

CMAKE ?= cmake
CTEST ?= ctest
GENERATOR := -G Ninja
BENCH_ARGS ?=
BENCH_WRITE_ARGS ?=
BENCH_PYTHON_ARGS ?=

RELEASE_DIR := build
ASAN_DIR := build-asan
TSAN_DIR := build-tsan

.PHONY: all deps build tour test test-format test-release test-abi test-asan test-tsan test-fuzz bench \
        bench-write test-go bench-go test-node bench-node test-python bench-python clean

all: build

deps:
	./.ci/install-deps.sh

# (a) gcc release build, warnings are errors.
build: deps
	$(CMAKE) -S . -B $(RELEASE_DIR) $(GENERATOR) -DCMAKE_C_COMPILER=gcc \
	    -DCMAKE_BUILD_TYPE=Release -DSKV_WERROR=ON
	$(CMAKE) --build $(RELEASE_DIR)

tour: build
	./$(RELEASE_DIR)/tools/skv-tour

test: test-format test-release test-abi test-asan test-tsan test-fuzz test-go test-node test-python
	@echo "make test: all passed"

test-release: build

# the committed .clang-format holds for every C file
test-format: deps
	git ls-files '*.c' '*.h' | xargs clang-format --style=file --dry-run --Werror

# (d) the ABI checks (label abi) against the gcc build, and the files generated from skv.h
# for the language packages (bindings/generate.py) up to date with it.
test-abi: build
	cd $(RELEASE_DIR) && $(CTEST) --output-on-failure -L abi
	python3 bindings/generate.py --check

# (b) clang with AddressSanitizer + UndefinedBehaviorSanitizer: every test.
test-asan: deps
	$(CMAKE) -S . -B $(ASAN_DIR) $(GENERATOR) -DCMAKE_C_COMPILER=clang \
	    -DSKV_SANITIZE=address -DSKV_WERROR=ON
	$(CMAKE) --build $(ASAN_DIR)
	cd $(ASAN_DIR) && $(CTEST) --output-on-failure -j2

# (c) clang with ThreadSanitizer: the concurrency tests (label tsan).
test-tsan: deps
	$(CMAKE) -S . -B $(TSAN_DIR) $(GENERATOR) -DCMAKE_C_COMPILER=clang -DSKV_SANITIZE=thread \
	    -DSKV_WERROR=ON
	$(CMAKE) --build $(TSAN_DIR)
	cd $(TSAN_DIR) && $(CTEST) --output-on-failure -L tsan

# (e) libFuzzer: each decoder's fuzz target runs FUZZ_SECONDS from its checked-in corpus.
FUZZ_SECONDS ?= 10
FUZZ_DIR := build-fuzz
test-fuzz: deps
	$(CMAKE) -S . -B $(FUZZ_DIR) $(GENERATOR) -DCMAKE_C_COMPILER=clang -DSKV_SANITIZE=address \
	    -DSKV_FUZZ=ON -DSKV_FUZZ_SECONDS=$(FUZZ_SECONDS) -DSKV_WERROR=ON
	$(CMAKE) --build $(FUZZ_DIR) --target fuzzers
	cd $(FUZZ_DIR) && $(CTEST) --output-on-failure -L fuzz -j2

# the peer libraries first (with the build packages), so that the configure step finds them
# and builds their adapters
bench:
	./.ci/install-deps.sh --bench
	$(MAKE) build
	./$(RELEASE_DIR)/tools/skv-bench $(BENCH_ARGS)

# (f) the Go package (go/): vet, then every test with the race detector and cgo's pointer checks
# (the conformance suite, the idiom tests, the examples; run in go/ without a package argument
# so that the conformance summary is printed), then a program of its own module that imports
# the package (go/examples/hello) is built and run.
# Go's build cache does not see the engine sources go/engine.c includes from outside the
# package directory, so their hash goes into CGO_CFLAGS: any change to them rebuilds the engine.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GO_DIR := build-go
SKV_SOURCES_HASH = $(shell find capi engine -name '*.[ch]' | LC_ALL=C sort | xargs cat | \
                     sha256sum | cut -c1-16)
GO_ENV = CGO_CFLAGS="-g -O2 -DSKV_SOURCES_HASH=$(SKV_SOURCES_HASH)"
test-go: deps
	$(GO_ENV) $(GO) vet ./go/
	cd go && $(GO_ENV) GODEBUG=cgocheck=1 $(GO) test -race -count=1 -timeout 600s
	cd go/examples/hello && $(GO_ENV) $(GO) vet . && \
	    $(GO_ENV) $(GO) build -buildvcs=false -o ../../../$(GO_DIR)/skv-hello .
	rm -rf $(GO_DIR)/hello.db && ./$(GO_DIR)/skv-hello $(GO_DIR)/hello.db

# The Go package against Pebble and bbolt (fetched from the Go module proxy into go/bench's own
# module), in one run; options through `make bench-go GO_BENCH_ARGS="-benchtime 5s -keys 1000000"`.
GO_BENCH_ARGS ?= -benchtime 2s
bench-go: deps
	cd go/bench && $(GO_ENV) $(GO) test -run '^$$' -bench . $(GO_BENCH_ARGS)
# (g) the Node package (node/): builds the addon with the engine (incrementally, two jobs)
# and runs its tests with node --test: the conformance suite through the Node API, API and
# idiom tests, worker threads, exit and garbage collection, tsc on the declarations, and
# npm pack / npm install into empty projects.
test-node: deps
	cd node && SKV_BUILD_JOBS=2 npm run build && npm test

# the Node benchmark against lmdb-js and classic-level (installed in node/bench only)
bench-node: deps
	cd node && SKV_BUILD_JOBS=2 npm run build
	cd node/bench && npm install --no-audit --no-fund && node bench.js $(BENCH_NODE_ARGS)

bench-write: build
	./$(RELEASE_DIR)/tools/skv-bench-write $(BENCH_WRITE_ARGS)

# (h) the Python package (python/): its generated files up to date with skv.h, an sdist built
# from the checkout and installed into the virtual environment build-python/venv (pip
# compiles the engine from the C sources the sdist carries, with no checkout around it),
# then its pytest suite: every conformance case through the package, the API and idiom tests.
PY_DIR := build-python
PY_VENV := $(PY_DIR)/venv
test-python: deps
	python3 bindings/generate.py --check
	rm -rf $(PY_DIR)/dist
	$(PY_VENV)/bin/python -m build --sdist --no-isolation --outdir $(PY_DIR)/dist python
	$(PY_VENV)/bin/python -m pip install -q --no-build-isolation --no-deps --force-reinstall \
	    $(PY_DIR)/dist/skv-*.tar.gz
	cd python && ../$(PY_VENV)/bin/pytest -q -p no:cacheprovider tests

# the peers (py-lmdb, RocksDict) go into their own environment, build-python/bench-venv
bench-python: deps
	./.ci/install-deps.sh --python-bench
	$(PY_DIR)/bench-venv/bin/python -m pip install -q --no-build-isolation --no-deps \
	    --force-reinstall ./python
	$(PY_DIR)/bench-venv/bin/python python/bench/bench.py $(BENCH_PYTHON_ARGS)

clean:
	rm -rf $(RELEASE_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR) $(GO_DIR) $(PY_DIR) skv-tour.db \
	    skv-bench.db node/build
