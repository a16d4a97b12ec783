# Real mode: prints "halting\n", turns interrupts off and halts in a loop.
# Without the irqchip the first HLT ends the run (status 0); with it, the CPU
# waits in the kernel for an interrupt that can never be taken, which kvmrun
# sees within 10 ms and ends the run with status 0 too.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	cli
1:	hlt
	jmp	1b

	.include "print.inc"
msg:	.asciz "halting\n"
