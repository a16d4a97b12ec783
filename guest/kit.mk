# The guest kit (guest/kit/): guests written in C, built freestanding with
# gcc and binutils, no libc, no SSE. Included by the Makefile.
#   guest/NAME.c    -> guest/NAME.elf (ELF64, long mode, main) and guest/NAME.bin
#                      (its flat image, for kvmrun --mode long)
#   guest/mbinfo.c, guest/mb_*.c -> guest/NAME.elf (ELF32 Multiboot kernel, kmain)
#   tests/guests/NAME.c -> tests/guests/NAME.elf (as guest/NAME.c: the tests' C guests)
# Not $(CFLAGS): `make debug` puts sanitizers there, which a guest cannot run.
# -g: DWARF for gdb (--gdb), in non-allocated sections only: the loaded
# segments and the flat .bin images are the same bytes as without it.
KIT          := guest/kit
KIT_CC       ?= gcc
KIT_CFLAGS   := -std=c11 -O2 -g -ffreestanding -fno-pie -fno-stack-protector -mgeneral-regs-only \
                -mno-red-zone -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
                $(WARN) -I$(KIT)
KIT_LDFLAGS  := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096
KIT_HEADERS  := $(wildcard $(KIT)/*.h) guest/kit.mk

KIT_MB_SRCS  := $(wildcard guest/mbinfo.c guest/mb_*.c)
KIT64_SRCS   := $(filter-out $(KIT_MB_SRCS),$(wildcard guest/*.c))
KIT_TEST_SRCS := $(wildcard tests/guests/*.c)
KIT_RUNTIME  := serial printf string
KIT64_RT     := $(KIT)/start64.o $(KIT_RUNTIME:%=$(KIT)/%.64.o)
KIT32_RT     := $(KIT)/multiboot.o $(KIT_RUNTIME:%=$(KIT)/%.32.o)

KIT_GUESTS   := $(KIT64_SRCS:.c=.elf) $(KIT64_SRCS:.c=.bin) $(KIT_MB_SRCS:.c=.elf)
KIT_TEST_GUESTS := $(KIT_TEST_SRCS:.c=.elf)
KIT_CLEAN    := $(KIT)/*.o $(KIT_GUESTS) $(KIT64_SRCS:.c=.o) $(KIT_MB_SRCS:.c=.o) $(KIT_TEST_GUESTS) $(KIT_TEST_SRCS:.c=.o)

all: $(KIT_GUESTS)

# Static pattern rules: they win over the Makefile's %.o: %.c (kvmrun's own
# flags) and %.elf: %.o (flat assembly guests) for these files.
$(KIT_RUNTIME:%=$(KIT)/%.64.o): $(KIT)/%.64.o: $(KIT)/%.c $(KIT_HEADERS)
	$(KIT_CC) -m64 $(KIT_CFLAGS) -c -o $@ $<
$(KIT_RUNTIME:%=$(KIT)/%.32.o): $(KIT)/%.32.o: $(KIT)/%.c $(KIT_HEADERS)
	$(KIT_CC) -m32 $(KIT_CFLAGS) -c -o $@ $<
$(KIT)/start64.o: $(KIT)/start64.S guest/kit.mk
	$(KIT_CC) -m64 -c -o $@ $<
$(KIT)/multiboot.o: $(KIT)/multiboot.S guest/kit.mk
	$(KIT_CC) -m32 -c -o $@ $<

$(KIT64_SRCS:.c=.o): guest/%.o: guest/%.c $(KIT_HEADERS)
	$(KIT_CC) -m64 $(KIT_CFLAGS) -c -o $@ $<
$(KIT_TEST_SRCS:.c=.o): tests/guests/%.o: tests/guests/%.c $(KIT_HEADERS)
	$(KIT_CC) -m64 $(KIT_CFLAGS) -c -o $@ $<
$(KIT_MB_SRCS:.c=.o): guest/%.o: guest/%.c $(KIT_HEADERS)
	$(KIT_CC) -m32 $(KIT_CFLAGS) -c -o $@ $<

$(KIT64_SRCS:.c=.elf): guest/%.elf: guest/%.o $(KIT64_RT) $(KIT)/guest64.ld
	$(KIT_CC) -m64 $(KIT_LDFLAGS) -T $(KIT)/guest64.ld -o $@ $(KIT64_RT) $<
$(KIT_TEST_GUESTS): tests/guests/%.elf: tests/guests/%.o $(KIT64_RT) $(KIT)/guest64.ld
	$(KIT_CC) -m64 $(KIT_LDFLAGS) -T $(KIT)/guest64.ld -o $@ $(KIT64_RT) $<
$(KIT_MB_SRCS:.c=.elf): guest/%.elf: guest/%.o $(KIT32_RT) $(KIT)/multiboot32.ld
	$(KIT_CC) -m32 $(KIT_LDFLAGS) -T $(KIT)/multiboot32.ld -o $@ $(KIT32_RT) $<
$(KIT64_SRCS:.c=.bin): guest/%.bin: guest/%.elf
	$(OBJCOPY) -O binary $< $@
