# ply: build the engine (libply.a), the ply command and the tests.
#   make            ./ply, ./opentrace and ./filemon
#   make check      every test (unit, golden, end to end), on a plain and
#                   on an ASan+UBSan build; needs root
#   make check-fast the tests on the plain build only
#   make fuzz       the libFuzzer targets (clang, ASan+UBSan) for FUZZ_TIME
#                   seconds each (default 60); findings in build-fuzz/fuzz/
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show full commands

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC      ?= cc
B       ?= build
FUZZ_CC ?= clang
FUZZ_B  ?= build-fuzz
FUZZ_TIME ?= 60
CFLAGS  ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# The fuzzing build: libply instrumented for libFuzzer, linked only into
# the fuzz targets (which have libFuzzer's main).
ifeq ($(SAN),fuzz)
CC      := $(FUZZ_CC)
CFLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif
override CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wmissing-prototypes \
	   -Wno-unused-parameter -Iinclude -Isrc -DPLY_VERSION='"$(VERSION)"'
override LDLIBS += -lbpf -lelf -lz
# --metrics serves HTTP with libmicrohttpd, loaded (dlopen) only when it
# is asked for, so its header is needed to build and its library only to
# serve; HTTPD=0 builds without it (--metrics-file still works).
ifeq ($(HTTPD),0)
override CFLAGS += -DPLY_NO_HTTPD
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard src/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(B)/src/%.o)
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(B)/test/%)
HELPERS  := $(patsubst test/helpers/%.c,$(B)/test/helpers/%,$(wildcard test/helpers/*.c))

all: ply opentrace filemon

ply: $(B)/ply
	$(Q)cp $< $@

opentrace: $(B)/opentrace
	$(Q)cp $< $@

filemon: $(B)/filemon
	$(Q)cp $< $@

$(B)/ply: $(B)/cli/ply.o $(B)/libply.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libply.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/%.o: %.c $(wildcard src/*.h include/ply/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests of the compiler read the fake tracefs under test/, not the
# host kernel's.
$(B)/test/%: test/unit/%.c $(wildcard test/unit/*.h) $(B)/libply.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -DPLY_TEST_TRACEFS='"$(CURDIR)/test/tracefs"' \
		-DPLY_TEST_BTF='"$(CURDIR)/$(B)/test/btf"' \
		$(LDFLAGS) -o $@ $< $(B)/libply.a $(LDLIBS)

# Front ends and the API test see include/ only, nothing of src/: what
# they need is in ply.h.
PUB_CFLAGS = $(filter-out -Isrc,$(CFLAGS))

$(B)/cli/%.o: cli/%.c include/ply/ply.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(PUB_CFLAGS) -c -o $@ $<

# The file tools: tools/NAME.c and what they share, tools/common.c.
$(B)/tools/%.o: tools/%.c tools/common.h tools/fdtab.h include/ply/ply.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(PUB_CFLAGS) -c -o $@ $<

$(B)/opentrace: $(B)/tools/opentrace.o $(B)/tools/common.o $(B)/libply.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/filemon: $(B)/tools/filemon.o $(B)/tools/fdtab.o $(B)/tools/common.o $(B)/libply.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# tools/common through ply.h alone, like the tools.
$(B)/test/test_tools: test/unit/test_tools.c test/unit/test.h tools/common.h $(B)/tools/common.o $(B)/libply.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PUB_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/tools/common.o $(B)/libply.a $(LDLIBS)

# filemon's pairing alone: no ply, no kernel.
$(B)/test/test_fdtab: test/unit/test_fdtab.c test/unit/test.h tools/fdtab.h $(B)/tools/fdtab.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PUB_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/tools/fdtab.o

$(B)/test/test_api: test/unit/test_api.c test/unit/test.h $(B)/libply.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PUB_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libply.a $(LDLIBS)

# Helpers are the traced workload: never sanitized, so they make exactly
# the system calls they are asked to.
$(B)/test/helpers/%: test/helpers/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $< $(LDLIBS)

# ftree execs itself: static, so that its exec opens no shared library
# (the loader's opens would be in filemon's output, not in its truth).
$(B)/test/helpers/ftree: test/helpers/ftree.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -static -pthread -o $@ $<

# The bench's workload serves the tests too (one workload helper).
$(B)/test/helpers/benchload: bench/benchload.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<

# The fake kernel BTF of the compiler's tests (test/helpers/fakebtf.c).
$(B)/test/btf/vmlinux: $(B)/test/helpers/fakebtf
	@mkdir -p $(dir $@)
	$(Q)$< $(dir $@)

tests: $(B)/ply $(B)/opentrace $(B)/filemon $(UNIT_BIN) $(HELPERS) $(B)/test/helpers/benchload \
	$(B)/test/btf/vmlinux

# Fuzzing (fuzz/README.md): the targets, their generator of large and deep
# programs, and the seeds, in $(FUZZ_B).
FUZZ_TARGETS := compile decode
FUZZ_SEED_SRC := fuzz/seeds.sh $(wildcard test/golden/*.ply test/unit/*.c \
		 test/e2e/*.sh) README.md man/ply.1

$(B)/fuzz/%: fuzz/%.c fuzz/sink.c fuzz/sink.h $(B)/libply.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< fuzz/sink.c $(B)/libply.a $(LDLIBS)

# The generator is a plain host program.
$(B)/fuzz/gen: fuzz/gen.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)cc -std=gnu11 -O2 -Wall -Wextra -o $@ $<

$(B)/fuzz/seeds/stamp: $(B)/fuzz/gen $(FUZZ_SEED_SRC)
	$(Q)fuzz/seeds.sh $(B)/fuzz/gen $(B)/fuzz/seeds
	@touch $@

fuzz-targets: $(FUZZ_TARGETS:%=$(B)/fuzz/%) $(B)/fuzz/seeds/stamp

fuzz-build:
	$(Q)$(MAKE) --no-print-directory B=$(FUZZ_B) SAN=fuzz fuzz-targets

# Each target for FUZZ_TIME seconds after replaying fuzz/regress/; fails on
# any finding not listed in fuzz/regress/KNOWN.
fuzz: fuzz-build
	$(Q)FUZZ_B=$(FUZZ_B) FUZZ_TIME=$(FUZZ_TIME) fuzz/run

# Every test, on the plain build and on the ASan+UBSan build.
check: ply tests
	$(Q)$(MAKE) --no-print-directory B=build-asan SAN=1 tests
	$(Q)BUILDS="$(B) build-asan" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 test/run

# Quicker: the plain build only.
check-fast: ply tests
	$(Q)BUILDS="$(B)" test/run

# ply against bpftrace, strace and a hand-written libbpf program, side by
# side (about 15 minutes); writes bench/results/latest.md. Not a test.
bench:
	bench/run

install: ply opentrace filemon
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 ply $(DESTDIR)$(BINDIR)/ply
	install -m 755 opentrace $(DESTDIR)$(BINDIR)/opentrace
	install -m 755 filemon $(DESTDIR)$(BINDIR)/filemon
	install -m 644 man/ply.1 $(DESTDIR)$(MANDIR)/ply.1
	install -m 644 man/opentrace.1 $(DESTDIR)$(MANDIR)/opentrace.1
	install -m 644 man/filemon.1 $(DESTDIR)$(MANDIR)/filemon.1

clean:
	rm -rf build build-asan $(FUZZ_B) ply opentrace filemon

.PHONY: all check check-fast tests install clean bench fuzz fuzz-build fuzz-targets
