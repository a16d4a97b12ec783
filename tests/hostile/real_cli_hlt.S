# Real mode: prints "halting\n", turns interrupts off and halts in a loop.
# Without the irqchip the first HLT ends the run (status 0); with it, HLT
# waits for an interrupt that can never be taken.
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
