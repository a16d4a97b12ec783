#!/usr/bin/env bats
# Guest formats: ELF, Multiboot, the information structure, fw_cfg, the irqchip.
load helpers

setup() {
	need_kvm
	MB="$G/mb32_info.elf32"
	printf 'MODULE-ONE-DATA' > "$BATS_TEST_TMPDIR/m1"
	printf 'second module' > "$BATS_TEST_TMPDIR/m2"
}

@test "an ELF64 executable starts in long mode at e_entry, with the documented state" {
	run -0 --separate-stderr kvmrun "$G/long_state.elf"
	[ "$output" = "long cr0=80000011 cr4=00000020 efer=00000500 cs=0018 rsp=0000000000100000" ]
	[ "$stderr" = "" ]
}

@test "an ELF32 executable starts in protected mode at e_entry" {
	run -0 --separate-stderr kvmrun "$G/prot_state.elf32"
	[ "$output" = "protected cr0=00000011 cs=0008 ds=0010 ss=0010 esp=00100000" ]
}

@test "-v names the format, the span and the mode" {
	run -0 --separate-stderr kvmrun -v "$G/long_state.elf"
	size=$(( $(readelf -lW "$G/long_state.elf" | awk '$1 == "LOAD" { print $6 }') ))
	[ "${stderr_lines[2]}" = "kvmrun: guest '$G/long_state.elf': elf (ELF64), $size bytes at 0x100000-$(printf '0x%x' $((0x100000 + size - 1))), long mode, entry 0x100000" ]
}

@test "Multiboot: protected mode, flat segments, interrupts off, EAX = 0x2badb002" {
	run -1 --separate-stderr kvmrun "$MB"
	[ "${lines[0]}" = "cr0=00000011 cs=0008 ds=0010 eflags=00000002" ]
	[ "${lines[1]}" = "eax=2badb002" ]
	[ "$stderr" = "" ]
}

@test "Multiboot information: flags, memory, command line, loader name, memory map" {
	run -1 --separate-stderr kvmrun "$MB"
	[ "${lines[2]}" = "flags=0000024d" ]
	[ "${lines[3]}" = "mem_lower=00000280 mem_upper=0001fc00" ]	# 128 MiB, the Multiboot default
	[ "${lines[4]}" = "cmdline='$MB '" ]
	[ "${lines[5]}" = "loader='kvmrun'" ]
	[ "${lines[6]}" = "mmap=0000000000000000 0000000008000000 01 mmap_length=00000018" ]
	[ "${lines[7]}" = "mods=00" ]
}

@test "Multiboot memory fields follow --mem" {
	run -1 --separate-stderr kvmrun --mem 64 "$MB"
	[ "${lines[3]}" = "mem_lower=00000280 mem_upper=0000fc00" ]
	[ "${lines[6]}" = "mmap=0000000000000000 0000000004000000 01 mmap_length=00000018" ]
}

@test "--append: the command line is the kernel's name, a space, the string (as QEMU)" {
	run -1 --separate-stderr kvmrun --append "hello  world" "$MB"
	[ "${lines[4]}" = "cmdline='$MB hello  world'" ]
}

@test "--module FILE,STRING twice: page-aligned modules, their strings, their bytes" {
	run -1 --separate-stderr kvmrun --module "$BATS_TEST_TMPDIR/m1,arg one" --module "$BATS_TEST_TMPDIR/m2" "$MB"
	[ "${lines[7]}" = "mods=02" ]
	[ "${lines[8]}" = "module offset=0000 0000000f $BATS_TEST_TMPDIR/m1 arg one MODULE-O" ]
	[ "${lines[9]}" = "module offset=0000 0000000d $BATS_TEST_TMPDIR/m2 second m" ]
}

@test "--initrd FILE is one module" {
	run -1 --separate-stderr kvmrun --initrd "$BATS_TEST_TMPDIR/m1" "$MB"
	[ "${lines[7]}" = "mods=01" ]
	[ "${lines[8]}" = "module offset=0000 0000000f $BATS_TEST_TMPDIR/m1 MODULE-O" ]
}

@test "an ELF64 Multiboot kernel (which QEMU refuses) runs, entered in 32-bit protected mode" {
	run -1 --separate-stderr kvmrun --append x "$G/mb32_info.elf"
	[ "${lines[0]}" = "cr0=00000011 cs=0008 ds=0010 eflags=00000002" ]
	[ "${lines[1]}" = "eax=2badb002" ]
	[ "${lines[4]}" = "cmdline='$G/mb32_info.elf x'" ]
}

