# herd — plain GNU make. Variants live in build/<variant>/:
#   release  -O2, the binary `make run` starts
#   asan     -O1 with AddressSanitizer and UBSan, used by the integration tests
#   clang    clang -Werror build, compiled to prove both compilers stay clean
# `make test` installs missing Debian packages, builds every variant and runs
# every test. Benchmarks live in bench/ and are never part of `make test`.

VARIANT ?= release
PREFIX ?= /usr/local
DESTDIR ?=

CC_release := gcc
CC_asan := gcc
CC_clang := clang
CC := $(CC_$(VARIANT))

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
# Hardening as Debian builds (and more): fortified libc calls, stack
# protector and clash protection, CET, a position-independent executable,
# full RELRO with BIND_NOW. tests/integration/test_hardening.py reads them
# back from the ELF files.
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection
HARDEN_LD := -Wl,-z,relro,-z,now
CFLAGS_release := -O2 -g $(HARDEN)
CFLAGS_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
CFLAGS_clang := -O2 -g $(HARDEN)
LDFLAGS_release := $(HARDEN_LD)
LDFLAGS_clang := $(HARDEN_LD)
LDFLAGS_asan := -fsanitize=address,undefined

CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc
CFLAGS := -std=gnu11 $(WARN) $(CFLAGS_$(VARIANT)) -fPIC -MMD -MP
LDFLAGS := $(LDFLAGS_$(VARIANT))
# Executables (not libherd.so) are linked position-independent.
PIE_release := -pie
PIE_clang := -pie
PIE := $(PIE_$(VARIANT))
LDLIBS := -ldl
HERD_PC_VERSION := $(shell sed -n 's/^\#define HERD_VERSION "\(.*\)"/\1/p' include/herd.h)

B := build/$(VARIANT)

