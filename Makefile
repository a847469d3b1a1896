# login-etl: sqs-read | login-mask | pg-load, and the ring that joins them.
#
#   make            build lib/ and the programs into build/bin
#   make check      install what is missing (scripts/install-deps), build,
#                   run every test (unit tests also under ASan+UBSan, fuzz
#                   corpora replayed); make test skips the install step
#   make sanitize   build everything with ASan+UBSan into build-san/bin
#   make sanitize-check   unit and program tests against the sanitized
#                   programs, leaks included
#   make fuzz       run each fuzz target for FUZZ_SECONDS (default 60)
#   make bench      the benchmarks, as ratios to limits measured alongside
#   make demo       the whole job on local services
#   make install    PREFIX=/usr/local DESTDIR=

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/login-etl
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/login-etl

CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -Ilib
WARN = -std=c17 -Wall -Wextra -Werror
PKG_CONFIG ?= pkg-config

# Objects and programs go to $(BUILD); SANITIZE=1 builds with ASan+UBSan
# into $(BUILD)-san; FUZZ=1 (clang) adds libFuzzer's coverage
# instrumentation into $(BUILD)-fuzz.
BUILD ?= build
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
ifeq ($(FUZZ),1)
O ?= $(BUILD)-fuzz
CFLAGS += $(SANFLAGS) -fsanitize=fuzzer-no-link -O1
LDFLAGS += $(SANFLAGS)
else ifeq ($(SANITIZE),1)
O ?= $(BUILD)-san
CFLAGS += $(SANFLAGS) -O1
LDFLAGS += $(SANFLAGS)
else
O ?= $(BUILD)
endif

LIBS_CURL := $(shell $(PKG_CONFIG) --libs libcurl)
LIBS_PQ := $(shell $(PKG_CONFIG) --libs libpq)
LIBS_SSL := $(shell $(PKG_CONFIG) --libs libcrypto)
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags libcurl libpq libcrypto)

LIBS_sqs-read = $(LIBS_CURL) $(LIBS_SSL)
LIBS_login-mask = $(LIBS_SSL)
LIBS_pg-load = $(LIBS_PQ)
LIBS_lib =

# A program is a directory with a main.c; its other files are its modules,
# archived so that unit tests and fuzz targets link exactly what it runs.
PROGS := $(patsubst %/main.c,%,$(wildcard sqs-read/main.c login-mask/main.c pg-load/main.c))
SCRIPTS := $(filter-out %.sql %.service %.in,$(notdir $(wildcard scripts/etl scripts/etl-*)))

LIB_OBJ := $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c))
LIBA := $(O)/lib/liblib.a

UNIT_SRC := $(wildcard tests/unit/*/*.c)
UNIT_BIN := $(foreach s,$(UNIT_SRC),$(O)/t/$(subst /,-,$(patsubst tests/unit/%.c,%,$(s))).t)
FUZZ_SRC := $(wildcard tests/fuzz/*/*.c)
FUZZ_BIN := $(foreach s,$(FUZZ_SRC),$(O)/fuzz/$(subst /,-,$(patsubst tests/fuzz/%.c,%,$(s))))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(O)/tools/%,$(TOOL_SRC))

