# sanenet set-up commands (Debian 12):
#   make demo    install what the demo needs, build and run the Fashion-MNIST example
#   make test    install what the tests need, build and run every test with g++, then the
#                unit, per-architecture, compile-check and fuzz tests with clang++-19, then the unit
#                tests under ASan+UBSan and TSan (make sanitize) (what .ci/run runs)
#   make bench   install the anchors (OpenBLAS, PyTorch, libtorch, dlib, Eigen), build and run the benchmark,
#                write docs/benchmarks.md
#   make mistakes  build and run the mistake benchmark (docs/diagnostics.md)
#   make parity  install PyTorch, replay the oracle's training cases and the schedules in it and import
#                PyTorch models with sn::import_npy (docs/parity.md)
#   make test-avx512-emulated  the AVX-512 builds of the SIMD tests on an emulated CPU (Bochs)
#   make fuzz    run every fuzz target (tests/fuzz/) for FUZZ_SECONDS each (default 300), with clang++-19
#   make sanitize  the unit tests under ASan+UBSan and the threaded ones under TSan (clang++-19)
#   make single  regenerate single_include/sanenet/sanenet.hpp
#   make clean   remove the build directories

SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
JOBS ?= 2
BUILD ?= build
BUILD_CLANG ?= build-clang
CLANGXX ?= clang++-19
BENCH ?= ON

DEMO_PACKAGES := g++ cmake make xtensor-dev libxsimd-dev xtl-dev zlib1g-dev dataset-fashion-mnist
TEST_PACKAGES := $(DEMO_PACKAGES) doctest-dev clang-19 clang-format-19 python3 libclang-rt-19-dev
BENCH_PACKAGES := $(DEMO_PACKAGES) libopenblas-dev python3-torch libdlib-dev pkg-config libtorch-dev libeigen3-dev

# $(call ensure_packages,<packages>): install the missing Debian packages (root), or print the
# exact command and fail (not root).
define ensure_packages
	@missing=""; \
	if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "note: dpkg-query not found (not Debian?); not checking for: $(1)"; \
	else \
	  for p in $(1); do \
	    status=$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null || true); \
	    case "$$status" in *" installed") ;; *) missing="$$missing $$p" ;; esac; \
	  done; \
	fi; \
	if [ -z "$$missing" ]; then \
	  echo "packages: all present"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "packages: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends $$missing \
	    || { echo "packages: install failed, running apt-get update and retrying"; \
	         apt-get update && apt-get install -y --no-install-recommends $$missing; }; \
	else \
	  echo "error: missing Debian packages:$$missing"; \
	  echo "run:   sudo apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi
endef

define header
	@printf '\n==== %s ====\n' $(1)
endef

.PHONY: all demo test single clean demo-packages test-packages bench-packages bench

all: test

demo-packages:
	$(call header,"demo: Debian packages")
	$(call ensure_packages,$(DEMO_PACKAGES))

test-packages:
	$(call header,"test: Debian packages")
	$(call ensure_packages,$(TEST_PACKAGES))

demo: demo-packages
	$(call header,"demo: configure $(BUILD)/ (Release)")
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_EXAMPLES=ON \
	  -DSANENET_BUILD_TESTS=OFF -DSANENET_BUILD_BENCH=OFF
	$(call header,"demo: build fashion_mnist")
	cmake --build $(BUILD) --target fashion_mnist -j$(JOBS)
	$(call header,"demo: run $(BUILD)/examples/fashion_mnist")
	$(abspath $(BUILD))/examples/fashion_mnist

