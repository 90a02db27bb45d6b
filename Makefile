# The README's two commands. Both install missing Debian packages first.
#   make bench   build Release and run the throughput suite (QUICK=1 for a smoke run,
#                ARGS=... passes flags to skein_bench, e.g. ARGS=--benchmark_filter=fib)
#   make test    build release, debug, tsan and asan and run ctest in each
.PHONY: all deps release bench test test-% build-% clean

PRESETS ?= release debug tsan asan
JOBS ?= $(shell nproc)

all: release

deps:
	@bash scripts/install-deps.sh

build-%: deps
	cmake --preset $* >/dev/null
	cmake --build --preset $* -j $(JOBS)

release: build-release

bench: build-release
	QUICK="$(QUICK)" bash bench/run.sh $(ARGS)

test-%: build-%
	ctest --preset $* --timeout 600

test: deps
	@set -e; for p in $(PRESETS); do $(MAKE) --no-print-directory test-$$p; done

clean:
	rm -rf build