# Every src/<module>/*.c is part of the core library; main.c is the binary.
CORE_SRC := $(wildcard src/*/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# Helper programs; *-preload.c are LD_PRELOAD libraries instead.
PRELOAD_SRC := $(wildcard tests/helpers/*-preload.c)
PRELOAD_LIB := $(PRELOAD_SRC:tests/helpers/%.c=$(B)/helpers/%.so)
HELPER_SRC := $(filter-out $(PRELOAD_SRC),$(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/helpers/%)
ABI_WAYS := current none wrong short lie older newer newer_unset
TEST_APPS := $(B)/tests/testapp.so $(ABI_WAYS:%=$(B)/tests/abi-%.so)
# Benchmark programs (bench/*.c), linked with the core like unit tests.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(B)/%)
EXAMPLE_BIN := $(B)/herd-hello $(B)/examples/greet $(B)/examples/greet.so \
	$(B)/examples/greet-shared
LIBHERD := $(B)/libherd.a $(B)/libherd.so $(B)/libherd.so.0
HERD_SOVERSION := 0

.PHONY: all build run test check unit integration format format-check \
	layering fuzz install uninstall man-lint deb clean bench
.DEFAULT_GOAL := all

all: build
build: $(B)/herd $(LIBHERD) $(EXAMPLE_BIN) $(UNIT_BIN) $(HELPER_BIN) \
	$(PRELOAD_LIB) $(TEST_APPS) $(BENCH_BIN)

# The flags live here: a change to them rebuilds everything.
$(B)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC  $(VARIANT)  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/libherd-core.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The binary exports the public API (and only it) to the apps --app
# loads with dlopen.
$(B)/herd: $(B)/src/main.o $(B)/libherd-core.a src/herd.dynlist
	$(CC) $(LDFLAGS) $(PIE) -Wl,--dynamic-list=src/herd.dynlist -o $@ \
		$(B)/src/main.o $(B)/libherd-core.a $(LDLIBS)

# libherd for programs: one object whose only global symbols are herd_*,
# so that the library's internals never clash with a program's names.
$(B)/libherd.o: $(CORE_OBJ)
	ld -r -o $@.tmp $^
	objcopy --wildcard --keep-global-symbol='herd_*' $@.tmp $@
	rm -f $@.tmp

$(B)/libherd.a: $(B)/libherd.o
	@rm -f $@
	ar rcs $@ $^

$(B)/libherd.so.$(HERD_SOVERSION): $(CORE_OBJ) src/libherd.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libherd.so.$(HERD_SOVERSION) \
		-Wl,--version-script=src/libherd.map -o $@ $(CORE_OBJ) $(LDLIBS)

$(B)/libherd.so: $(B)/libherd.so.$(HERD_SOVERSION)
	ln -sf libherd.so.$(HERD_SOVERSION) $@

# The example app, built both ways: a program linked with libherd (static
# and shared) and a shared object for `herd --app`.
$(B)/examples/greet: $(B)/examples/greet.o $(B)/libherd.a
	$(CC) $(LDFLAGS) $(PIE) -o $@ $^ $(LDLIBS)

$(B)/examples/greet-shared: $(B)/examples/greet.o $(B)/libherd.so
	$(CC) $(LDFLAGS) $(PIE) -o $@ $< -L$(B) -l:libherd.so \
		-Wl,-rpath,'$$ORIGIN/..' $(LDLIBS)

$(B)/examples/greet.so: examples/greet.c include/herd.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DHERD_APP_SHARED_OBJECT -shared \
		-o $@ $<

# Apps for the supervision tests and benchmarks, loaded with --app.
$(B)/tests/%.so: tests/apps/%.c include/herd.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ $<

# One app per way of building struct herd_app's head (test_abi.py).
$(B)/tests/abi-%.so: tests/apps/abiapp.c include/herd.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DABI_$(shell echo $* | tr a-z A-Z) \
		-shared -o $@ $<

# The bundled exec-mode demo: a small HTTP program that takes its sockets
# the systemd way. `herd` with no command supervises it.
$(B)/herd-hello: $(B)/examples/herd-hello.o
	$(CC) $(LDFLAGS) $(PIE) -o $@ $^

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libherd-core.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(PIE) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/bench/%.o $(B)/libherd-core.a
	$(CC) $(LDFLAGS) $(PIE) -o $@ $^ $(LDLIBS)

# Built without the sanitizers: preloaded into any build of herd.
$(B)/helpers/%-preload.so: tests/helpers/%-preload.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

$(B)/helpers/%: $(B)/tests/helpers/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(PIE) -o $@ $^

run:
	@scripts/install-deps.sh build
	$(MAKE) build
	$(B)/herd

unit: build
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: build
	HERD_BUILD=$(B) /usr/bin/python3 -m pytest -q tests/integration

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# From the objects' symbols (nm), then the same check on a copy with a
# planted upward call, which it must refuse.
layering: $(CORE_OBJ) $(B)/src/main.o
	@scripts/check-layering.sh $(B)/src
	@CC=$(CC) scripts/check-layering.sh --self-test $(B)/src

# The whole test command: what CI and a new contributor run.
test:
	scripts/install-deps.sh
	$(MAKE) format-check layering man-lint
	scripts/check-spdx.sh
	$(MAKE) VARIANT=clang build
	$(MAKE) VARIANT=release unit
	$(MAKE) VARIANT=asan unit
	$(MAKE) VARIANT=asan integration
	$(MAKE) fuzz-replay
	@echo "make test: all passed"

bench:
	bench/master.sh
	bench/reload.sh
	bench/http.sh
	bench/supervise.sh
	bench/confine.sh
	bench/isolate.sh
	bench/scale.sh
	bench/sched.sh

# Documentation and packaging. `make install` puts, under PREFIX: the
# binary, the library, the header and herd.pc, the man pages, the bash
# completion, the systemd units (their paths rewritten for PREFIX) and the
# example config, which it never overwrites. `make uninstall` removes them
# all but a config that was changed since (it says so and leaves it).
MAN_PAGES := man/herd.8 man/herd.conf.5 man/libherd.3
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# systemd looks in /usr/local/lib/systemd/system as well as /usr/lib/...
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# /etc for PREFIX=/usr, as distributions have it; else PREFIX/etc.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITS := herd.service herd.socket herd@.service herd@.socket
CONF := $(DESTDIR)$(SYSCONFDIR)/herd/herd.conf
INSTALLED := $(PREFIX)/bin/herd $(PREFIX)/include/herd.h \
	$(PREFIX)/lib/libherd.a $(PREFIX)/lib/libherd.so.$(HERD_SOVERSION) \
	$(PREFIX)/lib/libherd.so $(PREFIX)/lib/pkgconfig/herd.pc \
	$(MANDIR)/man8/herd.8 $(MANDIR)/man5/herd.conf.5 \
	$(MANDIR)/man3/libherd.3 $(BASHCOMPDIR)/herd \
	$(UNITS:%=$(SYSTEMDUNITDIR)/%)

install: $(B)/herd $(LIBHERD)
	install -D -m 0755 $(B)/herd $(DESTDIR)$(PREFIX)/bin/herd
	install -D -m 0644 include/herd.h $(DESTDIR)$(PREFIX)/include/herd.h
	install -D -m 0644 $(B)/libherd.a $(DESTDIR)$(PREFIX)/lib/libherd.a
	install -D -m 0755 $(B)/libherd.so.$(HERD_SOVERSION) \
		$(DESTDIR)$(PREFIX)/lib/libherd.so.$(HERD_SOVERSION)
	ln -sf libherd.so.$(HERD_SOVERSION) $(DESTDIR)$(PREFIX)/lib/libherd.so
	mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(HERD_PC_VERSION)|g' \
		src/herd.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/herd.pc
	install -D -m 0644 man/herd.8 $(DESTDIR)$(MANDIR)/man8/herd.8
	install -D -m 0644 man/herd.conf.5 $(DESTDIR)$(MANDIR)/man5/herd.conf.5
	install -D -m 0644 man/libherd.3 $(DESTDIR)$(MANDIR)/man3/libherd.3
	install -D -m 0644 contrib/bash-completion/herd \
		$(DESTDIR)$(BASHCOMPDIR)/herd
	mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS); do \
		sed -e 's|/usr/local/bin/herd|$(PREFIX)/bin/herd|g' \
		    -e 's|/etc/herd/|$(SYSCONFDIR)/herd/|g' \
		    contrib/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done
	@if [ -e $(CONF) ]; then \
		echo "install: keeping the existing $(CONF)"; \
	else \
		echo "install -D -m 0644 contrib/herd.conf $(CONF)"; \
		install -D -m 0644 contrib/herd.conf $(CONF); \
	fi

uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	@if [ -e $(CONF) ] && ! cmp -s contrib/herd.conf $(CONF); then \
		echo "uninstall: leaving $(CONF), changed since install"; \
	else \
		echo "rm -f $(CONF)"; rm -f $(CONF); \
		rmdir $(DESTDIR)$(SYSCONFDIR)/herd 2>/dev/null || true; \
	fi

# mandoc's lint at its strictest (style), less "referenced manual not
# found", which says what the machine has installed, not what the pages
# are; any other message fails.
man-lint:
	@out=$$(mandoc -Tlint -Wstyle $(MAN_PAGES) 2>&1 | \
		grep -v -e 'referenced manual not found' -e 'mandoc.db'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

# A Debian package of the release build, built in a temporary copy of the
# tree (never in build/ here): the .deb lands in DEB_OUT.
DEB_OUT ?= build/deb
deb:
	scripts/build-deb.sh $(DEB_OUT)

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