test: test-packages
	$(call header,"test: configure $(BUILD)/ with g++ (all tests + single-include variant + examples)")
	CXX=g++ cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_TESTS=ON \
	  -DSANENET_TEST_SINGLE_INCLUDE=ON -DSANENET_TEST_UNIT_ONLY=OFF -DSANENET_BUILD_EXAMPLES=ON \
	  -DSANENET_BUILD_BENCH=$(BENCH)
	$(call header,"test: build $(BUILD)/ (g++)")
	cmake --build $(BUILD) -j$(JOBS)
	$(call header,"test: ctest $(BUILD)/ (g++)")
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) --output-junit $(abspath $(BUILD))/ctest-junit.xml
	$(call header,"test: configure $(BUILD_CLANG)/ with $(CLANGXX) (unit and per-architecture tests and compile checks)")
	CXX=$(CLANGXX) cmake -S . -B $(BUILD_CLANG) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_TESTS=ON \
	  -DSANENET_TEST_SINGLE_INCLUDE=OFF -DSANENET_TEST_UNIT_ONLY=ON -DSANENET_BUILD_EXAMPLES=OFF \
	  -DSANENET_BUILD_BENCH=OFF -DSANENET_BUILD_FUZZ=ON
	$(call header,"test: build $(BUILD_CLANG)/ ($(CLANGXX))")
	cmake --build $(BUILD_CLANG) -j$(JOBS)
	$(call header,"test: ctest $(BUILD_CLANG)/ ($(CLANGXX))")
	ctest --test-dir $(BUILD_CLANG) --output-on-failure -j$(JOBS) --output-junit $(abspath $(BUILD_CLANG))/ctest-junit.xml
	$(MAKE) sanitize-tsan
	$(call header,"test: all passed; the SIMD architecture builds (tests/CMakeLists.txt)")
	$(PYTHON) tools/arch_report.py g++=$(BUILD)/ctest-junit.xml $(CLANGXX)=$(BUILD_CLANG)/ctest-junit.xml

# make mistakes: build and run the mistake benchmark (docs/diagnostics.md); one CSV row per run in $(BUILD)/mistakes.csv
.PHONY: mistakes
mistakes: demo-packages
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_BENCH=ON -DSANENET_BUILD_TESTS=OFF -DSANENET_BUILD_EXAMPLES=OFF && cmake --build $(BUILD) --target mistakes -j$(JOBS) && $(BUILD)/bench/mistakes --csv $(BUILD)/mistakes.csv

single:
	$(PYTHON) tools/amalgamate.py

clean:
	rm -rf $(BUILD) $(BUILD_CLANG) $(BUILD_ASAN) $(BUILD_TSAN)

bench-packages:
	$(call header,"bench: Debian packages")
	$(call ensure_packages,$(BENCH_PACKAGES))

# make test-avx512-emulated: the AVX-512 builds of the per-architecture tests on an emulated
# AVX-512 CPU (Bochs), for machines without AVX-512; about 10 minutes, plus 10-25 the first time
.PHONY: test-avx512-emulated
test-avx512-emulated: demo-packages
	$(call header,"test-avx512-emulated: tools/avx512_emulator/test_arch.sh")
	tools/avx512_emulator/test_arch.sh

# make parity: the oracle's training cases replayed in PyTorch, per SIMD architecture, and PyTorch models
# imported with sn::import_npy (bench/parity_import.cpp); writes docs/parity.md
.PHONY: parity parity-packages
parity-packages:
	$(call header,"parity: Debian packages")
	$(call ensure_packages,$(DEMO_PACKAGES) python3-torch)

parity: parity-packages
	$(call header,"parity: configure and build $(BUILD)/")
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_BENCH=ON -DSANENET_BUILD_TESTS=OFF -DSANENET_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD) --target parity_sse2 parity_avx2 parity_avx512 parity_import_sse2 parity_import_avx2 parity_import_avx512 -j$(JOBS)
	$(call header,"parity: train in sanenet and replay in PyTorch")
	/usr/bin/python3 bench/parity.py --build $(BUILD)

