# SMP from a Multiboot kernel, the same under kvmrun (--cpus N) and QEMU
# (-smp N): the BSP reads the CPU count (fw_cfg key 0x05) and prints it,
# starts the APs one at a time with INIT and two SIPIs (APIC IDs 1 to N-1),
# each of which comes up through real mode into 32-bit protected mode on this
# kernel's GDT and prints its line; then every CPU adds 1 to a shared counter
# 100000 times with lock incl, and the BSP prints the sum. The ending is
# chosen by the first byte of fw_cfg's command line (-append / --append);
# QEMU 7.2 fills that in for a Multiboot kernel only on microvm with acpi=off
# (as tests/qemu.bats runs it): elsewhere every run is variant n.
# Exits go through port 0xf4 (QEMU's isa-debug-exit: status (v << 1) | 1),
# which QEMU and kvmrun both have:
#   n (or none)  the BSP writes 0: status 1; the APs halt
#   h            the BSP prints "halting", then every CPU halts, interrupts
#                off: status 0 under kvmrun; QEMU waits for ever
#   e            APIC ID N-1 (the BSP when N = 1) prints "exit from cpu XX",
#                then writes 20: status 41; the BSP spins meanwhile
#   f            APIC ID 1 (the BSP when N = 1) prints "fault on cpu XX", then
#                writes 0x12345678 to 0xd0000000, outside RAM: a guest fault
#                under kvmrun (status 100); QEMU drops the write and waits for ever
#   s            every CPU spins, interrupts off: only a timeout or signal ends it
#   o            APIC ID N-1 (the BSP when N = 1) writes 'x' to COM1 for ever, the
#                BSP spins: an AP that floods a reader who never reads
#   c            every CPU at once, with no lock, writes 2000 bytes of 'A' + its
#                APIC ID after the total line; then the BSP exits as for n
# An AP that has not checked in after 2^28 pauses: "cpu XX did not start",
# status 3 (writes 1). A count of 0 or above 255: "bad cpu count", status 3.
#
# Output with N = 1, 2, 4 (the total is N * 100000), then the variant's line:
#   cpus=01              cpus=02              cpus=04
#   total=000186a0       cpu 01 up            cpu 01 up
#                        total=00030d40       cpu 02 up
#                                             cpu 03 up
#                                             total=00061a80
#   h: halting           e: exit from cpu 00 / 01 / 03     f: fault on cpu 00 / 01 / 01
	.code32
	.include "kvmrun.inc"
	.set	MB_FLAGS, 0
	.set	EXIT_PORT, QEMU_EXIT
	.set	EXIT_OK, 0			# status 1
	.set	EXIT_AP, 20			# status 41
	.set	EXIT_FAIL, 1			# status 3
	.text
	.globl	_start
_start:
	jmp	start
	.align	4
	.long	0x1badb002, MB_FLAGS, -(0x1badb002 + MB_FLAGS)
start:
	lgdt	gdtr				# Multiboot's GDTR may be invalid; the APs load this one
	ljmp	$0x08, $1f
1:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	jmp	smp_main

	.include "tests/guests/smp.inc"	# a path from the repository root, where make runs
	.include "print.inc"

	smp_trampoline
ap_prot:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	jmp	ap_main

	.data
	.align	8
gdt:	.quad	0
	.quad	0x00cf9a000000ffff		# 0x08: 32-bit code, base 0, limit 4 GiB
	.quad	0x00cf92000000ffff		# 0x10: data, base 0, limit 4 GiB
gdtr:	.word	3 * 8 - 1
	.long	gdt
