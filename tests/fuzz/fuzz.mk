# Coverage-guided fuzzing with clang's libFuzzer (tests/fuzz/README.md).
# Included by the Makefile. Each tests/fuzz/fuzz_NAME.c is linked against the
# runner's own sources (all but main.c), compiled again here with clang and
# the same sanitizers into tests/fuzz/obj/.
#   make fuzz       build, replay tests/fuzz/regress/NAME/, fuzz each target
#                   FUZZ_SECONDS (60) from tests/fuzz/corpus/NAME/
#   make fuzz-ci    the same for 10 s a target
# Crash files are copied to tests/fuzz/findings/NAME/; the status is non-zero
# when there is one.
FUZZ          := tests/fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_TARGETS  := elf multiboot options range io linux virtq net gdb
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Not $(WARN): it may carry -Werror, and clang warns where gcc does not.
FUZZ_CFLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-gnu-variable-sized-type-not-at-end $(FUZZ_SAN)
FUZZ_OBJS     := $(patsubst %.c,$(FUZZ)/obj/%.o,$(filter-out main.c,$(SRCS)))
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ)/fuzz_%)
# For `rm -f` in make clean: files only (the empty obj/ and findings/ directories stay, ignored by git).
FUZZ_CLEAN    := $(FUZZ)/obj/*.o $(FUZZ_BINS) $(FUZZ)/findings/*/*

.PHONY: fuzz fuzz-ci fuzz-build fuzz-cc

fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) not found: libFuzzer needs clang (apt-get install clang)" >&2; exit 1; }

$(FUZZ_OBJS): $(FUZZ)/obj/%.o: %.c $(HEADERS) $(FUZZ)/fuzz.mk | fuzz-cc
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(filter-out $(FUZZ)/fuzz_gdb,$(FUZZ_BINS)): $(FUZZ)/fuzz_%: $(FUZZ)/fuzz_%.c $(FUZZ)/fuzz_util.h $(FUZZ_OBJS) $(HEADERS) | fuzz-cc
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I. -o $@ $< $(FUZZ_OBJS)

# fuzz_gdb includes gdb.c, whose packet layer is static: every object but gdb's.
$(FUZZ)/fuzz_gdb: $(FUZZ)/fuzz_gdb.c $(FUZZ)/fuzz_util.h gdb.c $(FUZZ_OBJS) $(HEADERS) | fuzz-cc
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I. -o $@ $< $(filter-out $(FUZZ)/obj/gdb.o,$(FUZZ_OBJS))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@$(FUZZ)/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
