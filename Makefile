# dipscan — Makefile (GNU make).  `make demo` and `make check` are the two commands a user needs.
#
# Layout (docs/architecture.md): one folder per stage, src/STAGE/*.c with headers in include/STAGE/;
# every stage but cli/ -> $(BUILD)/libdipscan.a; src/cli/*.c -> $(BUILD)/bin/dipscan (copied to
# bin/dipscan for the default build); tests/unit/test_*.c -> $(BUILD)/tests/test_*.  `make asan` builds everything again in build-asan/ with ASan+UBSan.
# `make fuzz` builds the library with clang + libFuzzer instrumentation in build-fuzz/ and runs each
# tests/fuzz/fuzz_*.c harness for FUZZ_SECONDS (tests/fuzz/run.sh).

PKGS      := hdf5-openmpi gsl yaml-0.1
DEB_PKGS  := libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libgsl-dev libyaml-dev \
             pkg-config gnuplot-nox
CC        := mpicc
BUILD     ?= build
PREFIX    ?= /usr/local
OPT       ?= -O2
SAN       ?=
# Deferred (=) so pkg-config runs after `deps` has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS    ?= $(OPT) -g
# -Wno-format-truncation: error messages and paths are deliberately cut at fixed buffer sizes.
ALL_CFLAGS = -std=c11 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror -Wno-format-truncation $(CFLAGS) $(SAN) \
             -Iinclude -I$(BUILD) $(PKG_CFLAGS) -MMD -MP
ALL_LDLIBS = $(SAN) $(PKG_LIBS) -lhdf5_hl -lm

STAGES    := util physics detector stats engine output
LIB_SRC   := $(foreach s,$(STAGES),$(wildcard src/$(s)/*.c))
CMD_SRC   := $(wildcard src/cli/*.c)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CMD_OBJ   := $(CMD_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
LIB       := $(BUILD)/libdipscan.a
BIN       := $(BUILD)/bin/dipscan
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-nogit)

.PHONY: all check unit demo bench asan fuzz fuzz-harnesses install clean deps FORCE
all: deps $(BIN) $(TEST_BIN)
ifeq ($(BUILD),build)
all: bin/dipscan
bin/dipscan: $(BIN)
	@mkdir -p bin && cp $< $@
endif

deps:
	@if pkg-config --exists $(PKGS) 2>/dev/null && command -v mpicc >/dev/null && command -v gnuplot >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "dipscan: installing missing packages: $(DEB_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
	    --no-install-recommends $(DEB_PKGS) >/dev/null || exit 1; \
	else \
	  echo "dipscan: missing build dependencies (Open MPI, parallel HDF5, GSL, libyaml, gnuplot). Install them with:"; \
	  echo "  sudo apt-get install --no-install-recommends $(DEB_PKGS)"; exit 1; \
	fi

$(BUILD)/version.h: FORCE
	@mkdir -p $(BUILD)
	@echo '#define DIPSCAN_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/obj/%.o: src/%.c | deps $(BUILD)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/obj/cli/main.o: $(BUILD)/version.h

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CMD_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CMD_OBJ) $(LIB) $(ALL_LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) tests/test.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB) $(ALL_LDLIBS)

# All tests (unit, integration under mpirun, regression against published numbers).
check: all
	tests/run.sh $(BUILD)
unit: all
	tests/run.sh $(BUILD) unit

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	# neyman_slurm.sh is left to the plain run: under SLURM it runs the code neyman_scan.sh runs
	# under mpirun (in this pass too), and its ~25 s keep .ci/run inside its 30 min.
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 DIPSCAN_NEYMAN_SLURM=0 tests/run.sh build-asan

# libFuzzer harnesses: clang, library instrumented for coverage (fuzzer-no-link), ASan + UBSan.
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -Wno-unknown-warning-option" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  fuzz-harnesses
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)
fuzz-harnesses: $(FUZZ_BIN)
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(ALL_LDLIBS)

demo: all
	tools/demo.sh

# Benchmarks print figures and never fail on a time (tests/bench/RESULTS.md has the numbers).
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
bench: all $(BENCH_BIN)
	tests/bench/run.sh $(BUILD)

$(BUILD)/bench/%: tests/bench/%.c $(LIB) tests/unit/chi2_toy.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dipscan
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/dipscan
	cp -r data $(DESTDIR)$(PREFIX)/share/dipscan/

clean:
	rm -rf build build-asan build-fuzz bin

FORCE:
-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_BIN:=.d) $(FUZZ_BIN:=.d)
