# Fuzzing (clang's libFuzzer), included by the main Makefile. `make fuzz`
# runs for FUZZ_SECONDS; `make fuzz-replay` (part of `make test`) runs the
# seed corpus once, then a bounded, seeded run of mutations, so it is
# repeatable and quick. Everything is built into build/fuzz/.
FUZZ_B := build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
FUZZ_HTTP_SRC := $(wildcard src/http/*.c)

$(FUZZ_B)/fuzz_http: tests/fuzz/fuzz_http.c $(FUZZ_HTTP_SRC) src/http/http.h
	@mkdir -p $(FUZZ_B)
	@echo "  CC  fuzz  $@"
	@clang $(FUZZ_FLAGS) tests/fuzz/fuzz_http.c $(FUZZ_HTTP_SRC) -o $@

# Seeds: the committed ones (tests/fuzz/corpus/http: the shared corpus
# decoded, a split byte first), plus the shared corpus decoded afresh, so
# that new cases join in. The shared corpus sits beside the repository: a
# clone without it runs the committed seeds and says so, while one named
# by HERD_CORPUS must be there.
FUZZ_CORPUS := $(or $(HERD_CORPUS),../shared/corpus/http-requests)
$(FUZZ_B)/seeds: $(wildcard tests/fuzz/corpus/http/*)
	@rm -rf $@ $@.new && mkdir -p $@.new
	@cp tests/fuzz/corpus/http/* $@.new/
	@/usr/bin/python3 scripts/decode-corpus.py \
		$(if $(HERD_CORPUS),,--optional) $(FUZZ_CORPUS) $@.new >/dev/null
	@mv $@.new $@

# Quiet when it passes (one line: libFuzzer's ~500 lines of progress would
# bury the rest of `make test`), loud when it fails: the whole log, then
# the verdict. FUZZ_REPLAY_ARGS adds flags to both runs (a way to see the
# failure path: FUZZ_REPLAY_ARGS=-max_len=-1).
FUZZ_REPLAY_RUNS := 20000
FUZZ_REPLAY_LOG := $(FUZZ_B)/replay.log
.PHONY: fuzz fuzz-replay
fuzz-replay: $(FUZZ_B)/fuzz_http $(FUZZ_B)/seeds
	@rm -rf $(FUZZ_B)/work && mkdir -p $(FUZZ_B)/work
	@if $(FUZZ_B)/fuzz_http -runs=0 $(FUZZ_REPLAY_ARGS) $(FUZZ_B)/seeds \
			>$(FUZZ_REPLAY_LOG) 2>&1 && \
	    $(FUZZ_B)/fuzz_http -seed=1 -runs=$(FUZZ_REPLAY_RUNS) \
			-max_len=4096 $(FUZZ_REPLAY_ARGS) $(FUZZ_B)/work \
			$(FUZZ_B)/seeds >>$(FUZZ_REPLAY_LOG) 2>&1; then \
		echo "fuzz-replay: ok, $$(ls $(FUZZ_B)/seeds | wc -l) seeds" \
		     "and $(FUZZ_REPLAY_RUNS) seeded mutations" \
		     "(log: $(FUZZ_REPLAY_LOG))"; \
	else \
		cat $(FUZZ_REPLAY_LOG); \
		echo "fuzz-replay: FAILED (the output above is" \
		     "$(FUZZ_REPLAY_LOG))"; \
		exit 1; \
	fi

fuzz: $(FUZZ_B)/fuzz_http $(FUZZ_B)/seeds
	mkdir -p $(FUZZ_B)/long
	$(FUZZ_B)/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-print_final_stats=1 $(FUZZ_B)/long $(FUZZ_B)/seeds
