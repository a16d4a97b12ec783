# With --irqchip: sets the LAPIC's LINT0 to deliver NMIs (unmasked), prints
# "waiting", then halts with interrupts off. An NMI could still wake it, so
# kvmrun must keep waiting: --timeout ends the run.
	.code64
	.include "kvmrun.inc"
	.set APIC_SVR, 0xf0
	.set APIC_LVT_LINT0, 0x350
	.text
	.globl _start
_start:
	mov	$0xfee00000, %ebx		# the LAPIC, identity-mapped
	movl	$0x1ff, APIC_SVR(%rbx)		# software enable
	movl	$0x400, APIC_LVT_LINT0(%rbx)	# delivery mode NMI, unmasked
	lea	msg(%rip), %rsi
	call	puts
	cli
1:	hlt
	jmp	1b

	.include "print.inc"
msg:	.asciz "waiting\n"