MAN := $(wildcard man/*.[1-9])

all: $(addprefix $(O)/bin/,$(PROGS) $(SCRIPTS))

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

define prog_rules
$(1)_OBJ := $$(patsubst %.c,$(O)/%.o,$$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c)))
$(O)/$(1)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	rm -f $$@
	$(AR) rcs $$@ $$^
$(O)/bin/$(1): $(O)/$(1)/main.o $(O)/$(1)/lib$(1).a $(LIBA)
	@mkdir -p $$(@D)
	$(CC) $(LDFLAGS) -o $$@ $$^ $$(LIBS_$(1))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

# The supervisor and its helpers sit beside the programs, so each finds
# the others in the build tree as it does in an installed prefix.
$(O)/bin/%: scripts/%
	@mkdir -p $(@D)
	cp $< $@
	chmod 755 $@

# tests/unit/DIR/NAME.c links DIR's modules: lib, or a program's archive.
define unit_rules
$(O)/t/$(1)-%.t: tests/unit/$(1)/%.c tests/unit/tap.h $(if $(filter lib,$(1)),,$(O)/$(1)/lib$(1).a) $(LIBA)
	@mkdir -p $$(@D)
	$(CC) $(CPPFLAGS) -I$(1) -Itests/unit $(WARN) $(CFLAGS) $(LDFLAGS) -o $$@ $$(filter %.c %.a,$$^) $$(LIBS_$(1)) $(LIBS_SSL)
endef
$(foreach d,lib $(PROGS),$(eval $(call unit_rules,$(d))))

define fuzz_rules
$(O)/fuzz/$(1)-%: tests/fuzz/$(1)/%.c $(if $(filter lib,$(1)),,$(O)/$(1)/lib$(1).a) $(LIBA)
	@mkdir -p $$(@D)
	$(CC) $(CPPFLAGS) -I$(1) $(WARN) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $$@ $$(filter %.c %.a,$$^) $$(LIBS_$(1)) $(LIBS_SSL)
endef
$(foreach d,lib $(PROGS),$(eval $(call fuzz_rules,$(d))))

# Test and benchmark helpers: generators, minimal clients, limits.
$(O)/tools/%: tests/tools/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CURL) $(LIBS_SSL)

# The crypto limit measures login-mask's own AES-SIV beside OpenSSL's.
$(O)/tools/crypto-limit: tests/tools/crypto-limit.c $(O)/login-mask/liblogin-mask.a $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ilogin-mask $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_SSL)

units: $(UNIT_BIN)
fuzzers: $(FUZZ_BIN)
tools: $(TOOL_BIN)

TESTS := $(sort $(wildcard tests/t[0-9]*.t))
PROVE ?= prove
PROVE_FLAGS ?=
# Tests run side by side, one per core: each starts its own services on
# free ports in a directory of its own.  JOBS=1 runs them one at a time.
JOBS ?= $(shell nproc)

deps:
	scripts/install-deps

check: deps
	$(MAKE) test

# The shell tests run the programs in $(O)/bin; the unit tests run twice,
# plain and under ASan+UBSan; fuzz corpora are replayed, not fuzzed.
test: all units tools
	$(MAKE) SANITIZE=1 O=$(BUILD)-san units
	@if [ -n "$(FUZZ_SRC)" ]; then $(MAKE) FUZZ=1 CC=clang O=$(BUILD)-fuzz fuzzers; fi
	BIN=$(abspath $(O)/bin) TOOLS=$(abspath $(O)/tools) \
	FUZZ_BIN=$(abspath $(BUILD)-fuzz/fuzz) \
	$(PROVE) -e '' -j$(JOBS) $(PROVE_FLAGS) $(UNIT_BIN) \
	    $(patsubst $(O)/%,$(BUILD)-san/%,$(UNIT_BIN)) $(TESTS)

sanitize:
	$(MAKE) SANITIZE=1 O=$(BUILD)-san all units

# The unit tests and each program's own tests (t1*, t2*, t3*) against
# the ASan+UBSan build, leaks included.  Reports go to files, not to the
# programs' stderr that tests compare, and any report fails the run,
# whatever exit status the test that caused it expected.
SAN_TESTS := $(filter tests/t1% tests/t2% tests/t3%,$(TESTS))
SAN_LOG = $(abspath $(BUILD)-san/log)
sanitize-check:
	$(MAKE) SANITIZE=1 O=$(BUILD)-san all units tools
	rm -rf $(SAN_LOG)
	mkdir -p $(SAN_LOG)
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:log_path=$(SAN_LOG)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(SAN_LOG)/ubsan \
	BIN=$(abspath $(BUILD)-san/bin) TOOLS=$(abspath $(BUILD)-san/tools) \
	$(PROVE) -e '' -j$(JOBS) $(PROVE_FLAGS) \
	    $(patsubst $(O)/%,$(BUILD)-san/%,$(UNIT_BIN)) $(SAN_TESTS); \
	st=$$?; \
	for f in $(SAN_LOG)/*; do \
		[ -e "$$f" ] || continue; \
		cat "$$f"; st=1; \
	done; \
	[ $$st = 0 ] || echo "sanitize-check: failed; reports in $(SAN_LOG)" >&2; \
	exit $$st

FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) FUZZ=1 CC=clang O=$(BUILD)-fuzz fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(BUILD)-fuzz/fuzz

bench: all tools
	BIN=$(abspath $(O)/bin) TOOLS=$(abspath $(O)/tools) tests/bench/run

demo: deps
	$(MAKE) all tools
	BIN=$(abspath $(O)/bin) TOOLS=$(abspath $(O)/tools) scripts/demo

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	for f in $(PROGS) $(SCRIPTS); do \
		install -m 755 $(O)/bin/$$f $(DESTDIR)$(BINDIR)/$$f || exit 1; \
	done
	for f in $(MAN); do \
		s=$${f##*.}; mkdir -p $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	for f in $(wildcard scripts/*.sql); do \
		install -m 644 $$f $(DESTDIR)$(DATADIR)/ || exit 1; \
	done
# The unit runs etl from where this install puts it.
	for f in $(wildcard scripts/*.service); do \
		sed 's|/usr/local/bin/etl|$(BINDIR)/etl|' $$f >$(DESTDIR)$(DATADIR)/$${f##*/} && \
		chmod 644 $(DESTDIR)$(DATADIR)/$${f##*/} || exit 1; \
	done

uninstall:
	for f in $(PROGS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$f; done
	for f in $(MAN); do rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILD) $(BUILD)-san $(BUILD)-fuzz

.PHONY: all deps units fuzzers tools check test sanitize sanitize-check fuzz \
	bench demo install uninstall clean
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