@test "-v for Multiboot: format, information page, modules, irqchip" {
	run -1 --separate-stderr kvmrun -v --module "$BATS_TEST_TMPDIR/m1" "$MB"
	[[ "${stderr_lines[2]}" == "kvmrun: guest '$MB': multiboot (ELF32), "*" protected mode, entry 0x100000" ]]
	[[ "${stderr_lines[3]}" =~ ^"kvmrun: Multiboot information at 0x10"[0-9a-f]"000, 1 module"$ ]]	# the page after the kernel
	[ "${stderr_lines[5]}" = "kvmrun: interrupt controllers and PIT in the kernel (--irqchip): HLT waits for an interrupt, or ends the run when interrupts are off" ]
}

@test "Multiboot kernels get the irqchip, where cli; hlt can never wake: the run ends with status 0, not at --timeout" {
	run -0 --separate-stderr kvmrun --timeout 60 "$G/mb32_halt.elf32"
	[ "$output" = "halting" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr kvmrun -v --timeout 60 "$G/mb32_halt.elf32"
	[ "${stderr_lines[-1]}" = "kvmrun: guest halted; exit status 0" ]
}

@test "--no-irqchip: a halted Multiboot kernel ends the run with status 0" {
	run -0 --separate-stderr kvmrun --no-irqchip "$G/mb32_halt.elf32"
	[ "$output" = "halting" ]
}

@test "--irqchip on a flat guest: hlt with interrupts on waits for one, so --timeout ends it" {
	run -124 --separate-stderr kvmrun --irqchip --timeout 0.5 "$G/sti_hlt.bin"
	[ "$output" = "idling" ]
	[ "$stderr" = "kvmrun: guest still running after 0.5 s (--timeout); stopped it" ]
}

@test "--irqchip on a flat guest: hlt with interrupts off (hello's) ends the run with status 0" {
	run -0 --separate-stderr kvmrun --irqchip --timeout 60 "$ROOT/guest/hello.bin"
	[ "$output" = "Hello from a kvmrun guest!" ]
	[ "$stderr" = "" ]
}

@test "--irqchip: hlt with interrupts off while LINT0 may deliver NMIs is not the end: --timeout ends it" {
	run -124 --separate-stderr kvmrun --irqchip --mode long --timeout 0.5 "$G/long_nmi_hlt.bin"
	[ "$output" = "waiting" ]
	[ "$stderr" = "kvmrun: guest still running after 0.5 s (--timeout); stopped it" ]
}

@test "the LAPIC timer fires once in a 64-bit guest; CPUID shows the APIC and TSC deadline, CR8 reads 0" {
	run -0 --separate-stderr kvmrun --mode long --irqchip "$G/long_apic.bin"
	[ "$output" = "apic=01 tsc-deadline=01 cr8=00
tick" ]
	[ "$stderr" = "" ]
}

@test "without the irqchip there is no LAPIC, and CPUID says so" {
	run -3 --separate-stderr kvmrun --mode long "$G/long_apic.bin"
	[ "$output" = "apic=00 tsc-deadline=00 cr8=00" ]
}

@test "--mem 8G with the irqchip: 3 GiB at 0 and 5 GiB from 4 GiB, two memory map entries (the hole holds the IOAPIC and LAPIC)" {
	run -1 --separate-stderr kvmrun --mem 8G "$MB"
	[ "${lines[3]}" = "mem_lower=00000280 mem_upper=002ffc00" ]
	[ "${lines[6]}" = "mmap=0000000000000000 00000000c0000000 01 mmap_length=00000030" ]
	[ "$stderr" = "" ]
}

@test "-v with --mem 8G names the two RAM slots around the 32-bit hole" {
	run -0 --separate-stderr kvmrun --mem 8G -v "$ROOT/guest/hello.bin"
	[ "${stderr_lines[1]}" = "kvmrun: RAM 8388608 KiB (0x200000000 bytes) in two slots: 0x0-0xbfffffff and 0x100000000-0x23fffffff, around the 32-bit hole" ]
}

@test "fw_cfg: signature, ID, RAM size, one CPU, no files, the --append command line, unknown keys zero" {
	run -0 --separate-stderr kvmrun --mode protected --mem 32 --append "a b c" "$G/prot_fwcfg.bin"
	[ "$output" = "sig=QEMU id=00000001 ram=0000000002000000 cpus=0001 files=00000000 cmdline_size=00000006 cmdline='a b c' unknown=00000000" ]
}

@test "fw_cfg without --append: an empty command line" {
	run -0 --separate-stderr kvmrun --mode protected "$G/prot_fwcfg.bin"
	[ "$output" = "sig=QEMU id=00000001 ram=0000000001000000 cpus=0001 files=00000000 cmdline_size=00000001 cmdline='' unknown=00000000" ]
}
