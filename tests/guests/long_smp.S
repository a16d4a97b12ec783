# SMP in 64-bit mode (--mode long, --cpus N): the BSP reads the CPU count
# (fw_cfg key 0x05) and prints it, starts the APs one at a time with INIT and
# two SIPIs (APIC IDs 1 to N-1), each of which comes up through real and
# protected mode into long mode on the BSP's GDT and page tables and prints
# its line; then every CPU adds 1 to a shared counter 100000 times with
# lock incl, and the BSP prints the sum. The ending is chosen by the first
# byte of fw_cfg's command line (--append):
#   n (or none)  the BSP exits: status 0 (port 0xf8); the APs halt
#   h            the BSP prints "halting", then every CPU halts, interrupts off: status 0
#   e            APIC ID N-1 (the BSP when N = 1) prints "exit from cpu XX",
#                then writes 42 to port 0xf8: status 42; the BSP spins meanwhile
#   f            APIC ID 1 (the BSP when N = 1) prints "fault on cpu XX", then
#                writes 0x12345678 to 0xd0000000, outside RAM: a guest fault
#                (status 100); the BSP spins meanwhile
#   s            every CPU spins, interrupts off: only a timeout or signal ends it
#   o            APIC ID N-1 (the BSP when N = 1) writes 'x' to COM1 for ever, the
#                BSP spins: an AP that floods a reader who never reads
#   c            every CPU at once, with no lock, writes 2000 bytes of 'A' + its
#                APIC ID after the total line; then the BSP exits as for n
#   p            once every AP is up and spinning, the BSP asks port 0xf0 for a
#                snapshot and the end of the run (--snapshot-on-port FILE, status
#                0); the VM restored from FILE goes on as for n
# An AP that has not checked in after 2^28 pauses: "cpu XX did not start",
# status 3. A count of 0 or above 255: "bad cpu count", status 3. Alone
# (N = 1) it leaves the LAPIC be: kvmrun gives a flat guest one only with
# --cpus 2 or more (or --irqchip).
#
# Output with N = 1, 2, 4 (the total is N * 100000), then the variant's line:
#   cpus=01              cpus=02              cpus=04
#   total=000186a0       cpu 01 up            cpu 01 up
#                        total=00030d40       cpu 02 up
#                                             cpu 03 up
#                                             total=00061a80
#   h: halting           e: exit from cpu 00 / 01 / 03     f: fault on cpu 00 / 01 / 01
	.code64
	.include "kvmrun.inc"
	.set	EXIT_PORT, KVMRUN_EXIT
	.set	EXIT_OK, 0
	.set	EXIT_AP, 42
	.set	EXIT_FAIL, 3
	.text
	.globl	_start
_start:
	mov	%cr3, %rax			# for the APs: the runner's page tables
	mov	%eax, bsp_cr3
	jmp	smp_main

	.include "tests/guests/smp.inc"	# a path from the repository root, where make runs
	.include "print.inc"

	smp_trampoline
# Into long mode as the runner set up the BSP: PAE, its page tables, EFER.LME,
# then paging; the far jump to the 64-bit code selector makes it active.
ap_prot:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$0x20, %eax			# PAE
	mov	%eax, %cr4
	mov	bsp_cr3, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx		# EFER
	rdmsr
	or	$0x100, %eax			# LME
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax		# PG
	mov	%eax, %cr0
	ljmp	$0x18, $ap_main

	.data
	.align	4
bsp_cr3: .long	0				# below 4 GiB: the runner's tables are at 0x2000
