# Fuzzing (clang's libFuzzer). `make fuzz` runs for FUZZ_SECONDS;
# `make fuzz-replay` (part of `make test`) replays the seed corpus and a
# bounded, seeded run of mutations, so it is repeatable and quick.
FUZZ_B := build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined $(CPPFLAGS) $(WARN)
HTTP_SRC := $(wildcard src/http/*.c)

$(FUZZ_B)/fuzz_http: tests/fuzz/fuzz_http.c $(HTTP_SRC) src/http/http.h
	@mkdir -p $(FUZZ_B)
	clang $(FUZZ_FLAGS) tests/fuzz/fuzz_http.c $(HTTP_SRC) -o $@

# Seeds: the committed ones, plus the shared corpus decoded (when present).
$(FUZZ_B)/seeds: $(wildcard tests/fuzz/corpus/http/*)
	rm -rf $@ && mkdir -p $@
	cp tests/fuzz/corpus/http/* $@/
	/usr/bin/python3 scripts/decode-corpus.py ../shared/corpus/http-requests $@

.PHONY: fuzz fuzz-replay
fuzz-replay: $(FUZZ_B)/fuzz_http $(FUZZ_B)/seeds
	$(FUZZ_B)/fuzz_http -runs=0 $(FUZZ_B)/seeds
	rm -rf $(FUZZ_B)/work && cp -r $(FUZZ_B)/seeds $(FUZZ_B)/work
	$(FUZZ_B)/fuzz_http -seed=1 -runs=30000 -max_len=4096 $(FUZZ_B)/work

fuzz: $(FUZZ_B)/fuzz_http $(FUZZ_B)/seeds
	mkdir -p $(FUZZ_B)/long && cp -n $(FUZZ_B)/seeds/* $(FUZZ_B)/long/
	$(FUZZ_B)/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-print_final_stats=1 $(FUZZ_B)/long
