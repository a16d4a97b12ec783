# kvmrun: make (all), run, test, bench, debug, clean, install, version.
VERSION := $(shell sed -n 's/^\#define KVMRUN_VERSION "\(.*\)"/\1/p' kvm.h)
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -Wundef
ifneq ($(WERROR),)
WARN    += -Werror
endif
KCFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS)
AS      ?= as
LD      ?= ld
OBJCOPY ?= objcopy
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
# A flat guest is one RWX segment by nature; newer ld warns about it, older ld lacks the switch.
LD_NORWX := $(shell $(LD) --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && echo --no-warn-rwx-segments)

SRCS := main.c kvm.c vcpu.c cpu.c load.c elf.c multiboot.c io.c uart.c exitport.c fwcfg.c user.c seccomp.c console.c stop.c dump.c halt.c parse.c control.c ctl.c usock.c gdb.c \
        $(wildcard devices/*.c) $(wildcard boot/*.c) $(wildcard snapshot/*.c)
HEADERS := kvm.h $(wildcard devices/*.h) $(wildcard boot/*.h) $(wildcard snapshot/*.h)
OBJS := $(SRCS:.c=.o)
LIB_OBJS := $(filter-out main.o,$(OBJS))

GUESTS      := guest/hello.bin
TEST_GUESTS := $(patsubst %.S,%.bin,$(wildcard tests/guests/*.S)) $(patsubst %.c,%.elf,$(wildcard tests/guests/*.c))
# 32-bit code also as ELF32 executables (and Multiboot kernels when they carry a header).
TEST_ELF32  := $(patsubst %.S,%.elf32,$(wildcard tests/guests/prot_*.S tests/guests/mb32_*.S))
BENCH_GUESTS := $(patsubst %.S,%.bin,$(wildcard bench/*.S))

.PHONY: all run test test-build test-vm vm-shell testvm check-testvm linux-images bench debug check-asan check-tsan clean install uninstall version guests
.DELETE_ON_ERROR:

all: kvmrun $(GUESTS)

kvmrun: $(OBJS)
	$(CC) $(KCFLAGS) $(LDFLAGS) -o $@ $(OBJS)

%.o: %.c $(HEADERS)
	$(CC) $(KCFLAGS) -c -o $@ $<

# Guests: GNU as, ld, objcopy. Files named prot_*, long_*, mb32_* or user_* are linked at
# 0x100000 (the default entry in those modes); the rest at 0, for real mode,
# where CS = entry >> 4 and IP = 0.
link_addr = $(if $(filter prot_% long_% mb32_% user_%,$(notdir $(1))),0x100000,0)

%.o: %.S guest/kvmrun.inc guest/print.inc
	$(AS) --64 -I guest -o $@ $<
%.elf: %.o
	$(LD) -m elf_x86_64 $(LD_NORWX) -N -e _start -Ttext=$(call link_addr,$*) -o $@ $<
%.bin: %.elf
	$(OBJCOPY) -O binary $< $@
# The SMP guests share their logic.
tests/guests/long_smp.o tests/guests/mb32_smp.o tests/guests/mb32_smp.o32: tests/guests/smp.inc
tests/guests/snap_run.o tests/guests/snap_go.o tests/guests/snap_end.o tests/guests/prot_snap_end.o tests/guests/long_snap_end.o tests/guests/long_snap_run.o: tests/guests/snap.inc
%.o32: %.S guest/kvmrun.inc guest/print.inc
	$(AS) --32 -I guest -o $@ $<
%.elf32: %.o32
	$(LD) -m elf_i386 $(LD_NORWX) -N -e _start -Ttext=0x100000 -o $@ $<
.SECONDARY:

# Where this machine has no usable /dev/kvm, run, test and test-vm go through
# the test host: a small Linux VM under QEMU's software emulation with AMD SVM
# (tests/vm/). kvmrun itself never falls back to emulation.
WITH_KVM := tests/vm/with-kvm

run: all
	@$(WITH_KVM) ./kvmrun guest/hello.bin

tests/unit: tests/unit.c $(LIB_OBJS) $(HEADERS)
	$(CC) $(KCFLAGS) -I. -o $@ tests/unit.c $(LIB_OBJS)

TEST_DEPS := all $(TEST_GUESTS) $(TEST_ELF32) tests/unit tests/fakekvm.so tests/mkimage linux-images
# The suite, then the Linux boots (tests/linux: in the test host also where
# /dev/kvm is nested PVM, which is far too slow for a stock kernel); both run,
# and the status is the first failure's.
test: $(TEST_DEPS)
	@status=0; $(WITH_KVM) bats $(BATS_FLAGS) tests tests/hostile || status=$$?; \
	$(WITH_KVM) --linux bats $(BATS_FLAGS) tests/linux || status=$$?; exit $$status

# The same suite, always inside the test host (also where /dev/kvm works here).
test-vm: $(TEST_DEPS)
	@status=0; TESTVM=yes $(WITH_KVM) bats $(BATS_FLAGS) tests tests/hostile || status=$$?; \
	TESTVM=yes $(WITH_KVM) bats $(BATS_FLAGS) tests/linux || status=$$?; exit $$status

# Debian's kernel (the test host's) and the test initramfs for tests/linux, in build/linux.
linux-images:
	tests/linux/build.sh

# An interactive shell in the test host, in this directory, for debugging.
vm-shell: $(TEST_DEPS)
	tests/vm/run.sh --shell

# The test host's own tests, run here (each boots it).
check-testvm:
	bats $(BATS_FLAGS) tests/vm

# The test host's kernel and initramfs, made in build/testvm (also done on first use).
testvm:
	tests/vm/build.sh

tests/fakekvm.so: tests/fakekvm.c
	$(CC) $(KCFLAGS) -fPIC -shared -o $@ $< -ldl

tests/mkimage: tests/mkimage.c
	$(CC) $(KCFLAGS) -o $@ $<

bench/baseline: bench/baseline.c
	$(CC) $(KCFLAGS) -o $@ $<
bench/bench: bench/bench.c bench/child.h
	$(CC) $(KCFLAGS) -o $@ $<
bench/firstbyte: bench/firstbyte.c bench/child.h
	$(CC) $(KCFLAGS) -o $@ $<

bench: all bench/baseline bench/bench bench/firstbyte bench/compute_host bench/compute.elf $(BENCH_GUESTS) tests/guests/spin.bin tests/guests/long_smp.bin
	./bench/bench
	bench/linux.sh
	bench/smp.sh
	bench/virtio.sh
	bench/net.sh
	bench/gdb.sh
	bench/snapshot.sh

# The whole suite against kvmrun built with AddressSanitizer and UBSan (leaks
# count): any report changes a status or stderr, which the tests compare exactly.
ASAN_DIR    := build-asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(ASAN_DIR)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(ASAN_CFLAGS) -c -o $@ $<
$(ASAN_DIR)/kvmrun: $(SRCS:%.c=$(ASAN_DIR)/%.o)
	$(CC) -pthread $(ASAN_CFLAGS) -o $@ $^
check-asan: $(ASAN_DIR)/kvmrun
	ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:verify_asan_link_order=0 UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) test KVMRUN=$(abspath $(ASAN_DIR)/kvmrun)

# The SMP tests, the hostile PCI/virtio guests and the gdb stub (its thread
# against the vCPU threads it pauses and steps) against kvmrun built with
# ThreadSanitizer (clang): a data race or lock misuse between the vCPU threads
# and the device threads is a report on stderr and status 66, which the tests'
# exact comparisons fail on.
TSAN_DIR    := build-tsan
TSAN_CC     := clang
TSAN_CFLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
$(TSAN_DIR)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(TSAN_CC) -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(TSAN_CFLAGS) -c -o $@ $<
$(TSAN_DIR)/kvmrun: $(SRCS:%.c=$(TSAN_DIR)/%.o)
	$(TSAN_CC) -pthread $(TSAN_CFLAGS) -o $@ $^
check-tsan: $(TSAN_DIR)/kvmrun $(TEST_DEPS) $(HOSTILE_GUESTS)
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 KVMRUN=$(abspath $(TSAN_DIR)/kvmrun) \
	$(WITH_KVM) bats $(BATS_FLAGS) tests/smp.bats
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 KVMRUN=$(abspath $(TSAN_DIR)/kvmrun) \
	$(WITH_KVM) bats $(BATS_FLAGS) -f '^(virtio|virtio-blk|virtio-net|virtio-balloon|pci):' tests/hostile/hostile.bats
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 KVMRUN=$(abspath $(TSAN_DIR)/kvmrun) \
	$(WITH_KVM) bats $(BATS_FLAGS) tests/gdb.bats

debug:
	$(MAKE) clean
	$(MAKE) all CFLAGS="-O0 -g3 -fsanitize=address,undefined -fno-omit-frame-pointer"

install: kvmrun
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 kvmrun $(DESTDIR)$(BINDIR)/kvmrun

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kvmrun

version:
	@echo $(VERSION)

include guest/kit.mk
# Fuzz targets (make fuzz) and the hostile-guest suite's guests, each in its own fragment.
-include tests/fuzz/fuzz.mk
-include tests/hostile/hostile.mk

# What make test and make check-asan use, built at once (CI runs the two side
# by side): after the fragments, whose guests test also needs.
test-build: $(TEST_DEPS) $(HOSTILE_GUESTS) $(ASAN_DIR)/kvmrun

# The compute benchmark: the same source as a host process and as a kit guest.
bench/compute_host: bench/compute.c
	$(CC) -DHOST -std=c11 -O2 -mgeneral-regs-only -fno-tree-loop-distribute-patterns $(WARN) -o $@ $<
bench/compute.o: bench/compute.c $(KIT_HEADERS)
	$(KIT_CC) -m64 $(KIT_CFLAGS) -c -o $@ $<
bench/compute.elf: bench/compute.o $(KIT64_RT) $(KIT)/guest64.ld
	$(KIT_CC) -m64 $(KIT_LDFLAGS) -T $(KIT)/guest64.ld -o $@ $(KIT64_RT) $<


clean:
	rm -rf $(ASAN_DIR) $(TSAN_DIR)
	rm -f kvmrun *.o devices/*.o boot/*.o guest/*.o guest/*.elf guest/*.bin tests/guests/*.o tests/guests/*.elf \
	      tests/guests/*.bin tests/guests/*.o32 tests/guests/*.elf32 tests/unit tests/fakekvm.so tests/mkimage bench/*.o bench/*.elf bench/*.bin \
	      bench/baseline bench/bench bench/firstbyte bench/compute_host $(KIT_CLEAN) $(FUZZ_CLEAN) $(HOSTILE_CLEAN)
