# Makefile — the entry points: `make tour` (build everything: the C library and tools, the
# Python, Node and Go packages; then run the tours of skv from C, Python, Node and Go, one
# after another on one database, ./skv-tour.db, each checking what the others wrote), `make test`
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
        bench-write go-tour test-go bench-go node-addon test-node bench-node python-package \
        test-python bench-python clean

all: build

deps:
	./.ci/install-deps.sh

# (a) gcc release build, warnings are errors.
build: deps
	$(CMAKE) -S . -B $(RELEASE_DIR) $(GENERATOR) -DCMAKE_C_COMPILER=gcc \
	    -DCMAKE_BUILD_TYPE=Release -DSKV_WERROR=ON
	$(CMAKE) --build $(RELEASE_DIR)

# The four tours (tools/tour.c, python/examples/tour.py, node/examples/tour.js,
# go/examples/tour) on one database in the default folder, removed first so that every run
# starts the same; each checks what the ones before it left, and tour/langs must list all four.
TOUR_DB := skv-tour.db
tour: build python-package node-addon go-tour
	rm -rf $(TOUR_DB) $(TOUR_DB)-checkpoint
	./$(RELEASE_DIR)/tools/skv-tour
	$(PY_VENV)/bin/python python/examples/tour.py
	node node/examples/tour.js
	./$(GO_DIR)/skv-tour
	@langs=$$(./$(RELEASE_DIR)/tools/skv --opt enable_versioning=true $(TOUR_DB) get tour/langs) && \
	    test "$$langs" = "c python node go" || \
	    { echo "make tour: tour/langs is '$$langs', expected 'c python node go'" >&2; exit 1; }
	@echo "make tour: the C, Python, Node and Go tours ran on $(TOUR_DB) and agree"

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
# so that the conformance summary is printed), then the programs of their own modules that
# import the package are vetted, built and run: go/examples/hello, and the Go tour
# (go/examples/tour, twice on a scratch folder: the second run checks what the first left).
# Go's build cache does not see the engine sources go/engine.c includes from outside the
# package directory, so their hash goes into CGO_CFLAGS: any change to them rebuilds the engine.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GO_DIR := build-go
SKV_SOURCES_HASH = $(shell find capi engine -name '*.[ch]' | LC_ALL=C sort | xargs cat | \
                     sha256sum | cut -c1-16)
GO_ENV = CGO_CFLAGS="-g -O2 -DSKV_SOURCES_HASH=$(SKV_SOURCES_HASH)"
test-go: go-tour
	$(GO_ENV) $(GO) vet ./go/
	cd go && $(GO_ENV) GODEBUG=cgocheck=1 $(GO) test -race -count=1 -timeout 600s
	cd go/examples/hello && $(GO_ENV) $(GO) vet . && \
	    $(GO_ENV) $(GO) build -buildvcs=false -o ../../../$(GO_DIR)/skv-hello .
	rm -rf $(GO_DIR)/hello.db && ./$(GO_DIR)/skv-hello $(GO_DIR)/hello.db
	cd go/examples/tour && $(GO_ENV) $(GO) vet .
	rm -rf $(GO_DIR)/tour.db $(GO_DIR)/tour.db-checkpoint
	./$(GO_DIR)/skv-tour $(GO_DIR)/tour.db && ./$(GO_DIR)/skv-tour $(GO_DIR)/tour.db

# the Go tour (go/examples/tour), built into build-go/skv-tour
go-tour: deps
	cd go/examples/tour && $(GO_ENV) $(GO) build -buildvcs=false -o ../../../$(GO_DIR)/skv-tour .

# The Go package against Pebble and bbolt (fetched from the Go module proxy into go/bench's own
# module), in one run; options through `make bench-go GO_BENCH_ARGS="-benchtime 5s -keys 1000000"`.
GO_BENCH_ARGS ?= -benchtime 2s
bench-go: deps
	cd go/bench && $(GO_ENV) $(GO) test -run '^$$' -bench . $(GO_BENCH_ARGS)
# (g) the Node package (node/): builds the addon with the engine (incrementally, two jobs)
# and runs its tests with node --test: the conformance suite through the Node API, API and
# idiom tests, worker threads, exit and garbage collection, tsc on the declarations, and
# npm pack / npm install into empty projects; then the Node tour (node/examples/tour.js) twice
# on a scratch folder, the second run checking what the first left.
test-node: node-addon
	cd node && npm test
	rm -rf node/build/tour.db node/build/tour.db-checkpoint
	node node/examples/tour.js node/build/tour.db && node node/examples/tour.js node/build/tour.db

# the Node addon with the engine, in node/build/ (incrementally, two jobs)
node-addon: deps
	cd node && SKV_BUILD_JOBS=2 npm run build

# the Node benchmark against lmdb-js and classic-level (installed in node/bench only)
bench-node: deps
	cd node && SKV_BUILD_JOBS=2 npm run build
	cd node/bench && npm install --no-audit --no-fund && node bench.js $(BENCH_NODE_ARGS)

bench-write: build
	./$(RELEASE_DIR)/tools/skv-bench-write $(BENCH_WRITE_ARGS)

# (h) the Python package (python/): its generated files up to date with skv.h, an sdist built
# from the checkout and installed into the virtual environment build-python/venv (pip
# compiles the engine from the C sources the sdist carries, with no checkout around it),
# then its pytest suite: every conformance case through the package, the API and idiom tests;
# then the Python tour (python/examples/tour.py) twice on a scratch folder, the second run
# checking what the first left.
PY_DIR := build-python
PY_VENV := $(PY_DIR)/venv
test-python: python-package
	python3 bindings/generate.py --check
	cd python && ../$(PY_VENV)/bin/pytest -q -p no:cacheprovider tests
	rm -rf $(PY_DIR)/tour.db $(PY_DIR)/tour.db-checkpoint
	$(PY_VENV)/bin/python python/examples/tour.py $(PY_DIR)/tour.db && \
	    $(PY_VENV)/bin/python python/examples/tour.py $(PY_DIR)/tour.db

# the Python package, from an sdist of the checkout, installed into build-python/venv
python-package: deps
	rm -rf $(PY_DIR)/dist
	$(PY_VENV)/bin/python -m build --sdist --no-isolation --outdir $(PY_DIR)/dist python
	$(PY_VENV)/bin/python -m pip install -q --no-build-isolation --no-deps --force-reinstall \
	    $(PY_DIR)/dist/skv-*.tar.gz

# the peers (py-lmdb, RocksDict) go into their own environment, build-python/bench-venv
bench-python: deps
	./.ci/install-deps.sh --python-bench
	$(PY_DIR)/bench-venv/bin/python -m pip install -q --no-build-isolation --no-deps \
	    --force-reinstall ./python
	$(PY_DIR)/bench-venv/bin/python python/bench/bench.py $(BENCH_PYTHON_ARGS)

clean:
	rm -rf $(RELEASE_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR) $(GO_DIR) $(PY_DIR) $(TOUR_DB) \
	    $(TOUR_DB)-checkpoint skv-bench.db node/build node/node_modules \
	    python/build python/skv.egg-info
