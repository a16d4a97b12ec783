# The hostile-guest suite's guests (tests/hostile/*.S), included by the Makefile.
# As the Makefile's guest rules: GNU as, ld, objcopy. Files named prot_*,
# long_* or user_* are linked at 0x100000 (the default entry in those
# modes), the rest at 0 for real mode.
HOSTILE_GUESTS := $(patsubst %.S,%.bin,$(wildcard tests/hostile/*.S))
HOSTILE_CLEAN  := tests/hostile/*.o tests/hostile/*.elf tests/hostile/*.bin
hostile_link = $(if $(filter prot_% long_% user_%,$(notdir $(1))),0x100000,0)

test: $(HOSTILE_GUESTS)

tests/hostile/%.o: tests/hostile/%.S guest/kvmrun.inc guest/print.inc tests/hostile/hostile.inc tests/hostile/virtio.inc
	$(AS) --64 -I guest -I tests/hostile -o $@ $<
tests/hostile/%.elf: tests/hostile/%.o
	$(LD) -m elf_x86_64 $(LD_NORWX) -N -e _start -Ttext=$(call hostile_link,$*) -o $@ $<
tests/hostile/%.bin: tests/hostile/%.elf
	$(OBJCOPY) -O binary $< $@
