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
CFLAGS_release := -O2 -g
CFLAGS_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
CFLAGS_clang := -O2 -g
LDFLAGS_asan := -fsanitize=address,undefined

CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc
CFLAGS := -std=gnu11 $(WARN) $(CFLAGS_$(VARIANT)) -fPIC -MMD -MP
LDFLAGS := $(LDFLAGS_$(VARIANT))
LDLIBS := -ldl

B := build/$(VARIANT)

# Every src/<module>/*.c is part of the core library; main.c is the binary.
CORE_SRC := $(wildcard src/*/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/helpers/%)
EXAMPLE_BIN := $(B)/herd-hello

.PHONY: all build run test check unit integration format format-check \
	layering fuzz install clean bench
.DEFAULT_GOAL := all

all: build
build: $(B)/herd $(EXAMPLE_BIN) $(UNIT_BIN) $(HELPER_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $(VARIANT)  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/libherd-core.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/herd: $(B)/src/main.o $(B)/libherd-core.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The bundled exec-mode demo: a small HTTP program that takes its sockets
# the systemd way. `herd` with no command supervises it.
$(B)/herd-hello: $(B)/examples/herd-hello.o
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libherd-core.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/helpers/%: $(B)/tests/helpers/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

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

layering:
	@scripts/check-layering.sh

# The whole test command: what CI and a new contributor run.
test:
	scripts/install-deps.sh
	$(MAKE) format-check layering
	$(MAKE) VARIANT=clang build
	$(MAKE) VARIANT=release unit
	$(MAKE) VARIANT=asan unit
	$(MAKE) VARIANT=asan integration
	$(MAKE) fuzz-replay
	@echo "make test: all passed"

bench:
	bench/master.sh
	bench/reload.sh

install: $(B)/herd
	install -D -m 0755 $(B)/herd $(DESTDIR)$(PREFIX)/bin/herd
	install -D -m 0755 $(B)/herd-hello $(DESTDIR)$(PREFIX)/libexec/herd/herd-hello

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)