# make bench: sanenet against OpenBLAS, libtorch, PyTorch, dlib and Eigen, side by side; writes
# this machine's section of docs/benchmarks.md (bench_all: the bench programs whose packages were found)
bench: bench-packages
	$(call header,"bench: configure and build $(BUILD)/")
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_BENCH=ON -DSANENET_BENCH_ANCHORS=ON -DSANENET_BUILD_TESTS=OFF -DSANENET_BUILD_EXAMPLES=OFF
	cmake --build $(BUILD) --target bench_all -j$(JOBS)
	$(call header,"bench: run (about 10 minutes)")
	/usr/bin/python3 bench/run.py --build $(BUILD)

# make fuzz: every libFuzzer target of tests/fuzz/ for FUZZ_SECONDS each, FUZZ_PARALLEL at a time;
# prints runs, coverage and crashes per target (docs/reliability.md). make fuzz-seeds rewrites
# the seed corpora tests/fuzz/corpus/ from the targets' --write-seeds.
FUZZ_SECONDS ?= 300
FUZZ_PARALLEL ?= 2
.PHONY: fuzz fuzz-build fuzz-seeds
fuzz-build: test-packages
	$(call header,"fuzz: configure and build $(BUILD_CLANG)/ ($(CLANGXX))")
	CXX=$(CLANGXX) cmake -S . -B $(BUILD_CLANG) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_TESTS=ON \
	  -DSANENET_TEST_SINGLE_INCLUDE=OFF -DSANENET_TEST_UNIT_ONLY=ON -DSANENET_BUILD_EXAMPLES=OFF \
	  -DSANENET_BUILD_BENCH=OFF -DSANENET_BUILD_FUZZ=ON
	cmake --build $(BUILD_CLANG) --target fuzz_idx fuzz_idx_gz fuzz_checkpoint fuzz_csv fuzz_model_file fuzz_npy -j$(JOBS)

fuzz: fuzz-build
	$(call header,"fuzz: $(FUZZ_SECONDS) s per target")
	$(PYTHON) tools/fuzz.py all --build $(BUILD_CLANG) --seconds $(FUZZ_SECONDS) --parallel $(FUZZ_PARALLEL)

fuzz-seeds: fuzz-build
	$(PYTHON) tools/fuzz.py seeds --build $(BUILD_CLANG)

# make sanitize: the unit tests built with clang++-19 under ASan+UBSan (BUILD_ASAN) and the tests
# that run threads under TSan (BUILD_TSAN); a report fails the test (docs/reliability.md).
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
.PHONY: sanitize sanitize-asan sanitize-tsan
sanitize: sanitize-asan sanitize-tsan

sanitize-asan: test-packages
	$(call header,"sanitize: ASan+UBSan unit tests in $(BUILD_ASAN)/ ($(CLANGXX))")
	CXX=$(CLANGXX) cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_TESTS=ON \
	  -DSANENET_TEST_SINGLE_INCLUDE=OFF -DSANENET_TEST_UNIT_ONLY=ON -DSANENET_TEST_COMPILE_CHECKS=OFF \
	  -DSANENET_BUILD_EXAMPLES=OFF -DSANENET_BUILD_BENCH=OFF -DSANENET_SANITIZE=address,undefined
	cmake --build $(BUILD_ASAN) -j$(JOBS)
	ctest --test-dir $(BUILD_ASAN) --output-on-failure -j$(JOBS) -L unit

sanitize-tsan: test-packages
	$(call header,"sanitize: TSan threaded tests in $(BUILD_TSAN)/ ($(CLANGXX))")
	CXX=$(CLANGXX) cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Release -DSANENET_BUILD_TESTS=ON \
	  -DSANENET_TEST_SINGLE_INCLUDE=OFF -DSANENET_TEST_UNIT_ONLY=ON -DSANENET_TEST_COMPILE_CHECKS=OFF \
	  -DSANENET_BUILD_EXAMPLES=OFF -DSANENET_BUILD_BENCH=OFF -DSANENET_SANITIZE=thread
	cmake --build $(BUILD_TSAN) -j$(JOBS)
	ctest --test-dir $(BUILD_TSAN) --output-on-failure -j$(JOBS) -L unit
